"""LocalCalendar (.ics file) and the ICS helpers: the contract plus file-level promises."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest

from providers.local import LocalCalendar, split_document
from tests.providers.contract import TZ, Harness, ProviderContract


class LocalHarness:
    """Plays the user by editing the .ics file directly, one component at a time."""

    supports_incremental = True

    def __init__(self, provider: LocalCalendar) -> None:
        self.provider = provider
        self._ids = itertools.count(1)

    def add_foreign(self, start: datetime, end: datetime, title: str = "Meeting", **kw: Any) -> str:
        uid = f"foreign-{next(self._ids)}@example.com"
        event = icalendar.Event()
        event.add("UID", uid)
        event.add("DTSTAMP", datetime(2026, 1, 1, tzinfo=TZ))
        if kw.pop("all_day", False):
            event.add("DTSTART", start.date())
            event.add("DTEND", end.date())
        else:
            event.add("DTSTART", start)
            event.add("DTEND", end)
        event.add("SUMMARY", title)
        assert not kw, f"unsupported fields {kw}"
        self._edit(lambda chunks: [*chunks, event.to_ical().decode()])
        return uid

    def move(self, event_id: str, start: datetime, end: datetime) -> None:
        def change(component: icalendar.Component) -> None:
            for name, value in (("DTSTART", start), ("DTEND", end)):
                del component[name]
                component.add(name, value)
            component["SEQUENCE"] = int(component.get("SEQUENCE", 0)) + 1

        self._edit_event(event_id, change)

    def remove(self, event_id: str) -> None:
        self._edit_event(event_id, None)

    def expire_sync_tokens(self) -> None:
        pytest.skip("local sync tokens are self-contained snapshots: they never expire by age")

    def _edit_event(self, event_id: str, change: Any) -> None:
        uids = {event_id, f"{event_id}@csm-blocker"}

        def edit(chunks: list[str]) -> list[str]:
            out: list[str] = []
            for text in chunks:
                component = icalendar.Event.from_ical(text)
                if str(component.get("UID")) not in uids:
                    out.append(text)
                elif change is not None:
                    change(component)
                    out.append(component.to_ical().decode())
            assert len(out) == len(chunks) - (change is None), f"no event {event_id}"
            return out

        self._edit(edit)

    def _edit(self, edit: Any) -> None:
        path = self.provider.path
        doc = split_document(path.read_text(), fallback_header=[])
        texts = edit([c.text for c in doc.chunks])
        body = "".join(t if t.endswith("\r\n") else t + "\r\n" for t in texts)
        head = "".join(f"{line}\r\n" for line in doc.header)
        path.write_bytes(f"BEGIN:VCALENDAR\r\n{head}{body}END:VCALENDAR\r\n".encode())


class TestLocalContract(ProviderContract):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> Harness:
        return LocalHarness(LocalCalendar(tmp_path / "cal" / "blocks.ics"))


class TestLocalContractOtherZone(ProviderContract):
    """Same contract with floating/all-day times placed by an explicit calendar zone."""

    @pytest.fixture
    def harness(self, tmp_path: Path) -> Harness:
        return LocalHarness(LocalCalendar(tmp_path / "blocks.ics", timezone="Europe/Berlin"))


def test_calendar_file_and_parents_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "blocks.ics"
    LocalCalendar(path, name="Work blocks")
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    assert str(calendar["X-WR-CALNAME"]) == "Work blocks"
    assert list(calendar.walk("VEVENT")) == []
    assert date(2026, 1, 1)  # keep import used by later tests
