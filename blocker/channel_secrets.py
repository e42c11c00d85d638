"""Push-channel secrets that prove themselves: checked with the key before any database work.

A webhook is public, so a forged notification must cost next to nothing. The
secret we hand Google (the channel token) and Graph (``clientState``) is a MAC
under a key derived from ``BLOCKER_ENCRYPTION_KEY``, so a call whose secret does
not verify is refused by arithmetic alone; only a call that carries a genuine
secret reaches the store (which still checks it against the channel's stored
hash, so a deleted channel stays refused).

* Google: ``v2.<mac(channel id)>``; we choose the channel id before ``events.watch``.
* Graph: ``<nonce>.<mac(nonce)>`` with ``nonce = "v2." + random``; Graph assigns the
  subscription id only after creation, so the state carries its own nonce. The
  nonce is stored with the channel (``resource_id``): renewing a subscription
  (PATCH) keeps its clientState, and the hash must be saved again.

Secrets of channels opened before this scheme (random tokens, a bare hex MAC) do
not verify: such a channel is replaced at its next renewal (Google channels are
always replaced; Graph ones with an old nonce too), and polling covers the gap.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from blocker.core.errors import SettingsError
from blocker.settings import Settings

VERSION = "v2"
MAX_SECRET_LENGTH = 128
"""Graph allows a clientState of 128 characters; ours are 71, Google's tokens 46."""


def _key(settings: Settings) -> bytes:
    if settings.encryption_key is None:
        raise SettingsError("BLOCKER_ENCRYPTION_KEY is needed to open push channels")
    return hmac.new(
        settings.encryption_key.get_secret_value().encode(),
        b"csm-blocker push channel secrets v2",
        hashlib.sha256,
    ).digest()


def _mac(settings: Settings, purpose: str, message: str) -> str:
    digest = hmac.new(_key(settings), f"{purpose}:{message}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _same(given: str, expected: str) -> bool:
    # bytes: compare_digest raises TypeError on non-ASCII str
    return hmac.compare_digest(given.encode(), expected.encode())


def google_channel_token(settings: Settings, channel_id: str) -> str:
    """The ``token`` of the ``events.watch`` channel ``channel_id``."""
    return f"{VERSION}.{_mac(settings, 'google-channel-token', channel_id)}"


def google_token_ok(settings: Settings, channel_id: str, token: str | None) -> bool:
    """True when ``token`` is the one we gave channel ``channel_id`` (no database)."""
    if settings.encryption_key is None or not token or len(token) > MAX_SECRET_LENGTH:
        return False
    return _same(token, google_channel_token(settings, channel_id))


def new_graph_nonce() -> str:
    """A fresh nonce for a Graph subscription (no ``.`` inside: the state splits on it)."""
    return f"{VERSION}.{secrets.token_urlsafe(18)}"


def is_current_graph_nonce(nonce: str | None) -> bool:
    """True for a nonce of this scheme (an older channel is replaced, not renewed)."""
    return bool(nonce) and str(nonce).startswith(f"{VERSION}.") and str(nonce).count(".") == 1


def graph_client_state(settings: Settings, nonce: str) -> str:
    """The ``clientState`` of the Graph subscription whose stored nonce is ``nonce``."""
    if not is_current_graph_nonce(nonce):
        raise ValueError("not a nonce of the current scheme: replace the subscription")
    return f"{nonce}.{_mac(settings, 'graph-client-state', nonce)}"


def graph_state_ok(settings: Settings, state: object) -> bool:
    """True when ``state`` is a clientState we made (no database)."""
    if settings.encryption_key is None or not isinstance(state, str):
        return False
    if len(state) > MAX_SECRET_LENGTH or state.count(".") != 2:
        return False
    nonce, _, _mac_part = state.rpartition(".")
    if not is_current_graph_nonce(nonce):
        return False
    return _same(state, graph_client_state(settings, nonce))


__all__ = [
    "MAX_SECRET_LENGTH",
    "google_channel_token",
    "google_token_ok",
    "graph_client_state",
    "graph_state_ok",
    "is_current_graph_nonce",
    "new_graph_nonce",
]
