"""The shared loopback server: it answers, runs the lifespan both ways, and stops."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from tests.support.server import loopback_socket, serve_app, start_server


def _app(events: list[str], *, fail_startup: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if fail_startup:
            raise RuntimeError("startup refused")
        events.append("startup")
        yield
        events.append("shutdown")

    app = FastAPI(lifespan=lifespan)

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    return app


def test_serve_app_answers_then_runs_the_shutdown_and_frees_the_port() -> None:
    events: list[str] = []
    with serve_app(_app(events)) as base:
        assert base.startswith("http://127.0.0.1:")
        assert httpx.get(f"{base}/ping", trust_env=False).json() == {"pong": "yes"}
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/ping", trust_env=False)


def test_a_socket_bound_first_is_the_one_served() -> None:
    sock = loopback_socket()
    port = sock.getsockname()[1]
    running = start_server(_app([]), sock=sock)
    try:
        assert running.base_url == f"http://127.0.0.1:{port}"
        assert httpx.get(f"{running.base_url}/ping", trust_env=False).status_code == 200
    finally:
        running.stop()


def test_a_lifespan_that_fails_fails_the_start_instead_of_waiting_out_the_limit() -> None:
    # A generous limit: only noticing the thread has ended makes this fail fast.
    with pytest.raises(AssertionError, match="did not start"):
        start_server(_app([], fail_startup=True), limit=120)
