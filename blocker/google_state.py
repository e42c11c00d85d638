"""A Google calendar's event labels as set up, kept in the store for every process.

:class:`providers.google_labels.LabelMemory` of one calendar, in the store's
``event_tags`` table (no table of its own): one row per label, under an event id
no Google event can have (Google ids are base32hex, ``a-v0-9``; ours start with
``csm-label:``), with the label id in ``etag``, its name in ``key`` and its colour
in ``content_hash``. A new connection does not clear them: the labels stay on the
calendar, and a label found missing is set up again (see ``LabelBook.forget``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from blocker.store import Store

PREFIX = "csm-label:"


class StoreLabelMemory:
    """What is set up on ``calendar_id``, remembered in ``store``."""

    def __init__(self, store: Store, calendar_id: str) -> None:
        self.store = store
        self.calendar_id = calendar_id

    def load(self, names: Collection[str]) -> dict[str, tuple[str, str]]:
        rows = self.store.event_tags(self.calendar_id, [PREFIX + n for n in names])
        return {key: (label_id, colour) for label_id, key, colour in rows.values()}

    def save(self, labels: Mapping[str, tuple[str, str]]) -> None:
        self.store.save_event_tags(
            self.calendar_id,
            {
                PREFIX + name: (label_id, name, colour)
                for name, (label_id, colour) in labels.items()
            },
        )

    def forget(self, names: Collection[str]) -> None:
        self.store.drop_event_tags(self.calendar_id, [PREFIX + n for n in names])


__all__ = ["PREFIX", "StoreLabelMemory"]
