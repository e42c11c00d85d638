"""Terminal and JSON renderings of a plan, its ops and its scorecard.

Kept apart from the CLI so the web layer and tests can reuse the JSON form of
DESIGN.md section 6 without importing typer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from blocker.core.keys import base_key
from blocker.core.models import Block, BlockRequest, Busy, Interval, Op, Plan, Shortfall
from blocker.planning import text


def block_to_dict(block: Block) -> dict[str, Any]:
    return {
        "key": block.key,
        "kind": block.kind,
        "title": block.title,
        "start": block.start.isoformat(),
        "end": block.end.isoformat(),
        "show_as": block.show_as,
        "color": block.color,
        "tier": block.tier,
        "account": block.account,
        "quadrant": block.quadrant,
        "category": block.category,
        "flexible": block.flexible,
        "protected": block.protected,
        "all_day": block.all_day,
        "reason": block.reason,
    }


def plan_to_dict(plan: Plan, scorecard: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``plan --format json`` object of DESIGN.md section 6."""
    out: dict[str, Any] = {
        "week": plan.week,
        "timezone": plan.timezone,
        "blocks": [block_to_dict(b) for b in sorted(plan.blocks, key=_order)],
        "shortfall": [
            {
                "rule": s.rule,
                "key": s.key,
                "requested_minutes": s.requested_minutes,
                "placed_minutes": s.placed_minutes,
                "reason": s.reason,
            }
            for s in plan.shortfall
        ],
        "conflicts": [
            {
                "key": c.key,
                "meeting": c.meeting,
                "start": c.start.isoformat(),
                "end": c.end.isoformat(),
            }
            for c in plan.conflicts
        ],
    }
    if scorecard is not None:
        out["scorecard"] = scorecard
    return out


def op_to_dict(op: Op) -> dict[str, Any]:
    target = op.block or op.current
    return {
        "action": op.action,
        "key": op.key,
        "title": target.title if target else None,
        "start": target.start.isoformat() if target else None,
        "end": target.end.isoformat() if target else None,
        "reason": op.reason,
    }


def _order(block: Block) -> tuple[Any, ...]:
    return (block.start, not block.all_day, block.key)


def _days(event: Busy, tz: ZoneInfo) -> list[date]:
    """The days a busy event is shown on: each day an all-day entry covers (its end
    is the next day's midnight, its dates are read as written), else its start day
    on the user's wall clock."""
    if not event.all_day:
        return [event.start.astimezone(tz).date()]
    first, last = text.all_day_dates(event.start, event.end, tz)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _row_time(start: datetime, end: datetime, all_day: bool, tz: ZoneInfo) -> str:
    if all_day:
        return "all day"
    return f"{start.astimezone(tz):%H:%M}-{end.astimezone(tz):%H:%M}"


def week_table(plan: Plan, busy: Sequence[Busy] = ()) -> Group:
    """One table per day: our blocks in their colour, the user's meetings in grey;
    every time on the wall clock of the plan's zone (a meeting written in another
    zone too)."""
    tz = ZoneInfo(plan.timezone)
    by_day: dict[date, list[tuple[Any, ...]]] = defaultdict(list)
    for block in plan.blocks:
        if block.all_day:
            day = text.all_day_dates(block.start, block.end, tz)[0]
        else:
            day = block.start.astimezone(tz).date()
        by_day[day].append(("block", block))
    for event in busy:
        if event.blocks_time:
            for day in _days(event, tz):
                by_day[day].append(("busy", event))
    tables = []
    for day in sorted(by_day):
        table = Table(title=f"{day:%A %d %B}", title_justify="left", expand=False)
        table.add_column("time", no_wrap=True)
        table.add_column("block")
        table.add_column("show", no_wrap=True)
        table.add_column("Q", justify="right")
        table.add_column("account / tier")
        rows = sorted(
            by_day[day],
            key=lambda r: (not r[1].all_day, r[1].start.astimezone(tz), r[0] != "block"),
        )
        for kind, item in rows:
            when = _row_time(item.start, item.end, item.all_day, tz)
            if kind == "busy":
                table.add_row(
                    when,
                    Text(f"▌ {item.title}", style="grey50"),
                    "busy",
                    "",
                    Text("your meeting", style="grey50"),
                )
                continue
            who = " / ".join(x for x in (item.account, item.tier) if x)
            table.add_row(
                when,
                Text("▌ ", style=item.color) + Text(item.title),
                item.show_as,
                str(item.quadrant),
                who,
            )
        tables.append(table)
    return Group(*tables)


def _yes_no(ok: bool) -> Text:
    return Text("yes", style="green") if ok else Text("no", style="red")


def scorecard_tables(card: dict[str, Any]) -> Group:
    """The scorecard dict (report.scorecard_to_dict) as two small tables + flags."""
    tiers = Table(title="Time per tier (share of account time)", title_justify="left")
    for col in ("tier", "hours", "share", "target", "ok"):
        tiers.add_column(col)
    for name, row in card.get("tiers", {}).items():
        ok = row.get("ok")
        tiers.add_row(
            f"{name} ({row['arr']})" if row.get("arr") else name,
            f"{row['minutes'] / 60:.1f}",
            f"{row['share']:.0%}",
            f"{row['target_min']:.0%}-{row['target_max']:.0%}",
            Text("no data") if ok is None else _yes_no(ok),
        )
    quads = Table(title="Eisenhower quadrants", title_justify="left")
    quads.add_column("quadrant")
    quads.add_column("share")
    labels = {"1": "Q1 urgent+important", "2": "Q2 important", "3": "Q3 urgent", "4": "Q4 neither"}
    for q, share in card.get("quadrants", {}).items():
        quads.add_row(labels.get(str(q), str(q)), f"{share:.0%}")
    parts: list[Any] = [tiers, quads]
    cats = card.get("categories")
    if cats:
        cat_table = Table(title="Proactive / reactive / admin", title_justify="left")
        cat_table.add_column("category")
        cat_table.add_column("share")
        cat_table.add_column("target")
        for name, row in cats.items():
            share = row["share"] if isinstance(row, dict) else row
            target = f"{row['target']:.0%}" if isinstance(row, dict) and "target" in row else ""
            cat_table.add_row(name, f"{share:.0%}", target)
        parts.append(cat_table)
    flags = card.get("flags") or []
    if flags:
        parts.append(Text("Red flags:", style="bold red"))
        parts.extend(Text(f"  • {flag}", style="red") for flag in flags)
    else:
        parts.append(Text("No red flags.", style="green"))
    return Group(*parts)


def op_line(op: Op, tz: ZoneInfo | None = None) -> str:
    """One op for the user: action, title, when (in ``tz``, the rules' zone; "all
    day" for all-day blocks), for a move where it was, and the reason. No block key."""
    target = op.block or op.current
    if target is None:
        return f"{op.action:<6} {op.reason}"
    zone = tz or _zone_of(target.start)
    when = text.span(target.start, target.end, zone, all_day=target.all_day)
    was = ""
    current = op.current
    if (
        op.action == "update"
        and op.block is not None
        and current is not None
        and (current.start, current.end) != (op.block.start, op.block.end)
    ):
        was = f" (was {text.span(current.start, current.end, zone, all_day=current.all_day)})"
    return f"{op.action:<6} {target.title} {when}{was}: {op.reason}"


def _zone_of(moment: datetime) -> ZoneInfo:
    zone = moment.tzinfo
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo("UTC")


def print_ops(
    console: Console, ops: Sequence[Op], *, dry_run: bool, timezone: str | None = None
) -> None:
    """The ops of a run, one line each (see :func:`op_line`); ``timezone``: the rules'."""
    head = "Would apply" if dry_run else "Applied"
    if not ops:
        console.print("Calendar already matches the plan: nothing to write.")
        return
    console.print(f"{head} {len(ops)} change(s):")
    tz = ZoneInfo(timezone) if timezone else None
    for op in ops:
        console.print(f"  {op_line(op, tz)}", markup=False, highlight=False)


def shortfall_line(
    short: Shortfall,
    plan: Plan,
    requests: Sequence[BlockRequest] = (),
    busy: Sequence[Busy] = (),
) -> str:
    """What could not be placed, named as the user knows it (the request's title and
    day, else its blocks' title, else its rule), never by its key; the reason names
    only blocks that are in ``plan``, and the all-day entries of ``busy`` as such."""
    tz = ZoneInfo(plan.timezone)
    req = next((r for r in requests if r.key == short.key), None)
    reason = explain_shortfall(short, plan, req, busy)
    label = f"rule '{short.rule}'"
    if req is not None:
        label = f"{req.title}, {_window(req, tz)}"
    else:
        mine = sorted((b for b in plan.blocks if base_key(b.key) == short.key), key=_order)
        if mine:
            label = mine[0].title
    return f"{label}: {short.placed_minutes}/{short.requested_minutes} min — {reason}"


NO_ROOM = "no free time left for it"


def explain_shortfall(
    short: Shortfall,
    plan: Plan,
    req: BlockRequest | None = None,
    busy: Sequence[Busy] = (),
) -> str:
    """``short.reason`` with every "its time went to 'X'" checked against ``plan``:
    X is named (with its time) only when a block of X is in the plan on the
    request's time (a fixed request's slot, a flexible one's window); for a fixed
    request the block actually on its slot is named instead of a stale X; with
    ``req`` unknown, X is named only if it is in the plan at all. An all-day entry
    of ``busy`` is said to take the day "all day", not "at 00:00"."""
    tz = ZoneInfo(plan.timezone)
    titles = {b.title for b in plan.blocks}
    all_day = {b.title for b in busy if b.all_day and b.blocks_time}
    out: list[str] = []
    for part in text.parts(short.reason):
        named = text.bumped_title(part)
        if named is None:
            out.append(text.as_all_day(part, all_day))
        elif req is None:
            if named in titles:
                out.append(part)
        else:
            on = _on_time_of(req, plan)
            match = [b for b in on if b.title == named] or (on if req.fixed else [])
            if match:
                out.append(text.bumped_to(match[0].title, match[0].start, match[0].end, tz))
    return "; ".join(dict.fromkeys(out)) or NO_ROOM


def _on_time_of(req: BlockRequest, plan: Plan) -> list[Block]:
    """Timed blocks of other requests on ``req``'s slot (fixed) or window, by start."""
    if req.fixed:
        slot = Interval(req.earliest, req.earliest + timedelta(minutes=req.minutes))
    else:
        slot = Interval(req.earliest, req.latest)
    return sorted(
        (
            b
            for b in plan.blocks
            if not b.all_day and base_key(b.key) != req.key and b.interval.overlaps(slot)
        ),
        key=_order,
    )


def _window(req: BlockRequest, tz: ZoneInfo) -> str:
    if req.all_day:
        return text.span(req.earliest, req.latest, tz, all_day=True)
    if req.fixed:
        return text.span(req.earliest, req.earliest + timedelta(minutes=req.minutes), tz)
    a, b = req.earliest.astimezone(tz), req.latest.astimezone(tz)
    if a.date() == b.date():
        return f"{a:%a %d %b}"
    return f"{a:%a %d %b}-{b:%a %d %b}"


def conflict_lines(plan: Plan) -> list[str]:
    """Meetings on protected blocks that were kept, with the block named by title."""
    tz = ZoneInfo(plan.timezone)
    blocks = {b.key: b for b in plan.blocks}
    out = []
    for c in plan.conflicts:
        block = blocks.get(c.key)
        on = (
            text.block(block.title, block.start, block.end, tz, all_day=block.all_day)
            if block is not None
            else "a block"
        )
        out.append(
            f"'{c.meeting}' ({text.short_span(c.start, c.end, tz)}) lands on {on}, "
            "a protected block: kept"
        )
    return out


def print_problems(
    console: Console,
    plan: Plan,
    requests: Sequence[BlockRequest] = (),
    busy: Sequence[Busy] = (),
) -> None:
    """The plan's shortfall and conflicts (``requests``: the week's, for names;
    ``busy``: the meetings planned around, for all-day entries)."""
    if plan.shortfall:
        console.print("[bold yellow]Could not place everything:[/bold yellow]")
        for s in plan.shortfall:
            line = shortfall_line(s, plan, requests, busy)
            console.print(f"  {line}", markup=False, highlight=False)
    for line in conflict_lines(plan):
        console.print(Text("  ") + Text("conflict", style="red") + Text(f" {line}"))
