"""Exact rule colours on Google: one calendar event label per rule colour.

Google's ``colorId`` offers 11 fixed colours, so a rule's ``#D50000`` used to land
on the nearest of them. Calendar event labels (discovery document ``calendar.v3``
revision 20261030: ``Calendar.labelProperties.eventLabels``, ``Event.eventLabelId``,
``eventLabelVersion=1``; https://developers.google.com/workspace/calendar/api/guides/labels)
carry any ``#rrggbb``. They need owner access to the calendar and a scope that may
change calendars (``calendar`` or ``calendar.calendars``).

The label list belongs to the user as much as to us: it is read, our labels are
merged in (the user's are kept exactly as they were, order included) and written
back with ``If-Match`` on the calendar's etag; a 412 means someone changed the
calendar meanwhile, so it is read and merged once more. Our label ids are UUIDs
derived from the label's name, so a label we made is recognised on any calendar and
from any process, even with nothing remembered.

What is set up is remembered (:class:`LabelMemory`, kept in the store by the
factory), so the calendar is read only when a label a write needs is missing or has
another colour: once per calendar, and again only when a rule's colour changes.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from googleapiclient.errors import HttpError

from blocker.core.errors import PreconditionFailed, ProviderError, ReconnectRequired, TransientError
from blocker.core.models import EventDraft
from providers.colour_names import MAX_NAME, PREFIX, colour_name
from providers.google_retry import Backoff, call

log = logging.getLogger(__name__)

CAPABILITY = "event_labels"
"""The name of this capability in the store's capability fallbacks."""
LABEL_PREFIX = PREFIX
"""Every label we make is named so; Outlook categories use the same names."""
MAX_LABELS = 200
"""'Each calendar can have a maximum of 200 labels' (LabelProperties.eventLabels)."""
OWNER_ROLES = frozenset({"owner"})
"""Access roles that may define labels: 'You must have owner access to a calendar to
define or modify its labels' (labels guide). ``writer`` and below may not."""
LABEL_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/calendar",
        "https://www.googleapis.com/auth/calendar.calendars",
    }
)
"""Scopes that allow calendars.get and calendars.patch (discovery document)."""
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
_NAMESPACE = uuid.UUID("6f1c9a52-3d7e-4b8a-9f0e-2c5d8b1a7e43")

Known = dict[str, tuple[str, str]]
"""Label name -> (label id, ``#rrggbb`` as set on the calendar)."""


class LabelsUnavailable(Exception):
    """Labels cannot be used on this calendar; ``reason`` says why, for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LabelMemory(Protocol):
    """What a calendar's labels were set up as, kept between processes."""

    def load(self, names: Collection[str]) -> Known:
        """What is remembered of those of ``names`` that are set up."""
        ...

    def save(self, labels: Mapping[str, tuple[str, str]]) -> None: ...

    def forget(self, names: Collection[str]) -> None: ...


class InMemoryLabels:
    """A :class:`LabelMemory` for one process (tests, a provider built without a store)."""

    def __init__(self) -> None:
        self._known: Known = {}

    def load(self, names: Collection[str]) -> Known:
        return {name: self._known[name] for name in names if name in self._known}

    def save(self, labels: Mapping[str, tuple[str, str]]) -> None:
        self._known.update(labels)

    def forget(self, names: Collection[str]) -> None:
        for name in names:
            self._known.pop(name, None)


def label_name(label: str) -> str:
    """``csm-blocker · Focus`` for ``Focus``, cut to Google's 50 characters."""
    return colour_name(label)


def label_id(name: str) -> str:
    """Our id for the label named ``name``: a UUID, the same on every calendar."""
    return str(uuid.uuid5(_NAMESPACE, name))


def wanted_labels(pairs: Mapping[str, str] | list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(label text, colour) of some blocks -> the label name each is written under.

    One label per name; when one name comes with two colours (two rules titled
    alike), each gets its colour appended so neither repaints the other.
    """
    items = list(pairs.items()) if isinstance(pairs, Mapping) else list(pairs)
    colours: dict[str, set[str]] = {}
    for text, colour in items:
        colours.setdefault(label_name(text), set()).add(colour.upper())
    out: dict[tuple[str, str], str] = {}
    for text, colour in items:
        name = label_name(text)
        if len(colours[name]) > 1:
            suffix = f" {colour.upper()}"
            name = name[: MAX_NAME - len(suffix)] + suffix
        out[(text, colour)] = name
    return out


def merge(
    existing: list[dict[str, Any]], wanted: Mapping[str, str]
) -> tuple[list[dict[str, Any]], bool]:
    """The calendar's label list with ours (name -> colour) added or recoloured.

    Every label that is not ours is passed through untouched and in place; ours are
    found by id (see :func:`label_id`). Returns the list and whether it changed;
    raises :class:`LabelsUnavailable` when it would exceed Google's 200.
    """
    merged = [dict(label) for label in existing]
    position = {str(label.get("id")): i for i, label in enumerate(merged)}
    changed = False
    for name, colour in sorted(wanted.items()):
        ours = {"id": label_id(name), "name": name, "backgroundColor": colour.lower()}
        at = position.get(ours["id"])
        if at is None:
            merged.append(ours)
            position[ours["id"]] = len(merged) - 1
            changed = True
        elif (
            str(merged[at].get("backgroundColor", "")).lower() != ours["backgroundColor"]
            or merged[at].get("name") != name
        ):
            merged[at] = {**merged[at], **ours}
            changed = True
    if len(merged) > MAX_LABELS:
        mine = sum(1 for label in merged if str(label.get("id")) in _ids(wanted))
        raise LabelsUnavailable(
            f"the calendar would need {len(merged)} event labels ({mine} of them ours) and "
            f"Google allows {MAX_LABELS}; delete some labels in Google Calendar"
        )
    return merged, changed


def _ids(wanted: Mapping[str, str]) -> set[str]:
    return {label_id(name) for name in wanted}


@dataclass
class LabelBook:
    """The labels of one calendar: the ids a write needs, set up on the calendar first.

    ``service`` is the Calendar v3 resource; ``memory`` what earlier runs set up.
    """

    service: Any
    calendar_id: str
    backoff: Backoff
    memory: LabelMemory
    _last: list[str] = field(default_factory=list)

    def ids(self, wanted: Mapping[str, str]) -> dict[str, str]:
        """Label name -> id for ``wanted`` (name -> ``#rrggbb``), each on the calendar
        with that colour. Reads and writes the calendar only when one is missing.

        Raises :class:`LabelsUnavailable` (the calendar refuses labels: record it and
        use ``colorId``), or :class:`TransientError` (try again another run).
        """
        self._last = list(wanted)
        known = self.memory.load(self._last)
        if any(
            name not in known or known[name][1].lower() != colour.lower()
            for name, colour in wanted.items()
        ):
            known = self._set_up(wanted)
        return {name: known[name][0] for name in wanted}

    def forget(self) -> None:
        """A write said a label is gone (the user deleted it): check the calendar again."""
        self.memory.forget(self._last)

    def _set_up(self, wanted: Mapping[str, str]) -> Known:
        for attempt in range(2):
            calendar = self._call(
                lambda: self.service.calendars().get(calendarId=self.calendar_id).execute(),
                "reading the calendar's event labels",
            )
            props = calendar.get("labelProperties") or {}
            existing = list(props.get("eventLabels") or [])
            merged, changed = merge(existing, wanted)
            if changed:
                try:
                    self._patch(merged, calendar.get("etag"))
                except PreconditionFailed:
                    if attempt == 0:
                        continue  # changed meanwhile: read it again and merge once more
                    raise TransientError(
                        "the calendar's labels changed twice while we added ours; "
                        "tried again on the next run",
                        provider="google",
                    ) from None
            ours = {
                str(label["name"]): (str(label["id"]), str(label["backgroundColor"]))
                for label in merged
                if "name" in label and label.get("id") == label_id(str(label["name"]))
            }
            self.memory.save(ours)
            return ours
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _patch(self, labels: list[dict[str, Any]], etag: object) -> None:
        def send() -> Any:
            request = self.service.calendars().patch(
                calendarId=self.calendar_id, body={"labelProperties": {"eventLabels": labels}}
            )
            if etag:
                request.headers["If-Match"] = str(etag)
            return request.execute()

        self._call(send, "writing the calendar's event labels")

    def _call(self, fn: Callable[[], Any], what: str) -> Any:
        """``fn`` with retries; a refusal (not an outage, not a revoked grant) becomes
        :class:`LabelsUnavailable` with Google's words."""
        try:
            return call(fn, self.backoff, what=what)
        except (TransientError, ReconnectRequired, PreconditionFailed):
            raise
        except ProviderError as exc:
            words = _google_words(exc.__cause__) or str(exc)
            raise LabelsUnavailable(f"Google refused {what}: {words}") from exc


def _google_words(exc: BaseException | None) -> str | None:
    """The ``error.message`` of a Google error answer (what the user should read)."""
    if not isinstance(exc, HttpError):
        return None
    try:
        return str(json.loads(exc.content)["error"]["message"])[:200]
    except (ValueError, KeyError, TypeError):
        return None


class Labeller:
    """Whether this calendar's blocks get labels, and which: the provider's one entry.

    Labels are skipped (``colorId`` is used) while a recorded refusal stands
    (``allowed``), when the grant lacks a calendar scope, when the user does not own
    the calendar (``access_role`` from the last events.list answer) or when Google
    refuses them; each of the last three is told once through ``on_refused``.
    """

    def __init__(
        self,
        book: LabelBook,
        *,
        granted: Iterable[str],
        allowed: Callable[[], bool] | None = None,
        on_refused: Callable[[str, str], None] | None = None,
    ) -> None:
        self.book = book
        self.granted = frozenset(granted)
        self.allowed = allowed
        self.on_refused = on_refused
        self.access_role: str | None = None
        """The user's role on the calendar, as the last events.list answer said."""
        self.refused: str | None = None
        """Why labels were last refused; without ``allowed`` (no persisted record) they
        stay off for the rest of this instance's life."""

    def ids_for(self, drafts: Iterable[EventDraft]) -> dict[tuple[str, str], str]:
        """(draft label, draft colour) -> label id, for the drafts that can carry one."""
        pairs = [(d.label, d.color) for d in drafts if _HEX.match(d.color)]
        if not pairs or not self._may_try():
            return {}
        names = wanted_labels(pairs)
        wanted = {name: colour for (_, colour), name in names.items()}
        try:
            ids = self.book.ids(wanted)
        except LabelsUnavailable as exc:
            self._refuse(exc.reason)
            return {}
        except TransientError as exc:  # colours are not worth failing a run for
            log.warning("event labels skipped this time: %s", exc.user_message())
            return {}
        return {pair: ids[name] for pair, name in names.items()}

    def forget(self) -> None:
        self.book.forget()

    def _may_try(self) -> bool:
        # With a persisted record (``allowed``) it alone decides, so a long-lived
        # process retries a week on like any other; without one, a refusal is final.
        if self.allowed is not None:
            if not self.allowed():
                return False
        elif self.refused is not None:
            return False
        if not self.granted & LABEL_SCOPES:
            self._refuse(
                "the connection was not granted a scope that may change calendars "
                "(calendar.calendars), which event labels need; connect the calendar "
                "again to allow it"
            )
            return False
        if self.access_role is not None and self.access_role not in OWNER_ROLES:
            self._refuse(
                f"you have {self.access_role} access to this calendar and only its owner "
                "may define event labels"
            )
            return False
        return True

    def _refuse(self, reason: str) -> None:
        self.refused = reason
        if self.on_refused is not None:
            self.on_refused(CAPABILITY, reason)


__all__ = [
    "CAPABILITY",
    "LABEL_PREFIX",
    "LABEL_SCOPES",
    "MAX_LABELS",
    "OWNER_ROLES",
    "InMemoryLabels",
    "LabelBook",
    "LabelMemory",
    "Labeller",
    "LabelsUnavailable",
    "label_id",
    "label_name",
    "merge",
    "wanted_labels",
]
