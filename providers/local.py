"""The embedded default calendar: a local .ics file, no account needed.

The file at ``path`` holds our blocks and whatever the user put there. The file
is handled as a list of top-level components kept as raw text
(:mod:`providers.ics_document`): our VEVENTs are
rendered by :mod:`providers.ics`, every other component (foreign events,
VTIMEZONEs, to-dos) is written back exactly as it was read, so we never change
what is not ours. ``busy_files`` are read-only sources of foreign events.

Writes are read-modify-write under an ``fcntl`` lock on a side file
(``<name>.lock``: the calendar file itself is replaced, so it cannot carry the
lock) and land atomically (temp file + ``os.replace``): two runs never clobber
each other, and a crash leaves either the old or the new file.

Sync tokens are self-contained: the window plus each event's etag, compressed.
An incremental read compares that with the file now. Such a token never goes
stale by age; one for another calendar or another window raises
:class:`SyncTokenExpired` (a full read follows, as for Google's 410).
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import os
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import icalendar

from blocker.core.errors import (
    EventNotFound,
    OwnershipError,
    PreconditionFailed,
    ProviderError,
    SyncTokenExpired,
)
from blocker.core.files import UnsafePath, read_limited, shown
from blocker.core.models import (
    Capabilities,
    EventDraft,
    Interval,
    ReadResult,
    RemoteEvent,
    TentativeAs,
)
from providers.base import CalendarProvider, Write, WriteResult
from providers.ics import (
    IcsLimits,
    Owner,
    default_header,
    etag_of,
    foreign_events,
    owned_event,
    parse_calendar,
    render_vevent,
)
from providers.ics_document import Chunk, Document, foreign_etags, split_document
from providers.ics_expand import DEFAULT_ICS_LIMITS

_T = TypeVar("_T")
_TOKEN_PREFIX = "ics1."


class LocalCalendar(CalendarProvider):
    """Our blocks in a local .ics file, plus read-only busy .ics files."""

    def __init__(
        self,
        path: Path,
        busy_files: Sequence[Path] = (),
        *,
        name: str = "local",
        timezone: str | None = None,
        owner_emails: Sequence[str] = (),
        owner_domains: Sequence[str] = (),
        tentative: TentativeAs = "busy",
        batch_size: int = 500,
        limits: IcsLimits = DEFAULT_ICS_LIMITS,
    ) -> None:
        """``timezone`` places floating times and all-day dates (default: the read window's);
        ``owner_emails``/``owner_domains`` find the owner's answer, ``tentative`` says how
        a tentative one counts (rules ``owner``); ``limits`` bound every file read.

        Nothing is created here: a missing calendar file reads as empty, and the file
        (and its folder) appear with the first write."""
        self.name = name
        self.limits = limits
        self.path = Path(path)
        self.busy_files = tuple(Path(p) for p in busy_files)
        self.capabilities = Capabilities(
            colors=True, incremental=True, batch_size=batch_size, max_concurrency=1
        )
        self._zone: tzinfo | None = None
        if timezone is not None:
            self._zone = ZoneInfo(timezone)
        self._owner = Owner.of(owner_emails, owner_domains, tentative)
        self._identity = hashlib.sha256(
            "\x1f".join(str(p.resolve()) for p in (self.path, *self.busy_files)).encode()
        ).hexdigest()[:12]

    # -- reading ------------------------------------------------------------------------

    def read(self, window: Interval, sync_token: str | None = None) -> ReadResult:
        zone = self._zone or window.start.tzinfo or UTC
        doc = self._load()
        events: dict[str, RemoteEvent] = {}
        for chunk in doc.chunks:
            if chunk.owned:
                event = self._owned(chunk, zone)
                if Interval(event.start, max(event.start, event.end)).overlaps(window):
                    events.setdefault(event.event_id, event)
        calendars = [(doc, self.path)] + [(self._load_busy(p), p) for p in self.busy_files]
        skipped: list[str] = []
        for source, path in calendars:
            calendar = self._parse(source.text(), path)
            etags = foreign_etags(source)
            left_out: list[str] = []
            found = foreign_events(
                calendar, window, zone, self._owner, etags, limits=self.limits, skipped=left_out
            )
            skipped += [f"{shown(path)}: {line}" for line in left_out]
            for event in found:
                events.setdefault(event.event_id, event)
        ordered = sorted(events.values(), key=lambda e: (e.start, e.end, e.event_id))
        state = {e.event_id: e.etag or "" for e in ordered}
        token = self._encode_token(window, state)
        if sync_token is None:
            return ReadResult(events=tuple(ordered), sync_token=token, skipped=tuple(skipped))
        before = self._decode_token(sync_token, window)
        changed = tuple(e for e in ordered if before.get(e.event_id) != state[e.event_id])
        removed = tuple(sorted(i for i in before if i not in state))
        return ReadResult(
            events=changed,
            sync_token=token,
            incremental=True,
            removed=removed,
            skipped=tuple(skipped),
        )

    # -- writing ------------------------------------------------------------------------

    def _create(self, draft: EventDraft) -> RemoteEvent:
        return self._mutate(lambda doc: self._create_in(doc, draft))

    def _update(self, current: RemoteEvent, draft: EventDraft) -> RemoteEvent:
        return self._mutate(lambda doc: self._update_in(doc, current, draft))

    def _delete(self, current: RemoteEvent) -> None:
        self._mutate(lambda doc: self._delete_in(doc, current))

    def _write_batch(self, writes: Sequence[Write]) -> list[WriteResult]:
        """All writes under one lock and one atomic file replacement."""

        def apply(doc: Document) -> list[WriteResult]:
            results: list[WriteResult] = []
            for write in writes:
                try:
                    if write.action == "create":
                        assert write.draft is not None
                        results.append(self._create_in(doc, write.draft))
                    elif write.action == "update":
                        assert write.draft is not None and write.current is not None
                        results.append(self._update_in(doc, write.current, write.draft))
                    else:
                        assert write.current is not None
                        self._delete_in(doc, write.current)
                        results.append(None)
                except ProviderError as exc:
                    results.append(exc)
            return results

        return self._mutate(apply)

    def _create_in(self, doc: Document, draft: EventDraft) -> RemoteEvent:
        index = doc.owned_index(draft.event_id)
        if index is not None:
            return self._owned(doc.chunks[index], self._write_zone(draft))
        chunk = Chunk("VEVENT", render_vevent(draft))
        doc.chunks.append(chunk)
        return self._owned(chunk, self._write_zone(draft))

    def _update_in(self, doc: Document, current: RemoteEvent, draft: EventDraft) -> RemoteEvent:
        index = self._conditional(doc, current)
        old = doc.chunks[index]
        sequence = int(old.prop("SEQUENCE") or 0)
        text = render_vevent(draft, sequence=sequence)
        if text != old.text:
            text = render_vevent(draft, sequence=sequence + 1)
        doc.chunks[index] = Chunk("VEVENT", text)
        return self._owned(doc.chunks[index], self._write_zone(draft))

    def _delete_in(self, doc: Document, current: RemoteEvent) -> None:
        del doc.chunks[self._conditional(doc, current)]

    def _conditional(self, doc: Document, current: RemoteEvent) -> int:
        """Index of the owned chunk ``current`` names, if its etag still holds."""
        index = doc.owned_index(current.event_id)
        if index is None:
            if doc.has_foreign(current.event_id):
                raise OwnershipError(
                    f"event {current.event_id!r} in {self.path} is not ours", provider=self.name
                )
            raise EventNotFound(
                f"event {current.event_id!r} is gone from {self.path}", provider=self.name
            )
        if current.etag is not None and current.etag != etag_of(doc.chunks[index].text):
            raise PreconditionFailed(
                f"event {current.event_id!r} changed in {self.path} since it was read",
                provider=self.name,
            )
        return index

    # -- file handling --------------------------------------------------------------------

    def _mutate(self, change: Callable[[Document], _T]) -> _T:
        with self._locked():
            doc = self._load()
            before = doc.text()
            result = change(doc)
            if doc.text() != before:
                self._save(doc)
            return result

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The write lock (only writes take it: it creates the folder and lock file)."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _load(self) -> Document:
        """The calendar file (empty if missing); refused if it is not a calendar, so a
        write never replaces some other file with calendar text."""
        if not self.path.exists() and not self.path.is_symlink():
            return Document(default_header(self.name))
        text = self._read_text(self.path)
        if text.strip() and "BEGIN:VCALENDAR" not in text.upper():
            raise self._broken(self.path, "not an iCalendar file")
        return split_document(text, fallback_header=default_header(self.name))

    def _load_busy(self, path: Path) -> Document:
        return split_document(self._read_text(path), fallback_header=default_header(path.stem))

    def _read_text(self, path: Path) -> str:
        """A file's text within the size limit: never a pipe, a device or a symlink."""
        try:
            return read_limited(path, self.limits.max_bytes).decode("utf-8")
        except UnsafePath as exc:
            raise self._broken(path, str(exc)) from exc
        except UnicodeDecodeError as exc:
            raise self._broken(path, "not UTF-8") from exc

    def _save(self, doc: Document) -> None:
        data = doc.text().encode("utf-8")
        mode = self.path.stat().st_mode & 0o777 if self.path.exists() else 0o600
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _parse(self, text: str, path: Path) -> icalendar.Calendar:
        try:
            return parse_calendar(text.encode("utf-8"), source=str(path))
        except ValueError as exc:
            raise self._broken(path, str(exc)) from exc

    def _owned(self, chunk: Chunk, zone: tzinfo) -> RemoteEvent:
        try:
            component = icalendar.Event.from_ical(chunk.text)
            return owned_event(component, etag_of(chunk.text), zone)
        except ValueError as exc:
            raise self._broken(self.path, f"block {chunk.event_id}: {exc}") from exc

    def _write_zone(self, draft: EventDraft) -> tzinfo:
        return self._zone or draft.start.tzinfo or UTC

    def _broken(self, path: Path, why: str) -> ProviderError:
        return ProviderError(
            f"cannot read calendar file {shown(path)}: {why}",
            provider=self.name,
            hint="fix the file or point the calendar at another path",
        )

    # -- sync tokens ------------------------------------------------------------------------

    def _encode_token(self, window: Interval, state: dict[str, str]) -> str:
        payload = {"c": self._identity, "w": _window_key(window), "s": state}
        raw = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return _TOKEN_PREFIX + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode()

    def _decode_token(self, token: str, window: Interval) -> dict[str, str]:
        stale = SyncTokenExpired(
            "sync token does not fit this calendar and window", provider=self.name
        )
        if not token.startswith(_TOKEN_PREFIX):
            raise stale
        try:
            raw = zlib.decompress(base64.urlsafe_b64decode(token[len(_TOKEN_PREFIX) :]))
            payload = json.loads(raw)
        except (binascii.Error, zlib.error, ValueError):
            raise stale from None
        if (
            not isinstance(payload, dict)
            or payload.get("c") != self._identity
            or payload.get("w") != _window_key(window)
            or not isinstance(payload.get("s"), dict)
        ):
            raise stale
        return {str(k): str(v) for k, v in payload["s"].items()}


def _window_key(window: Interval) -> list[str]:
    return [_utc(window.start), _utc(window.end)]


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


__all__ = ["LocalCalendar", "split_document"]
