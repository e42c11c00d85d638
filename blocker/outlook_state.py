"""An Outlook calendar's between-runs memory, kept in the store for every process.

:class:`providers.outlook_tags.OutlookState` is what ``OutlookCalendar`` needs to
remember (the tags of our events at their etags, whether colours were refused);
this adapter keeps it in the store's ``event_tags`` and ``capability_fallbacks``
tables for one calendar, so the CLI, the web process and every worker share it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from blocker.core.keys import OwnershipTag
from blocker.store import Store
from providers.outlook_tags import Tagged

COLOURS = "outlook.colours"
"""The capability name of Outlook categories in ``capability_fallbacks``."""

NOT_GRANTED = (
    "Outlook colours are off for this calendar: its connection was not granted the "
    "MailboxSettings.ReadWrite permission (where Outlook keeps categories), so blocks are "
    "written without colour. Connect the calendar again and allow that permission to get "
    "them back."
)


class StoreOutlookState:
    """:class:`~providers.outlook_tags.OutlookState` of ``calendar_id`` in ``store``."""

    def __init__(self, store: Store, calendar_id: str) -> None:
        self.store = store
        self.calendar_id = calendar_id

    def tags(self, event_ids: Collection[str]) -> dict[str, Tagged]:
        stored = self.store.event_tags(self.calendar_id, event_ids)
        return {
            event_id: (etag, OwnershipTag.parse(key, stored_hash))
            for event_id, (etag, key, stored_hash) in stored.items()
        }

    def remember_tags(self, tags: Mapping[str, Tagged]) -> None:
        self.store.save_event_tags(
            self.calendar_id,
            {event_id: (etag, tag.key, tag.stored_hash) for event_id, (etag, tag) in tags.items()},
        )

    def forget_tags(self, event_ids: Collection[str]) -> None:
        self.store.drop_event_tags(self.calendar_id, event_ids)

    def colours_off(self) -> str | None:
        found = self.store.fallback(self.calendar_id, COLOURS)
        return None if found is None else found.reason

    def turn_colours_off(self, reason: str) -> None:
        self.store.save_fallback(self.calendar_id, COLOURS, reason)


__all__ = ["COLOURS", "NOT_GRANTED", "StoreOutlookState"]
