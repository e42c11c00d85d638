"""Run an ASGI app with uvicorn on 127.0.0.1 in a background thread, optionally over TLS.

msal insists on an HTTPS authority, so the identity fake is served with a
certificate from a throwaway trustme CA; Graph can be plain HTTP (httpx does not care).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import trustme
import uvicorn


class TLSFiles:
    """A trustme CA and a loopback server certificate written to ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.ca = trustme.CA()
        cert = self.ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = directory / "ca.pem"
        self.cert_file = directory / "server.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        cert.private_key_and_cert_chain_pem.write_to_path(str(self.cert_file))


@contextmanager
def serve(app: Any, *, tls: TLSFiles | None = None) -> Iterator[str]:
    """Serve ``app`` until the block exits; yields its base URL (no trailing slash)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="off",
        ws="none",
        http="h11",
        access_log=False,
        ssl_certfile=str(tls.cert_file) if tls else None,
        ssl_keyfile=str(tls.cert_file) if tls else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    # uvicorn sets ``started`` from its loop; wait on it without a fixed sleep budget.
    for _ in range(2000):
        if server.started:
            started.set()
            break
        if not thread.is_alive():
            break
        threading.Event().wait(0.005)
    if not started.is_set():
        server.should_exit = True
        thread.join(5)
        sock.close()
        raise RuntimeError("fake server did not start")
    scheme = "https" if tls else "http"
    try:
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
