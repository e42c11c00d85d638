"""View model of the dashboard's week: days as columns, items placed by time.

Kept apart from the routes (``blocker.web.routes.pages``) because it is pure and
worth testing alone: blocks and meetings are clipped to their local day, given a
top and a height as percentages of the hours shown, and side-by-side lanes where
they overlap (a meeting kept on a protected block), so nothing hides another.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from blocker.core.models import Block, Busy, Interval, Plan
from blocker.core.weeks import local_midnight, week_dates
from blocker.web.report_html import readable_text_color, safe_color
from blocker.web.truth import BlockState, plain
from rules.context import TITLE_PREFIX

__all__ = [
    "MEETING_COLOR",
    "Day",
    "Grid",
    "Item",
    "LegendEntry",
    "build_grid",
    "flag_filter",
    "legend",
    "now_line",
    "shown_title",
]

MEETING_COLOR = "#DADCE0"
_QUADRANT = {
    1: "Q1 — urgent and important",
    2: "Q2 — important, not urgent",
    3: "Q3 — urgent, not important",
    4: "Q4 — neither",
}
_DEFAULT_HOURS = (8, 18)


@dataclass(frozen=True, slots=True)
class Item:
    """One block or meeting on one day; ``top``/``height`` in % of the day's hours."""

    kind: str  # "block" or "meeting"
    key: str | None
    title: str
    start: datetime
    end: datetime
    color: str
    fg: str
    time: str
    details: tuple[tuple[str, str], ...]
    all_day: bool = False
    top: float = 0.0
    height: float = 0.0
    lane: int = 0
    lanes: int = 1
    state: str = ""
    """``BlockState.state`` of a block ("synced", "pending", ...); empty for meetings."""
    state_label: str = ""
    tags: frozenset[str] = frozenset()
    """What a red flag can point at: ``tier:<name>``, ``q:<n>``, ``cat:<category>``."""

    @property
    def start_iso(self) -> str:
        return self.start.isoformat()


@dataclass(slots=True)
class Day:
    date: date
    label: str
    off: bool
    items: list[Item] = field(default_factory=list)
    all_day: list[Item] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Grid:
    first_hour: int
    last_hour: int
    days: tuple[Day, ...]

    @property
    def hour_count(self) -> int:
        return self.last_hour - self.first_hour

    @property
    def hour_labels(self) -> list[str]:
        return [f"{h:02d}:00" for h in range(self.first_hour, self.last_hour)]


def shown_title(title: str) -> str:
    """The title without the calendar's "Busy · " prefix: on the page every block is ours."""
    return title.removeprefix(TITLE_PREFIX) or title


def _block_item(block: Block, tz: ZoneInfo, state: BlockState | None) -> Item:
    start, end = block.start.astimezone(tz), block.end.astimezone(tz)
    details = [("Kind", block.kind.replace("_", " "))]
    if state is not None:
        details.insert(0, ("Status", state.label))
    if block.account:
        details.append(("Account", block.account))
    if block.tier:
        details.append(("Tier", block.tier))
    details += [
        ("Quadrant", _QUADRANT.get(block.quadrant, str(block.quadrant))),
        ("Work", block.category),
        ("Shows as", block.show_as),
        ("Placement", "flexible" if block.flexible else "fixed"),
    ]
    if block.protected:
        details.append(("Protected", "yes — kept when a meeting lands on it"))
    details.append(("Why", plain(block.reason) if block.reason else "asked for by the rule"))
    color = safe_color(block.color)
    return Item(
        kind="block",
        key=block.key,
        title=shown_title(block.title),
        start=start,
        end=end,
        color=color,
        fg=readable_text_color(color),
        time="all day" if block.all_day else f"{start:%H:%M}–{end:%H:%M}",
        details=tuple(details),
        all_day=block.all_day,
        state=state.state if state is not None else "",
        state_label=state.label if state is not None else "",
        tags=frozenset(
            {f"q:{block.quadrant}", f"cat:{block.category}"}
            | ({f"tier:{block.tier}"} if block.tier else set())
        ),
    )


def _meeting_item(busy: Busy, tz: ZoneInfo) -> Item:
    start, end = busy.start.astimezone(tz), busy.end.astimezone(tz)
    shows = "free (does not block time)" if busy.transparent else "busy"
    details = (("Source", "your calendar"), ("Shows as", shows), ("Your answer", busy.response))
    return Item(
        kind="meeting",
        key=None,
        title=busy.title,
        start=start,
        end=end,
        color=MEETING_COLOR,
        fg=readable_text_color(MEETING_COLOR),
        time="all day" if busy.all_day else f"{start:%H:%M}–{end:%H:%M}",
        details=details,
        all_day=busy.all_day,
    )


def _hours(items: Iterable[Item], working: Iterable[Interval], tz: ZoneInfo) -> tuple[int, int]:
    """The hours shown: working hours widened to every timed item (whole hours)."""
    spans = [(i.start, i.end) for i in items if not i.all_day]
    spans += [(w.start.astimezone(tz), w.end.astimezone(tz)) for w in working]
    if not spans:
        return _DEFAULT_HOURS
    first, last = 24, 0
    for start, end in spans:
        if start.date() != end.date() or end.time() == time(0):
            first, last = 0, 24  # crosses midnight: show the whole day
            continue
        first = min(first, start.hour)
        last = max(last, math.ceil(end.hour + end.minute / 60))
    return first, max(last, first + 1)


def _lanes(items: list[Item]) -> list[Item]:
    """Side-by-side lanes for overlapping items (greedy, per cluster of overlaps)."""
    out: list[Item] = []
    cluster: list[Item] = []
    lane_ends: list[datetime] = []
    cluster_end: datetime | None = None

    def close() -> None:
        out.extend(replace(i, lanes=len(lane_ends)) for i in cluster)

    for item in sorted(items, key=lambda i: (i.start, -i.end.timestamp(), i.kind)):
        if cluster_end is not None and item.start >= cluster_end:
            close()
            cluster, lane_ends, cluster_end = [], [], None
        lane = next((n for n, e in enumerate(lane_ends) if e <= item.start), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(item.end)
        else:
            lane_ends[lane] = item.end
        cluster.append(replace(item, lane=lane))
        cluster_end = item.end if cluster_end is None else max(cluster_end, item.end)
    if cluster:
        close()
    return out


def build_grid(
    week: str,
    plan: Plan | None,
    busy: Sequence[Busy],
    working: Sequence[Interval],
    tz: ZoneInfo,
    states: Mapping[str, BlockState] | None = None,
) -> Grid:
    """Lay out ``plan``'s blocks and the user's meetings over the seven days of ``week``."""
    states = states or {}
    items = [_block_item(b, tz, states.get(b.key)) for b in (plan.blocks if plan else ())]
    items += [_meeting_item(b, tz) for b in busy]
    first, last = _hours(items, working, tz)
    span = (last - first) * 60
    worked = {w.start.astimezone(tz).date() for w in working}
    days: list[Day] = []
    for day in week_dates(week):
        midnight = local_midnight(day, tz)
        next_midnight = local_midnight(day + timedelta(days=1), tz)
        entry = Day(day, f"{day:%a %d %b}", off=day not in worked)
        timed: list[Item] = []
        for item in items:
            if item.all_day:
                until = max(item.end.date(), item.start.date() + timedelta(days=1))
                if item.start.date() <= day < until:
                    entry.all_day.append(item)
                continue
            start, end = max(item.start, midnight), min(item.end, next_midnight)
            if end <= start:
                continue
            top_min = (start - midnight).total_seconds() / 60 - first * 60
            len_min = (end - start).total_seconds() / 60
            top = max(0.0, top_min) / span * 100
            bottom = min(span, top_min + len_min) / span * 100
            timed.append(replace(item, top=round(top, 3), height=round(max(bottom - top, 0.5), 3)))
        entry.items = _lanes(timed)
        days.append(entry)
    shown = [d for d in days if not d.off or d.items or d.all_day]
    return Grid(first, last, tuple(shown or days))


@dataclass(frozen=True, slots=True)
class LegendEntry:
    color: str
    label: str


def legend(plan: Plan | None) -> list[LegendEntry]:
    """One entry per colour on the grid, named by what it is (tier or kind, not a rule id)."""
    names: dict[str, list[str]] = {}
    for block in plan.blocks if plan else ():
        what = f"{block.tier} tier accounts" if block.tier else block.kind.replace("_", " ")
        seen = names.setdefault(safe_color(block.color), [])
        if what not in seen:
            seen.append(what)
    return [LegendEntry(color, ", ".join(labels)) for color, labels in names.items()]


def now_line(grid: Grid, now: datetime, tz: ZoneInfo) -> dict[str, str | float] | None:
    """Where "now" falls on the grid (from the server's clock), None when off the grid."""
    local = now.astimezone(tz)
    if local.date() not in {d.date for d in grid.days}:
        return None
    minutes = local.hour * 60 + local.minute - grid.first_hour * 60
    span = grid.hour_count * 60
    if not 0 <= minutes <= span:
        return None
    return {
        "date": local.date().isoformat(),
        "top": round(minutes / span * 100, 3),
        "label": f"{local:%H:%M}",
    }


def flag_filter(flag: str, tiers: Iterable[str], categories: Iterable[str]) -> str | None:
    """The blocks a red flag is about, as one of an item's tags (None: no blocks to show).

    "Q2 < 40 %" is about the Q2 blocks, "tier high outside its target range" about
    that tier's blocks, a category flag about that category's blocks.
    """
    for tier in tiers:
        if flag.startswith(f"tier {tier} "):
            return f"tier:{tier}"
    if flag.startswith("Q1+Q2"):
        return "q:2"  # the missing important time: Q2 is what the week can still add
    for q in ("1", "2", "3", "4"):
        if flag.startswith(f"Q{q} "):
            return f"q:{q}"
    lowered = flag.lower()
    for category in categories:
        if category.lower() in lowered:
            return f"cat:{category}"
    return None
