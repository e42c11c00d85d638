"""Issue 15.5, right words, where they are printed: op lines, shortfall and conflict
lines, the week table and the wording helpers (exact strings, pinned datetimes).

The plan's zone is America/New_York in week 2026-W49 (Mon 30 Nov - Fri 4 Dec 2026,
EST, UTC-5); London is five hours ahead that week.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from rich.console import Console

from blocker.core.keys import OwnershipTag
from blocker.core.models import (
    Block,
    BlockRequest,
    Busy,
    Conflict,
    Op,
    Plan,
    RemoteEvent,
    Shortfall,
)
from blocker.planning import text
from blocker.render import (
    conflict_lines,
    explain_shortfall,
    op_line,
    print_ops,
    print_problems,
    shortfall_line,
    week_table,
)

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
WEEK = "2026-W49"


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    """Wall-clock time in New York on 30 Nov 2026 + ``day``."""
    return datetime(2026, 11, 30, hour, minute, tzinfo=NY) + timedelta(days=day)


def block(key: str, title: str, start: datetime, minutes: int, **kw: object) -> Block:
    return Block(
        key=key,
        rule=key.split("/")[0],
        kind="block",
        title=title,
        start=start,
        end=start + timedelta(minutes=minutes),
        **kw,  # type: ignore[arg-type]
    )


def event_of(b: Block) -> RemoteEvent:
    """``b`` as a provider reads it back: in UTC."""
    return RemoteEvent(
        event_id=f"ev-{b.key}",
        start=b.start.astimezone(UTC),
        end=b.end.astimezone(UTC),
        title=b.title,
        tag=OwnershipTag(b.key, b.content_hash),
        all_day=b.all_day,
    )


MARKER = Block(
    key="meeting_free_day/2026-12-04/0",
    rule="meeting_free_day",
    kind="meeting_free_day",
    title="Busy · Meeting-free day",
    start=ny(4, 0),
    end=ny(5, 0),
    all_day=True,
    protected=True,
)
BATCH = block("email_batches/2026-12-01/1", "Busy · Email batch", ny(1, 13), 20)
FOCUS = block("focus_time/2026-11-30/0#2", "Busy · Focus time", ny(4, 10, 30), 90, protected=True)
GOLIVE = block("go_live_prep/2026-12-01/0", "Busy · Go-live prep: Globex", ny(1, 11, 45), 60)


def plan(*blocks: Block, **kw: object) -> Plan:
    return Plan(week=WEEK, timezone="America/New_York", blocks=tuple(blocks), **kw)  # type: ignore[arg-type]


# -- op lines --------------------------------------------------------------------------


def test_a_delete_read_back_in_utc_prints_local_time() -> None:
    op = Op(
        "delete",
        BATCH.key,
        "deleted: 'Vendor demo' (Tue 13:00) landed on it",
        current=event_of(BATCH),
    )
    assert op_line(op, NY) == (
        "delete Busy · Email batch Tue 01 Dec 13:00-13:20: "
        "deleted: 'Vendor demo' (Tue 13:00) landed on it"
    )


def test_an_all_day_block_says_all_day() -> None:
    op = Op("create", MARKER.key, "created: your weekly template", block=MARKER)
    assert op_line(op, NY) == (
        "create Busy · Meeting-free day Fri 04 Dec, all day: created: your weekly template"
    )
    gone = Op("delete", MARKER.key, "deleted: rule no longer asks for it", current=event_of(MARKER))
    # an all-day event read back in UTC is still its own day, not Thu 19:00
    assert op_line(gone, NY) == (
        "delete Busy · Meeting-free day Fri 04 Dec, all day: deleted: rule no longer asks for it"
    )


def test_a_move_shows_where_it_was() -> None:
    was = block("account_time/2026-12-02/3", "Busy · Account time: Birch Labs", ny(2, 10, 20), 20)
    now = block(was.key, was.title, ny(2, 16, 50), 20)
    op = Op(
        "update",
        was.key,
        "moved: 'Call with London office' (Wed 10:20) landed on it",
        block=now,
        current=event_of(was),
    )
    assert op_line(op, NY) == (
        "update Busy · Account time: Birch Labs Wed 02 Dec 16:50-17:10 "
        "(was Wed 02 Dec 10:20-10:40): "
        "moved: 'Call with London office' (Wed 10:20) landed on it"
    )


def test_print_ops_uses_the_rules_zone() -> None:
    console = Console(record=True, width=300, color_system=None)
    ops = [Op("delete", BATCH.key, "deleted: x", current=event_of(BATCH))]
    print_ops(console, ops, dry_run=True, timezone="America/New_York")
    assert console.export_text().splitlines() == [
        "Would apply 1 change(s):",
        "  delete Busy · Email batch Tue 01 Dec 13:00-13:20: deleted: x",
    ]


# -- shortfall and conflicts -----------------------------------------------------------


def batch_request() -> BlockRequest:
    return BlockRequest(
        key=BATCH.key,
        rule="email_batches",
        kind="email_batches",
        title="Busy · Email batch",
        minutes=20,
        earliest=ny(1, 13),
        latest=ny(1, 13, 20),
        fixed=True,
    )


def test_a_shortfall_is_named_by_title_and_day_never_by_key() -> None:
    short = Shortfall(
        "email_batches", BATCH.key, 20, 0, "'Vendor demo' at Tue 13:00 takes this time"
    )
    line = shortfall_line(short, plan(GOLIVE), [batch_request()])
    assert line == (
        "Busy · Email batch, Tue 01 Dec 13:00-13:20: 0/20 min — "
        "'Vendor demo' at Tue 13:00 takes this time"
    )
    # without the week's requests: the rule's name
    assert shortfall_line(short, plan(GOLIVE)).startswith("rule 'email_batches': 0/20 min — ")


def test_a_stale_displacer_is_replaced_by_the_block_on_the_slot() -> None:
    """The planner's note named a block that went elsewhere; the slot shows who is there."""
    health = block("health_drop/2026-12-01/0", "Busy · Health drop: Acme", ny(1, 12, 45), 45)
    juniper = block("silent_account/2026-12-01/0", "Busy · Silent account: Juniper", ny(1, 11), 30)
    note = f"its time went to '{juniper.title}' (higher priority)"
    short = Shortfall("email_batches", BATCH.key, 20, 0, note)
    assert explain_shortfall(short, plan(juniper, health), batch_request()) == (
        "its time went to 'Busy · Health drop: Acme' (Tue 12:45-13:30, higher priority)"
    )
    # a displacer not in the plan at all is never named
    ghost = Shortfall(
        "email_batches", BATCH.key, 20, 0, "its time went to 'Ghost' (higher priority)"
    )
    assert explain_shortfall(ghost, plan(juniper)) == "no free time left for it"


def test_a_conflict_names_the_protected_block_by_title_in_local_time() -> None:
    escalation = Conflict(
        FOCUS.key,
        "Exec escalation",
        datetime(2026, 12, 4, 16, 0, tzinfo=UTC),
        datetime(2026, 12, 4, 16, 30, tzinfo=UTC),
    )
    assert conflict_lines(plan(FOCUS, conflicts=(escalation,))) == [
        "'Exec escalation' (Fri 11:00-11:30) lands on 'Busy · Focus time' (Fri 10:30-12:00), "
        "a protected block: kept"
    ]


def test_print_problems_carries_no_key() -> None:
    console = Console(record=True, width=300, color_system=None)
    short = Shortfall(
        "email_batches", BATCH.key, 20, 0, "'Vendor demo' at Tue 13:00 takes this time"
    )
    escalation = Conflict(FOCUS.key, "Exec escalation", ny(4, 11), ny(4, 11, 30))
    print_problems(
        console, plan(FOCUS, shortfall=(short,), conflicts=(escalation,)), [batch_request()]
    )
    out = console.export_text()
    assert BATCH.key not in out and FOCUS.key not in out and "/2026-" not in out
    assert out.splitlines() == [
        "Could not place everything:",
        "  Busy · Email batch, Tue 01 Dec 13:00-13:20: 0/20 min — "
        "'Vendor demo' at Tue 13:00 takes this time",
        "  conflict 'Exec escalation' (Fri 11:00-11:30) lands on "
        "'Busy · Focus time' (Fri 10:30-12:00), a protected block: kept",
    ]


# -- the week table --------------------------------------------------------------------


def test_the_week_table_shows_a_meeting_from_another_zone_on_the_local_clock() -> None:
    london = Busy(
        start=datetime(2026, 12, 2, 15, 20, tzinfo=LONDON),
        end=datetime(2026, 12, 2, 16, 20, tzinfo=LONDON),
        title="Call with London office",
    )
    late = Busy(  # 23:30 in New York is already Thursday in London
        start=datetime(2026, 12, 3, 4, 30, tzinfo=LONDON),
        end=datetime(2026, 12, 3, 5, 0, tzinfo=LONDON),
        title="APAC escalation",
    )
    console = Console(record=True, width=200, color_system=None)
    console.print(week_table(plan(MARKER), [london, late]))
    out = console.export_text()
    assert "Wednesday 02 December" in out and "Thursday 03 December" not in out
    rows = [line for line in out.splitlines() if "London office" in line or "APAC" in line]
    assert [r.split("│")[1].strip() for r in rows] == ["10:20-11:20", "23:30-00:00"]
    [marker] = [line for line in out.splitlines() if "Meeting-free day" in line]
    assert marker.split("│")[1].strip() == "all day"


# -- wording helpers -------------------------------------------------------------------


def test_spans() -> None:
    assert text.span(ny(1, 9, 30), ny(1, 10), NY) == "Tue 01 Dec 09:30-10:00"
    assert text.span(ny(1, 23), ny(2, 0), NY) == "Tue 01 Dec 23:00-00:00"
    assert text.span(ny(1, 22), ny(2, 1), NY) == "Tue 01 Dec 22:00-Wed 02 Dec 01:00"
    assert text.span(ny(4, 0), ny(5, 0), NY, all_day=True) == "Fri 04 Dec, all day"
    assert text.span(ny(3, 0), ny(5, 0), NY, all_day=True) == "Thu 03 Dec-Fri 04 Dec, all day"
    utc_midnights = (datetime(2026, 12, 4, tzinfo=UTC), datetime(2026, 12, 5, tzinfo=UTC))
    assert text.span(*utc_midnights, NY, all_day=True) == "Fri 04 Dec, all day"
    assert text.span(
        datetime(2026, 12, 1, 18, tzinfo=UTC), datetime(2026, 12, 1, 18, 20, tzinfo=UTC), NY
    ) == ("Tue 01 Dec 13:00-13:20")


def test_meetings_and_blocks_named() -> None:
    tokyo = datetime(2026, 12, 2, 0, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert text.meeting("Tokyo sync", tokyo, NY) == "'Tokyo sync' (Tue 10:00)"
    assert text.meeting("Offsite", ny(1, 0), NY, all_day=True) == "'Offsite' (Tue, all day)"
    assert text.block("Lunch", ny(1, 12), ny(1, 12, 45), NY) == "'Lunch' (Tue 12:00-12:45)"
    start = int(ny(4, 0).timestamp())
    assert (
        text.meeting_takes("Offsite", start, NY, all_day=True)
        == "'Offsite' (Fri, all day) takes this time"
    )
    assert text.meeting_took("QBR", start + 14 * 3600, NY) == "'QBR' at Fri 14:00 took its time"


def test_naming_only_keeps_order_and_drops_absent_blocks() -> None:
    note = "; ".join(
        [
            text.bumped_by("Ghost"),
            "'QBR' at Tue 14:00 takes this time",
            text.bumped_by("Lunch"),
            text.bumped_by("Lunch"),
        ]
    )
    assert text.naming_only(note, {"Lunch"}) == (
        "'QBR' at Tue 14:00 takes this time; its time went to 'Lunch' (higher priority)"
    )
    assert text.bumped_title(text.bumped_by("A; B")) == "A; B"
    assert text.bumped_title("'QBR' at Tue 14:00 takes this time") is None


def test_an_all_day_entry_noted_at_midnight_reads_all_day() -> None:
    note = "'Team offsite' at Thu 00:00 takes this time"
    assert (
        text.as_all_day(note, {"Team offsite"}) == "'Team offsite' (Thu, all day) takes this time"
    )
    took = "'Team offsite' at Thu 00:00 took its time"
    assert text.as_all_day(took, {"Team offsite"}) == "'Team offsite' (Thu, all day) took its time"
    # a timed meeting at midnight, or another title: untouched
    assert text.as_all_day(note, {"Offsite"}) == note
    assert text.as_all_day("'Late call' at Thu 00:30 takes this time", {"Late call"}) == (
        "'Late call' at Thu 00:30 takes this time"
    )
