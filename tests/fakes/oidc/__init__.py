"""Fake Google and Microsoft OpenID Connect providers on loopback ports (see server.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from tests.fakes.oidc.server import TENANT_ID, FakeOidc, FakePerson, OidcState, SigningKey
from tests.support.server import base_url_of, loopback_socket, start_server

__all__ = ["TENANT_ID", "FakeOidc", "FakePerson", "OidcState", "SigningKey", "running_idp"]


@contextmanager
def running_idp(
    kind: str, clock: Callable[[], datetime], person: FakePerson | None = None
) -> Iterator[FakeOidc]:
    """A fake ``google`` or ``microsoft`` identity provider, served while the block runs."""
    sock = loopback_socket()
    state = OidcState(kind=kind, clock=clock)
    if person is not None:
        state.person = person
    fake = FakeOidc(state, base_url_of(sock))
    running = start_server(fake, sock=sock)
    try:
        yield fake
    finally:
        running.stop()
