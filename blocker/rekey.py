"""Old block keys read as new ones, for accounts whose key changed (``rules.keys``).

Before keys were Unicode-aware, ``Müller & Söhne GmbH`` was ``m-ller-s-hne-gmbh``
and a lone Japanese name was ``account``. The calendar and the store still hold
those keys; reading them under the new key keeps every such event where it is
(no delete + create) and the user's pins and edits on it. An event is re-tagged
with the new key the next time a real change rewrites it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from blocker.core.keys import base_key
from blocker.core.models import Block, Pin, RemoteEvent
from blocker.state import EventMapping


@dataclass(frozen=True)
class Rekey:
    """Translate keys by ``(old, new)`` request-key pairs (``WeekSpec.key_aliases``)."""

    pairs: tuple[tuple[str, str], ...] = ()

    def key(self, key: str) -> str:
        """``key`` (or a chunk ``key#i`` of it) under its new name, else unchanged."""
        if not self.pairs:
            return key
        base = base_key(key)
        new = dict(self.pairs).get(base)
        return key if new is None else new + key[len(base) :]

    def old_keys(self, key: str) -> list[str]:
        """The old names of a new ``key`` (to forget the store rows under them too)."""
        base = base_key(key)
        return [old + key[len(base) :] for old, new in self.pairs if new == base]

    def events(self, events: Iterable[RemoteEvent]) -> list[RemoteEvent]:
        return [
            e
            if e.tag is None or self.key(e.tag.key) == e.tag.key
            else replace(e, tag=replace(e.tag, key=self.key(e.tag.key)))
            for e in events
        ]

    def pins(self, pins: Iterable[Pin]) -> list[Pin]:
        return [replace(p, key=self.key(p.key)) for p in pins]

    def mappings(self, mappings: Mapping[str, EventMapping]) -> dict[str, EventMapping]:
        out: dict[str, EventMapping] = {}
        for key, mapping in mappings.items():
            new = self.key(key)
            if new == key or new not in mappings:  # a row under the new key wins
                out[new] = replace(mapping, key=new)
        return out

    def blocks(self, blocks: Iterable[Block]) -> list[Block]:
        return [replace(b, key=self.key(b.key)) for b in blocks]
