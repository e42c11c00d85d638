"""Terminal and JSON renderings of a plan, its ops and its scorecard.

Kept apart from the CLI so the web layer and tests can reuse the JSON form of
DESIGN.md section 6 without importing typer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from blocker.models import Block, Busy, Op, Plan


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


def _days(event: Busy) -> list[date]:
    """The days a busy event is shown on: each day an all-day entry covers (its end
    is the next day's midnight), else its start day."""
    first = event.start.date()
    if not event.all_day:
        return [first]
    last = max(first, (event.end - timedelta(microseconds=1)).date())
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def week_table(plan: Plan, busy: Sequence[Busy] = ()) -> Group:
    """One table per day: our blocks in their colour, the user's meetings in grey."""
    by_day: dict[date, list[tuple[Any, ...]]] = defaultdict(list)
    for block in plan.blocks:
        by_day[block.start.date()].append(("block", block))
    for event in busy:
        if event.blocks_time:
            for day in _days(event):
                by_day[day].append(("busy", event))
    tables = []
    for day in sorted(by_day):
        table = Table(title=f"{day:%A %d %B}", title_justify="left", expand=False)
        table.add_column("time", no_wrap=True)
        table.add_column("block")
        table.add_column("show", no_wrap=True)
        table.add_column("Q", justify="right")
        table.add_column("account / tier")
        rows = sorted(by_day[day], key=lambda r: (r[1].start, r[0] != "block" or not r[1].all_day))
        for kind, item in rows:
            if kind == "busy":
                table.add_row(
                    "all day" if item.all_day else f"{item.start:%H:%M}-{item.end:%H:%M}",
                    Text(f"▌ {item.title}", style="grey50"),
                    "busy",
                    "",
                    Text("your meeting", style="grey50"),
                )
                continue
            when = "all day" if item.all_day else f"{item.start:%H:%M}-{item.end:%H:%M}"
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


def scorecard_tables(card: dict[str, Any]) -> Group:
    """The scorecard dict (report.scorecard_to_dict) as two small tables + flags."""
    tiers = Table(title="Time per tier (share of account time)", title_justify="left")
    for col in ("tier", "hours", "share", "target", "ok"):
        tiers.add_column(col)
    for name, row in card.get("tiers", {}).items():
        ok = row.get("ok")
        tiers.add_row(
            name,
            f"{row['minutes'] / 60:.1f}",
            f"{row['share']:.0%}",
            f"{row['target_min']:.0%}-{row['target_max']:.0%}",
            Text("yes", style="green") if ok else Text("no", style="red"),
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


def print_ops(console: Console, ops: Sequence[Op], *, dry_run: bool) -> None:
    head = "Would apply" if dry_run else "Applied"
    if not ops:
        console.print("Calendar already matches the plan: nothing to write.")
        return
    console.print(f"{head} {len(ops)} change(s):")
    for op in ops:
        console.print(f"  {op.describe()}", markup=False, highlight=False)
