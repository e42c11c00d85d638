"""Event labels in the fake: a calendar's ``labelProperties`` and an event's ``eventLabelId``.

What the fake enforces, and where it is written down:

* Discovery document ``calendar.v3`` revision 20261030 (shipped with
  google-api-python-client), schemas ``LabelProperties`` / ``EventLabel`` /
  ``Calendar.labelProperties`` / ``Event.eventLabelId`` and the
  ``eventLabelVersion`` parameter of events.insert/import/patch/update:

  - "Each calendar can have a maximum of 200 labels" -> 400 above 200;
  - ``backgroundColor`` "in hexadecimal format, such as "#039be5" ... Required"
    -> 400 unless ``#rrggbb``;
  - ``name`` "If provided this must have at most 50 characters" -> 400 above 50;
  - ``id`` "Optional when inserting a new label. If not provided, a unique ID will be
    generated ... If provided, the ID must be unique within the calendar and follow
    UUID format" -> generated when absent, 400 when not a UUID or repeated;
  - ``eventLabels`` "If this is present when updating the calendar, it will replace
    the existing event labels" and ``labelProperties`` "If not specified, the label
    properties remain unchanged";
  - ``eventLabelVersion`` (0 or 1, default 0): "Version 0 assumes no event label
    support and processes the colorId field ... Version 1 ... processes the
    eventLabelId in the event's body. In this case, the colorId field is ignored", and
    ``eventLabelId``: "To set or change this property, you need to specify
    eventLabelVersion=1 ... Setting an empty string, or not setting this field at all,
    will remove the existing label from the event." So without version 1 an
    ``eventLabelId`` in the body is dropped (the event keeps the label it had), and
    with version 1 a body without it removes the event's label, on patch too.
  - An ``eventLabelId`` that names no label of the calendar: the document is silent;
    the fake takes the strict reading and answers 400.

* https://developers.google.com/workspace/calendar/api/guides/labels: "You must
  have owner access to a calendar to define or modify its labels" -> 403 for any
  other access role; read, modify the list, write it back "to avoid overwriting
  other labels".

* https://developers.google.com/calendar/api/guides/version-resources: a modification
  with ``If-Match`` whose etag is no longer current gets 412; every change of the
  calendar gives it a new etag.

* Scopes, from the discovery document's ``scopes`` of calendars.get and
  calendars.patch/update: ``calendar.events`` alone is not enough -> 403
  ``insufficientPermissions`` ("Request had insufficient authentication scopes.").
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.google.errors import Reply, error_reply

MAX_LABELS = 200
MAX_NAME = 50
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_AUTH = "https://www.googleapis.com/auth/"
READ_SCOPES = frozenset(
    _AUTH + s
    for s in (
        "calendar",
        "calendar.app.created",
        "calendar.calendars",
        "calendar.calendars.readonly",
        "calendar.readonly",
    )
)
"""calendars.get (discovery document)."""
WRITE_SCOPES = frozenset(
    _AUTH + s for s in ("calendar", "calendar.app.created", "calendar.calendars")
)
"""calendars.patch / calendars.update (discovery document)."""


def insufficient_scopes() -> Reply:
    return error_reply(
        403, "insufficientPermissions", "Request had insufficient authentication scopes."
    )


@dataclass
class CalendarLabels:
    """One calendar's label list and the version its etag is made of."""

    labels: list[dict[str, str]] = field(default_factory=list)
    version: int = 1
    patches: int = 0
    """calendars.patch/update calls that changed the calendar (for request-count tests)."""


class LabelRegistry:
    """The labels of every calendar of the fake, keyed by calendar id."""

    def __init__(self) -> None:
        self.calendars: dict[str, CalendarLabels] = {}
        self._after_read: dict[str, list[dict[str, str]]] = {}

    def of(self, calendar_id: str) -> CalendarLabels:
        return self.calendars.setdefault(calendar_id, CalendarLabels())

    def etag(self, calendar_id: str) -> str:
        return f'"c{calendar_id}-{self.of(calendar_id).version}"'

    def view(self, calendar_id: str) -> dict[str, Any]:
        """The parts of a Calendar resource this module owns (etag, labelProperties)."""
        labels = self.of(calendar_id).labels
        return {
            "etag": self.etag(calendar_id),
            "labelProperties": {"eventLabels": [dict(label) for label in labels]},
        }

    # -- the user, through the Calendar UI ----------------------------------------------

    def user_sets(self, calendar_id: str, labels: list[dict[str, str]]) -> None:
        """Backdoor: the user edits the label list (the calendar gets a new etag)."""
        state = self.of(calendar_id)
        state.labels = [dict(label) for label in labels]
        state.version += 1

    def race_next_read(self, calendar_id: str, labels: list[dict[str, str]]) -> None:
        """Backdoor: right after the next calendars.get is answered, the user changes the
        labels in another tab (so a write with that read's etag meets a 412)."""
        self._after_read[calendar_id] = [dict(label) for label in labels]

    def was_read(self, calendar_id: str) -> None:
        """Called by the server after answering calendars.get."""
        labels = self._after_read.pop(calendar_id, None)
        if labels is not None:
            self.user_sets(calendar_id, labels)

    # -- calendars.patch / calendars.update -----------------------------------------------

    def update(
        self,
        calendar_id: str,
        body: dict[str, Any],
        if_match: str | None,
        access_role: str,
    ) -> Reply | None:
        """Apply the label part of a calendar update; an error reply, or None when done."""
        if access_role != "owner":
            return error_reply(403, "forbidden", "You need to have owner access to this calendar.")
        if if_match is not None and if_match != self.etag(calendar_id):
            return error_reply(412, "conditionNotMet", "Precondition Failed")
        props = body.get("labelProperties")
        if props is None:
            self.of(calendar_id).version += 1
            return None
        if not isinstance(props, dict):
            return error_reply(400, "invalid", "Invalid value for labelProperties.")
        raw = props.get("eventLabels", [])
        if not isinstance(raw, list):
            return error_reply(400, "invalid", "Invalid value for eventLabels.")
        checked = _check_labels(raw)
        if isinstance(checked, tuple):
            return checked
        state = self.of(calendar_id)
        state.labels = checked
        state.version += 1
        state.patches += 1
        return None

    # -- events.insert / events.patch -----------------------------------------------------

    def prepare_event(
        self, calendar_id: str, body: dict[str, Any], query: dict[str, list[str]]
    ) -> Reply | None:
        """Apply ``eventLabelVersion`` to an event body in place; an error reply, or None."""
        raw = query.get("eventLabelVersion", ["0"])[0]
        if raw not in ("0", "1"):
            return error_reply(400, "invalid", f"Invalid value for eventLabelVersion: {raw}")
        if raw == "0":
            body.pop("eventLabelId", None)  # not processed without version 1
            return None
        body.pop("colorId", None)  # "the colorId field is ignored"
        label_id = body.get("eventLabelId") or ""
        if label_id and label_id not in {lab["id"] for lab in self.of(calendar_id).labels}:
            return error_reply(400, "invalid", f"Invalid event label id: {label_id}")
        body["eventLabelId"] = label_id  # "" removes the label (stripped when stored)
        return None

    def colour_of(self, calendar_id: str, label_id: str | None) -> str | None:
        """The background colour an event with ``label_id`` is shown in (None: no label)."""
        for label in self.of(calendar_id).labels:
            if label["id"] == label_id:
                return label["backgroundColor"]
        return None


def _check_labels(raw: list[Any]) -> list[dict[str, str]] | Reply:
    if len(raw) > MAX_LABELS:
        return error_reply(
            400, "invalid", f"A calendar can have at most {MAX_LABELS} event labels."
        )
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, dict):
            return error_reply(400, "invalid", "Invalid event label.")
        colour = item.get("backgroundColor")
        if not isinstance(colour, str) or not HEX_COLOUR.match(colour):
            return error_reply(400, "invalid", f"Invalid label backgroundColor: {colour!r}")
        name = item.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME):
            return error_reply(400, "invalid", f"Label name longer than {MAX_NAME} characters.")
        label_id = item.get("id")
        if label_id is None:
            label_id = str(uuid.uuid4())
        if not isinstance(label_id, str) or not _is_uuid(label_id):
            return error_reply(400, "invalid", f"Label id must be a UUID: {label_id!r}")
        if label_id in seen:
            return error_reply(400, "duplicate", f"Label id {label_id} is not unique.")
        seen.add(label_id)
        label = {"id": label_id, "backgroundColor": colour}
        if name is not None:
            label["name"] = name
        out.append(label)
    return out


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


__all__ = [
    "MAX_LABELS",
    "READ_SCOPES",
    "WRITE_SCOPES",
    "CalendarLabels",
    "LabelRegistry",
    "insufficient_scopes",
]
