"""Identifiers we persist on users' calendars: block keys, content hashes, event ids
and the ownership tag.

Everything here outlives a release: a key, hash or id written today is read back by
every later version from calendars we do not control. So the block-key grammar is
parsed in this one place, and the ownership tag carries the version of the hash
scheme that produced it.

Block keys: ``rule/date/ordinal`` names one request; a request placed in several
pieces writes ``key`` for the first and ``key#i`` (``i`` = 1, 2, ...) for the others.

Migration path for the content hash: to change what is hashed, add the new function
to ``_SCHEMES`` under ``TAG_VERSION + 1`` and bump ``TAG_VERSION``; keep the old one.
A tag is always checked with the scheme that wrote it (:meth:`OwnershipTag.shows`),
so events written by an older release still read as unedited, and each is re-tagged
with the new scheme the next time we write it for another reason. A tag from a newer
release (unknown version) never matches: its block is treated as the user's edit and
left alone, the safe side.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import UTC, datetime

CHUNK_SEPARATOR = "#"

TAG_NAMESPACE = "csm-blocker"
"""Name under which providers store the ownership tag (property prefix)."""

TAG_VERSION = 1
"""Version of the content-hash scheme new tags are written with."""


def chunk_key(request_key: str, index: int) -> str:
    """The key of piece ``index`` of a request: the request key itself for piece 0."""
    if index < 0:
        raise ValueError(f"{request_key}: chunk index must be 0 or more, got {index}")
    return request_key if index == 0 else f"{request_key}{CHUNK_SEPARATOR}{index}"


def base_key(key: str) -> str:
    """The request a block key belongs to: ``key`` without a ``#i`` chunk suffix."""
    base, sep, index = key.rpartition(CHUNK_SEPARATOR)
    return base if sep and index.isdigit() else key


def request_of(key: str, requests: Container[str]) -> str | None:
    """Which of ``requests`` a block key belongs to (``key`` itself or ``key#i``'s
    base), or None when it belongs to none of them."""
    if key in requests:
        return key
    base = base_key(key)
    return base if base != key and base in requests else None


def in_family(key: str, request_key: str) -> bool:
    """True when ``key`` is ``request_key`` or one of its ``#i`` pieces."""
    return key == request_key or base_key(key) == request_key


def _require_aware(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("naive datetime: a content hash needs tz-aware start and end")


def _hash_v1(title: str, start: datetime, end: datetime) -> str:
    """Title + UTC start/end (the fields users edit), sha256, first 16 hex digits."""
    payload = "\x1f".join(
        (title, start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat())
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


_SCHEMES: dict[int, Callable[[str, datetime, datetime], str]] = {1: _hash_v1}


def content_hash(title: str, start: datetime, end: datetime, *, version: int = TAG_VERSION) -> str:
    """Stable short hash of what a user can change on the calendar, in scheme ``version``."""
    _require_aware(start, end)
    scheme = _SCHEMES.get(version)
    if scheme is None:
        raise ValueError(f"unknown content-hash version {version}; known: {sorted(_SCHEMES)}")
    return scheme(title, start, end)


_STORED = re.compile(r"v(\d{1,4}):(.+)")


@dataclass(frozen=True, slots=True)
class OwnershipTag:
    """What we write on every event we own: the block key, its content hash and the
    version of the hash scheme (see the module docstring for the migration path)."""

    key: str
    content_hash: str
    version: int = TAG_VERSION

    @property
    def stored_hash(self) -> str:
        """The hash as providers persist it: bare for version 1 (every tag written
        before versions existed), ``v<n>:<hash>`` for later versions."""
        return self.content_hash if self.version == 1 else f"v{self.version}:{self.content_hash}"

    @classmethod
    def parse(cls, key: str, stored_hash: str) -> OwnershipTag:
        """Inverse of :attr:`stored_hash`; a bare hash is version 1."""
        found = _STORED.fullmatch(stored_hash)
        if found is None:
            return cls(key, stored_hash, 1)
        return cls(key, found.group(2), int(found.group(1)))

    def shows(self, title: str, start: datetime, end: datetime) -> bool:
        """True when this tag's hash describes that content, in the tag's own scheme:
        the event shows what we wrote. A tag of an unknown version never does."""
        if self.version not in _SCHEMES:
            return False
        return content_hash(title, start, end, version=self.version) == self.content_hash


def event_id_for(calendar_id: str, key: str) -> str:
    """Deterministic event id: base32hex (Google's alphabet a-v0-9), 32 chars.

    Valid as a Google event id, a Graph ``transactionId`` and an ICS UID stem.
    """
    digest = hashlib.sha256(f"{calendar_id}\x1f{key}".encode()).digest()
    return base64.b32hexencode(digest).decode().lower().rstrip("=")[:32]
