"""Frozen, tz-aware value objects shared by rules, planner, diff, apply and providers.

Everything here is immutable and compares by value, so plans can be diffed and
hashed, and property tests can compare runs. Every datetime must carry a tzinfo:
constructors reject naive ones because a naive time in a calendar tool is a bug
waiting for the next DST change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from blocker.core.keys import TAG_VERSION, OwnershipTag, content_hash, event_id_for

Quadrant = Literal[1, 2, 3, 4]
"""Eisenhower quadrant: 1 urgent+important, 2 important, 3 urgent, 4 neither."""

Category = Literal["proactive", "reactive", "admin"]
"""The second split of the week (50/30/20 by default)."""

ShowAs = Literal["busy", "free", "auto"]
"""How a rule wants its blocks shown; ``auto`` is resolved by the planner."""

ResolvedShowAs = Literal["busy", "free"]

ConflictPolicy = Literal["keep", "yield"]
"""What a protected block does when a foreign meeting lands on it."""

Response = Literal["accepted", "declined", "tentative", "needs_action", "organizer", "none"]
"""The calendar owner's response to a foreign event (``none``: no attendees at all)."""

TentativeAs = Literal["busy", "free"]
"""How a meeting the owner answered tentatively counts (rules ``owner.tentative``).
Providers apply it where they read: with ``free`` such a meeting reads as transparent."""


def _require_aware(*values: datetime) -> None:
    for value in values:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: every time must carry a tzinfo")


def _instant(value: datetime) -> float:
    """Seconds since the epoch. Python compares and subtracts two datetimes that
    share a tzinfo by wall time, ignoring ``fold``: across a DST fall-back hour
    that gets lengths and order wrong, so spans are measured on instants."""
    return value.timestamp()


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    """A half-open span ``[start, end)`` of aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware(self.start, self.end)
        if _instant(self.end) < _instant(self.start):
            raise ValueError(f"interval ends before it starts: {self.start} > {self.end}")

    @property
    def minutes(self) -> int:
        return int((_instant(self.end) - _instant(self.start)) // 60)

    def overlaps(self, other: Interval) -> bool:
        return _instant(self.start) < _instant(other.end) and _instant(other.start) < _instant(
            self.end
        )

    def contains(self, other: Interval) -> bool:
        return _instant(self.start) <= _instant(other.start) and _instant(other.end) <= _instant(
            self.end
        )


@dataclass(frozen=True, slots=True)
class BlockRequest:
    """What one rule asks of the week: some minutes, somewhere in a window.

    ``key`` is stable across runs (rule, local date, ordinal) so the planner can
    keep a block where it was last time and the diff can match it to its event.
    A fixed request is placed exactly at ``[earliest, earliest + minutes)``; a
    flexible one anywhere inside ``[earliest, latest)``, split into chunks of at
    least ``min_chunk`` minutes, preferring the ``preferred`` windows.
    """

    key: str
    rule: str
    kind: str
    title: str
    minutes: int
    earliest: datetime
    latest: datetime
    fixed: bool = False
    min_chunk: int = 15
    max_chunk: int | None = None
    preferred: tuple[Interval, ...] = ()
    preferred_rank: tuple[int, ...] = ()
    """Rank of each ``preferred`` window (0 = first choice) when a rule lists several:
    the planner tries rank 0 everywhere before rank 1. Empty = all equally good."""
    priority: int = 50
    quadrant: Quadrant = 2
    category: Category = "proactive"
    color: str = "#4285F4"
    show_as: ShowAs = "busy"
    protected: bool = False
    conflict_policy: ConflictPolicy = "keep"
    tier: str | None = None
    account: str | None = None
    reason: str = ""
    all_day: bool = False
    reserved: bool = False
    """The rule reserves its time against alerts (``reserve: true``): no trigger request
    (renewal prep, go-live, health drop, silent account) displaces its blocks."""
    alert: bool = False
    """A trigger's request: it competes for the week's alert budget and never takes a
    reserved rule's time."""
    cap_exempt: bool = False
    """An alert the weekly cap never cuts (a renewal this close must not be lost)."""
    holding: bool = False
    """A fixed placeholder window (call window, QBR day) that HOLDS time for
    meetings: a meeting inside it is the window working, so the planner cuts the
    window around meetings (pieces ``key``, ``key#1``...) and reports no shortfall
    for the time the meetings take."""

    def __post_init__(self) -> None:
        _require_aware(self.earliest, self.latest)
        if self.minutes <= 0:
            raise ValueError(f"{self.key}: minutes must be positive, got {self.minutes}")
        if _instant(self.latest) < _instant(self.earliest):
            raise ValueError(f"{self.key}: window ends before it starts")
        if self.preferred_rank and len(self.preferred_rank) != len(self.preferred):
            raise ValueError(f"{self.key}: one preferred_rank per preferred window")


@dataclass(frozen=True, slots=True)
class Block:
    """One placed block: what the calendar should hold."""

    key: str
    rule: str
    kind: str
    title: str
    start: datetime
    end: datetime
    show_as: ResolvedShowAs = "busy"
    color: str = "#4285F4"
    quadrant: Quadrant = 2
    category: Category = "proactive"
    tier: str | None = None
    account: str | None = None
    flexible: bool = True
    protected: bool = False
    conflict_policy: ConflictPolicy = "keep"
    reason: str = ""
    all_day: bool = False
    holding: bool = False
    """A window that holds meetings (call window, QBR day): its own time is an offer,
    not work; what counts is the meetings booked into it."""

    def __post_init__(self) -> None:
        _require_aware(self.start, self.end)
        if _instant(self.end) <= _instant(self.start):
            raise ValueError(f"{self.key}: block must have a positive length")

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)

    @property
    def minutes(self) -> int:
        return int((_instant(self.end) - _instant(self.start)) // 60)

    @property
    def content_hash(self) -> str:
        """Hash of what a user can change on the calendar (title and times).

        Written into the ownership tag; comparing it with what the calendar shows
        later tells a user's edit from an echo of our own write.
        """
        return content_hash(self.title, self.start, self.end)


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Minutes a request wanted but could not get, and why."""

    rule: str
    key: str
    requested_minutes: int
    placed_minutes: int
    reason: str


@dataclass(frozen=True, slots=True)
class Conflict:
    """A protected block kept despite a foreign meeting on it (policy ``keep``)."""

    key: str
    meeting: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Plan:
    """The desired blocks for one ISO week of one calendar."""

    week: str
    timezone: str
    blocks: tuple[Block, ...]
    shortfall: tuple[Shortfall, ...] = ()
    conflicts: tuple[Conflict, ...] = ()


@dataclass(frozen=True, slots=True)
class Busy:
    """A foreign event as the planner and the report see it.

    Only email *domains* and the owner's response are kept: full addresses never
    leave the provider boundary.
    """

    start: datetime
    end: datetime
    title: str = "Busy"
    event_id: str | None = None
    all_day: bool = False
    transparent: bool = False
    response: Response = "none"
    attendee_domains: tuple[str, ...] = ()
    organizer_domain: str | None = None

    def __post_init__(self) -> None:
        _require_aware(self.start, self.end)

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)

    @property
    def blocks_time(self) -> bool:
        """Whether this event makes the owner unavailable for planning.

        An event blocks unless it is shown as free (transparent) or the owner
        declined it. All-day events follow the same rule: an accepted, opaque
        two-day offsite blocks both days (its span is local midnight to
        midnight); a holiday, birthday or reminder shown as free does not.
        """
        return not (self.transparent or self.response == "declined")


@dataclass(frozen=True, slots=True)
class Pin:
    """A user decision about one block key: moved (pinned) or deleted (dismissed)."""

    key: str
    start: datetime | None = None
    end: datetime | None = None
    title: str | None = None
    dismissed: bool = False


@dataclass(frozen=True, slots=True)
class RemoteEvent:
    """An event as read from a calendar, ours (``tag`` set) or foreign."""

    event_id: str
    start: datetime
    end: datetime
    title: str
    etag: str | None = None
    tag: OwnershipTag | None = None
    all_day: bool = False
    transparent: bool = False
    cancelled: bool = False
    response: Response = "none"
    attendee_domains: tuple[str, ...] = ()
    organizer_domain: str | None = None
    color: str | None = None

    def __post_init__(self) -> None:
        _require_aware(self.start, self.end)

    @property
    def owned(self) -> bool:
        return self.tag is not None

    @property
    def observed_hash(self) -> str:
        """Content hash (current scheme) of what the calendar shows now."""
        return content_hash(self.title, self.start, self.end)

    @property
    def unedited(self) -> bool:
        """True for our event showing exactly what its tag says we wrote (judged in
        the tag's own hash version, so a scheme change does not look like an edit)."""
        return self.tag is not None and self.tag.shows(self.title, self.start, self.end)

    def as_busy(self) -> Busy:
        return Busy(
            start=self.start,
            end=self.end,
            title=self.title,
            event_id=self.event_id,
            all_day=self.all_day,
            transparent=self.transparent,
            response=self.response,
            attendee_domains=self.attendee_domains,
            organizer_domain=self.organizer_domain,
        )


@dataclass(frozen=True, slots=True)
class EventDraft:
    """What apply asks a provider to write for one block.

    ``event_id`` is deterministic (see :func:`event_id_for`) so a create retried
    after a crash hits the same id instead of making a duplicate.
    """

    event_id: str
    key: str
    title: str
    start: datetime
    end: datetime
    content_hash: str
    show_as: ResolvedShowAs = "busy"
    color: str = "#4285F4"
    all_day: bool = False
    focus: bool = False
    private: bool = False
    description: str = ""
    label: str = ""
    """What the colour stands for ("Focus", "Accounts · High"): the name of the Google
    label / Outlook category the block is painted with (see :func:`block_label`)."""

    def __post_init__(self) -> None:
        _require_aware(self.start, self.end)

    @property
    def tag(self) -> OwnershipTag:
        return OwnershipTag(self.key, self.content_hash, TAG_VERSION)

    @classmethod
    def from_block(cls, block: Block, calendar_id: str, *, private: bool = False) -> EventDraft:
        return cls(
            event_id=event_id_for(calendar_id, block.key),
            key=block.key,
            title=block.title,
            start=block.start,
            end=block.end,
            content_hash=block.content_hash,
            show_as=block.show_as,
            color=block.color,
            all_day=block.all_day,
            focus=block.protected and block.kind in {"focus_time", "meeting_free_day"},
            private=private,
            description=block.reason,
            label=block_label(block),
        )


def block_label(block: Block) -> str:
    """The rule a block comes from, readable ("deep-work" -> "Deep work"), with its tier:
    one name per rule colour, since a tier is what gives one rule several colours."""
    words = block.rule.replace("-", " ").replace("_", " ").strip()
    text = words[:1].upper() + words[1:] if words else block.kind.replace("_", " ").title()
    return f"{text} · {block.tier.title()}" if block.tier else text


@dataclass(frozen=True, slots=True)
class ReadResult:
    """One read of a calendar window.

    ``complete`` is False when the read was cut short (a page failed, a limit was
    hit): the caller must then not infer any deletion from it. For an incremental
    read, ``events`` holds only what changed and ``removed`` the ids that went away.
    ``skipped`` names the foreign events left out because they could not be read
    (no start, an overflowing duration, a rule recurring every second): one bad
    event is left out and named, it never fails the read.
    """

    events: tuple[RemoteEvent, ...]
    complete: bool = True
    sync_token: str | None = None
    incremental: bool = False
    removed: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()


OpAction = Literal["create", "update", "delete"]


@dataclass(frozen=True, slots=True)
class Op:
    """One write apply will make, with the reason shown to the user."""

    action: OpAction
    key: str
    reason: str
    block: Block | None = None
    current: RemoteEvent | None = None

    def describe(self) -> str:
        when = ""
        target = self.block or self.current
        if target is not None:
            when = f" {target.start:%a %d %b %H:%M}-{target.end:%H:%M}"
        title = self.block.title if self.block else (self.current.title if self.current else "")
        return f"{self.action:<6} {title}{when}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a provider can do; apply and the planner adapt to it."""

    colors: bool = True
    categories: bool = False
    focus_time: bool = False
    push: bool = False
    incremental: bool = True
    batch_size: int = 1
    max_concurrency: int = 1


@dataclass(frozen=True, slots=True)
class RunRecord:
    """What one sync run did, for the store's history and the API."""

    calendar_id: str
    trigger: str
    week: str
    started_at: datetime
    finished_at: datetime
    ops: tuple[Op, ...] = ()
    errors: tuple[str, ...] = ()
    dry_run: bool = False
    extra: dict[str, int] = field(default_factory=dict)
    notices: tuple[str, ...] = ()
    """What the run tells without having failed (an event it could not read and left
    out, a colour fallback): kept apart from ``errors`` so a run is failed only by those."""


@dataclass(frozen=True, slots=True)
class TierTarget:
    """A tier's target share of account time (0..1) as the scorecard checks it."""

    name: str
    target_min: float
    target_max: float
    color: str = "#4285F4"
    arr_band: str = ""
    """The tier's ARR band as people read it, in the book's currency ("$100,000 and up")."""


@dataclass(frozen=True, slots=True)
class WeekSpec:
    """Everything the planner needs for one week, as the rules engine expands it.

    ``working`` holds the working-hours intervals of the week with holidays and
    days off already removed; the planner places nothing outside them (all-day
    markers excepted).
    """

    week: str
    timezone: str
    working: tuple[Interval, ...]
    requests: tuple[BlockRequest, ...]
    tiers: tuple[TierTarget, ...] = ()
    category_targets: tuple[tuple[Category, float], ...] = (
        ("proactive", 0.5),
        ("reactive", 0.3),
        ("admin", 0.2),
    )
    alerts_max_minutes: int | None = None
    """The week's cap on alert (trigger) time; None: no cap. Pro rata in short weeks."""
    alerts_cap_source: str = "alerts_max_hours"
    """Where the cap comes from, for the words of what it cut (the user's setting, or
    the short week's share of the alerts)."""
    category_margin: float = 0.1
    """How far (as a fraction) a category's share may stray from its target unflagged."""
    rule_ids: frozenset[str] | None = None
    """Every rule the rules define, asking for time this week or not (None: those of
    ``requests``). A trigger that stops firing leaves its rule here; a rule the user
    removed does not: only the second is a cause to take back today's blocks."""

    @property
    def live_rules(self) -> frozenset[str]:
        if self.rule_ids is not None:
            return self.rule_ids
        return frozenset(r.rule for r in self.requests)

    others_accounts: frozenset[str] = frozenset()
    """Accounts in other owners' books (``rules.books``): an account handed over is,
    like a removed rule, a cause to take back its blocks later today."""

    key_aliases: tuple[tuple[str, str], ...] = ()
    """(old, new) request keys of accounts whose key changed when keys became
    Unicode-aware (``rules.keys``): their events are found again, not re-created."""


__all__ = [
    "Block",
    "BlockRequest",
    "Busy",
    "Capabilities",
    "Conflict",
    "EventDraft",
    "Interval",
    "Op",
    "Pin",
    "Plan",
    "ReadResult",
    "RemoteEvent",
    "RunRecord",
    "Shortfall",
    "TentativeAs",
    "TierTarget",
    "WeekSpec",
    "block_label",
]
