"""Personal API tokens: their format, how they are kept, and checking one.

A token reads ``cbt_<prefix>_<secret>``: ``prefix`` is 12 random hex digits, public,
stored in clear to find the row in one indexed look-up; ``secret`` is 32 random
bytes (256 bits, URL-safe base64). Only SHA-256 of the secret is stored.

Why a plain SHA-256 and not argon2 or bcrypt: slow hashes protect secrets people
choose, which are guessable; a 256-bit random secret cannot be guessed from its
hash at any speed, so a slow hash would only spend CPU on every API call. Why
not keyed: the only key at hand (the install salt) lives in the same database as
the hashes, so it would add nothing against a stolen database.

Checking compares hashes with :func:`hmac.compare_digest`, and compares against a
dummy hash when the prefix is unknown, so timing does not tell which prefixes
exist. Nothing here logs a token; :func:`redacted` is what logs may show.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from blocker.core.errors import InvalidInput
from blocker.store.api_tokens import SCOPES, ApiTokenRecord, Scope, TokenStore

__all__ = [
    "MARK",
    "MAX_DAYS",
    "Checked",
    "IssuedToken",
    "Refusal",
    "check",
    "check_scope",
    "hash_secret",
    "issue",
    "looks_personal",
    "redacted",
]

MARK = "cbt_"
MAX_DAYS = 366
_SHAPE = re.compile(r"^cbt_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_DUMMY_HASH = hashlib.sha256(b"no such token").hexdigest()

Refusal = Literal["malformed", "unknown", "revoked", "expired", "disabled"]


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just made: ``text`` is shown once and never again."""

    text: str
    record: ApiTokenRecord


@dataclass(frozen=True, slots=True)
class Checked:
    """A presented token: its record when it is good, else why not."""

    record: ApiTokenRecord | None
    refusal: Refusal | None = None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def looks_personal(text: str) -> bool:
    return text.startswith(MARK)


def redacted(text: str) -> str:
    """What a log may say about a presented token: its public prefix, at most."""
    shape = _SHAPE.match(text)
    return f"{MARK}{shape.group(1)}_…" if shape else "(not a personal token)"


def check_scope(scope: str) -> Scope:
    if scope not in SCOPES:
        raise InvalidInput(f"unknown scope {scope!r}: use read or write")
    return "read" if scope == "read" else "write"


def issue(
    store: TokenStore,
    user_id: int,
    *,
    scope: str,
    name: str,
    days: int | None,
    now: datetime,
) -> IssuedToken:
    """Make a token for ``user_id``; it expires after ``days`` (None: never)."""
    chosen = check_scope(scope)
    label = name.strip()[:100] or "token"
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"a token expires after 1 to {MAX_DAYS} days")
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    expires = now + timedelta(days=days) if days is not None else None
    record = store.create_api_token(
        user_id, prefix, hash_secret(secret), name=label, scope=chosen, expires_at=expires
    )
    return IssuedToken(f"{MARK}{prefix}_{secret}", record)


def check(store: TokenStore, text: str, now: datetime) -> Checked:
    """Is ``text`` a live token of an enabled user at ``now``? Records its use if so."""
    shape = _SHAPE.match(text)
    if shape is None:
        return Checked(None, "malformed")
    prefix, secret = shape.groups()
    found = store.api_token_for_check(prefix)
    stored = found[1] if found is not None else _DUMMY_HASH
    matches = hmac.compare_digest(hash_secret(secret).encode(), stored.encode())
    if found is None or not matches:
        return Checked(None, "unknown")
    record = found[0]
    state = record.state(now)
    if state != "active":
        return Checked(None, "revoked" if state == "revoked" else "expired")
    if record.user_disabled:
        return Checked(None, "disabled")
    store.touch_api_token(record.id)
    return Checked(record)
