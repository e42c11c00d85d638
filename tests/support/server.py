"""An ASGI app under uvicorn on a 127.0.0.1 port, in a daemon thread, for as long as a test needs.

The socket is bound before the server starts (port 0: the kernel picks a free
one), so a caller that needs the URL before it builds the app (the service's
public URL, OAuth redirect URIs) binds with :func:`loopback_socket` first.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from tests.support.waiting import wait_for


def loopback_socket() -> socket.socket:
    """A TCP socket bound to a free port on 127.0.0.1 (not yet listening)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def base_url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@dataclass
class RunningServer:
    """A started uvicorn server: where it listens and how to stop it."""

    base_url: str
    server: uvicorn.Server
    thread: threading.Thread
    sock: socket.socket

    def stop(self) -> None:
        """Ask uvicorn to exit (runs the app's lifespan shutdown) and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()
        assert not self.thread.is_alive(), "server did not stop"


def start_server(
    app: Any, *, sock: socket.socket | None = None, limit: float = 20.0
) -> RunningServer:
    """Serve ``app`` (lifespan on) on ``sock`` or a fresh loopback socket; returns once started.

    If uvicorn gives up during startup (the app's lifespan raised) the thread
    ends; that fails at once instead of waiting out ``limit``.
    """
    sock = sock if sock is not None else loopback_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    exits: list[object] = []

    def run() -> None:
        # uvicorn sys.exit()s when startup fails; in a thread that is an unhandled
        # exception (a warning, so an error, under pytest). Keep it for the message.
        try:
            server.run(sockets=[sock])
        except SystemExit as exc:
            exits.append(exc.code)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    running = RunningServer(base_url_of(sock), server, thread, sock)
    try:
        wait_for(lambda: server.started or not thread.is_alive(), what="server start", limit=limit)
        assert server.started, f"server did not start (uvicorn exited: {exits}; see its log)"
    except BaseException:
        running.stop()
        raise
    return running


@contextmanager
def serve_app(app: Any, *, limit: float = 20.0) -> Iterator[str]:
    """Serve ``app`` on a free loopback port for the ``with`` block; yields its base URL."""
    running = start_server(app, limit=limit)
    try:
        yield running.base_url
    finally:
        running.stop()
