"""What really happened: real meetings classified by account, tier and kind (issue 11).

The plan says where time *should* go; the calendar says where it *went*. A
foreign event counts when the owner did not decline it, it is not shown as free
and it is not all-day (a busy all-day entry, such as an offsite, counts no
meeting hours but takes its days: blocks on them are not time worked). Its
attendee (and organizer) email domains decide what it was:

- any domain of an account (``acme.com``, or a sub-domain such as ``eu.acme.com``)
  -> an account meeting; with several accounts its minutes are split evenly;
- otherwise only the owner's own domains -> ``internal``;
- no domain at all -> ``solo`` (the owner's own appointment);
- other outside domains only -> ``external`` (a vendor, a partner).

Quadrant and category of real meetings come from :mod:`blocker.core.eisenhower` (the
user's rules, then the documented defaults): a meeting with an account renewing
soon or at risk is Q1, QBRs and planning Q2, a call the *customer* called
(organizer from the account's domain) Q1 reactive, one the owner's side called
Q2 proactive, internal syncs and external meetings Q3 admin; solo events count
in no split (they may be a dentist appointment or deep work the user blocked by
hand).

Only domains are ever looked at; full addresses never reach this module.
Everything here is pure except :func:`observe`, which calls the injected
provider's ``read`` (the one edge).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from blocker.core.eisenhower import MeetingFacts, MeetingKind, MeetingMapping
from blocker.core.models import Block, Busy, Category, Interval, Quadrant, ReadResult, RemoteEvent
from blocker.core.weeks import week_window

__all__ = [
    "CADENCE_DAYS",
    "HISTORY_DAYS",
    "Actuals",
    "DomainIndex",
    "Entry",
    "MeetingClass",
    "MeetingKind",
    "MeetingMapping",
    "Missed",
    "Observed",
    "away",
    "classify",
    "counts",
    "facts",
    "history_window",
    "last_contacts",
    "measure",
    "missed_touchpoints",
    "observe",
    "observed",
    "on_calendar",
    "tier_meetings",
]

CADENCE_DAYS: dict[str, int] = {"weekly": 7, "biweekly": 14, "monthly": 30, "quarterly": 91}
"""How many days a tier's cadence allows between two touchpoints."""

HISTORY_DAYS = max(CADENCE_DAYS.values()) + 1
"""How far back the calendar is read for last contacts: the longest cadence."""


class AccountLike(Protocol):
    """What this module needs of an account (``rules.spec.Account`` fits)."""

    @property
    def name(self) -> str: ...
    @property
    def tier(self) -> str | None: ...
    @property
    def domains(self) -> tuple[str, ...]: ...
    @property
    def last_contact(self) -> date | None: ...


@dataclass(frozen=True, slots=True)
class MeetingClass:
    """What a real meeting was: its kind and, for account meetings, which accounts."""

    kind: MeetingKind
    accounts: tuple[str, ...] = ()
    customer_called: bool = False


DEFAULT_MAPPING = MeetingMapping()
"""The documented Eisenhower defaults, no user rules."""


def _norm(domain: str) -> str:
    return domain.strip().lower().lstrip("@").rstrip(".")


def _parents(domain: str) -> Iterable[str]:
    """``a.b.acme.com`` -> itself, ``b.acme.com``, ``acme.com``, ``com``."""
    parts = _norm(domain).split(".")
    for i in range(len(parts)):
        yield ".".join(parts[i:])


class DomainIndex:
    """Domain -> accounts, and the owner's own domains, matched on label boundaries."""

    def __init__(
        self,
        accounts: Iterable[AccountLike],
        owner_domains: Iterable[str],
        urgent: Iterable[str] = (),
        colleagues: Iterable[AccountLike] = (),
    ) -> None:
        self.urgent = frozenset(urgent)
        """Accounts renewing soon or at risk (:func:`blocker.core.eisenhower.urgent_accounts`)."""
        self._accounts: dict[str, list[str]] = {}
        self.tiers: dict[str, str | None] = {}
        for account in accounts:
            self.tiers[account.name] = account.tier
            for domain in account.domains:
                names = self._accounts.setdefault(_norm(domain), [])
                if account.name not in names:
                    names.append(account.name)
        self._owner = frozenset(_norm(d) for d in owner_domains)
        # other CSMs' books (rules.books): their meetings are customer time, but
        # attributed to no account or tier of this owner
        others = [a for a in colleagues if a.name not in self.tiers]
        self.colleague_names = frozenset(a.name for a in others)
        self._colleague_domains = frozenset(_norm(d) for a in others for d in a.domains)

    def accounts_for(self, domain: str) -> tuple[str, ...]:
        """Accounts owning ``domain`` (the most specific registered domain wins)."""
        for candidate in _parents(domain):
            if candidate in self._accounts:
                return tuple(self._accounts[candidate])
        return ()

    def is_owner(self, domain: str) -> bool:
        return any(candidate in self._owner for candidate in _parents(domain))

    def is_colleagues(self, domain: str) -> bool:
        """Whether ``domain`` is a customer's in another CSM's book (none of ours)."""
        if self.accounts_for(domain):
            return False
        return any(candidate in self._colleague_domains for candidate in _parents(domain))


def counts(event: Busy) -> bool:
    """Whether a foreign event is meeting time the owner really spent: not declined,
    not shown as free, not all-day, not empty.

    An all-day event has no hours to count (midnight to midnight is not a 24-hour
    meeting), but a busy one still takes its days: see :func:`away`.
    """
    return event.blocks_time and not event.all_day and event.interval.minutes > 0


def away(event: Busy) -> bool:
    """Whether a foreign event is a busy all-day entry (an offsite, out of office):
    blocks on its days were not worked, though the entry itself is no meeting time."""
    return event.blocks_time and event.all_day and event.interval.minutes > 0


def classify(event: Busy, index: DomainIndex) -> MeetingClass:
    """Which account(s) a meeting was with, or whether it was internal/solo/external."""
    domains = [_norm(d) for d in event.attendee_domains]
    if event.organizer_domain:
        domains.append(_norm(event.organizer_domain))
    found: list[str] = []
    for domain in domains:
        for name in index.accounts_for(domain):
            if name not in found:
                found.append(name)
    if found:
        organizer = event.organizer_domain
        called = organizer is not None and bool(index.accounts_for(organizer))
        return MeetingClass("account", tuple(sorted(found)), customer_called=called)
    if not domains:
        return MeetingClass("solo")
    if any(index.is_colleagues(d) for d in domains):  # customer time, none of our book
        organizer = event.organizer_domain
        called = organizer is not None and index.is_colleagues(organizer)
        return MeetingClass("account", (), customer_called=called)
    if all(index.is_owner(d) for d in domains):
        return MeetingClass("internal")
    return MeetingClass("external")


def facts(event: Busy, cls: MeetingClass, index: DomainIndex) -> MeetingFacts:
    """What the Eisenhower mapping may look at of a classified meeting."""
    domains = [_norm(d) for d in event.attendee_domains]
    organizer = _norm(event.organizer_domain) if event.organizer_domain else None
    if organizer is not None:
        domains.append(organizer)
    return MeetingFacts(
        title=event.title,
        kind=cls.kind,
        domains=tuple(domains),
        organizer=organizer,
        customer_called=cls.customer_called,
        urgent=any(name in index.urgent for name in cls.accounts),
    )


@dataclass(frozen=True, slots=True)
class Entry:
    """A piece of actual time: a block that stayed on the calendar or (a share of) a meeting.

    ``minutes`` may be fractional (a meeting split over three accounts).
    ``quadrant``/``category`` are None for time that counts in no split (solo).
    """

    minutes: float
    source: Literal["block", "meeting"]
    title: str
    quadrant: Quadrant | None
    category: Category | None
    tier: str | None = None
    account: str | None = None
    protected: bool = False
    kind: str = ""


@dataclass(frozen=True, slots=True)
class Actuals:
    """The week as it happened: time entries, every counted meeting and its class."""

    entries: tuple[Entry, ...]
    meetings: tuple[tuple[Busy, MeetingClass], ...]
    contacts: Mapping[str, date] = field(default_factory=dict)

    def minutes(self, kind: MeetingKind) -> float:
        """Minutes of counted meetings of one kind (within the week)."""
        return sum(e.minutes for e in self.entries if e.source == "meeting" and e.kind == kind)


def _clip(interval: Interval, window: Interval) -> Interval | None:
    start = max(interval.start, window.start, key=lambda d: d.timestamp())
    end = min(interval.end, window.end, key=lambda d: d.timestamp())
    if end.timestamp() <= start.timestamp():
        return None
    return Interval(start, end)


def _minus(interval: Interval, holes: Sequence[Interval]) -> float:
    """Minutes of ``interval`` not covered by any of ``holes`` (which may overlap)."""
    cuts = sorted(
        (c for c in (_clip(h, interval) for h in holes) if c is not None),
        key=lambda c: c.start.timestamp(),
    )
    covered = 0.0
    cursor = interval.start.timestamp()
    for cut in cuts:
        start = max(cursor, cut.start.timestamp())
        end = cut.end.timestamp()
        if end > start:
            covered += end - start
            cursor = end
    return (interval.end.timestamp() - interval.start.timestamp() - covered) / 60


def measure(
    week_span: Interval,
    blocks: Sequence[Block],
    meetings: Sequence[Busy],
    index: DomainIndex,
    mapping: MeetingMapping = DEFAULT_MAPPING,
) -> Actuals:
    """Actual time of the week: ``blocks`` (ours, as the calendar holds them) minus the
    meetings that landed on them and the days of busy all-day entries (a block on an
    accepted offsite was not worked), plus every counted meeting by account/kind.
    Holding windows ("book calls here") count nothing themselves: an empty one was
    not work, and the calls booked into one count as meetings.

    Only the parts inside ``week_span`` count, so a read of a wider window can be
    passed as is.
    """
    counted = [(m, classify(m, index)) for m in meetings if counts(m)]
    in_week = [(m, c) for m, c in counted if _clip(m.interval, week_span) is not None]
    busy = [span for m, _ in in_week if (span := _clip(m.interval, week_span)) is not None]
    busy += [span for m in meetings if away(m) and (span := _clip(m.interval, week_span))]
    entries: list[Entry] = []
    for block in blocks:
        span = _clip(block.interval, week_span)
        if block.all_day or block.holding or span is None:
            continue  # a holding window's work is the meetings booked into it
        left = _minus(span, busy)
        if block.account is not None and block.account in index.colleague_names:
            # an account that changed hands: its time stays on the record, but it is
            # attributed by the current book, as its meetings are (rules.books)
            block = replace(block, account=None, tier=None)
        if left > 0:
            entries.append(
                Entry(
                    minutes=left,
                    source="block",
                    title=block.title,
                    quadrant=block.quadrant,
                    category=block.category,
                    tier=block.tier,
                    account=block.account,
                    protected=block.protected,
                    kind=block.kind,
                )
            )
    for meeting, cls in in_week:
        span = _clip(meeting.interval, week_span)
        assert span is not None
        total = (span.end.timestamp() - span.start.timestamp()) / 60
        split = mapping.of(facts(meeting, cls, index))
        quadrant, category = split if split is not None else (None, None)
        for name in cls.accounts or (None,):
            share = total / len(cls.accounts) if cls.accounts else total
            entries.append(
                Entry(
                    minutes=share,
                    source="meeting",
                    title=meeting.title,
                    quadrant=quadrant,
                    category=category,
                    tier=index.tiers.get(name) if name is not None else None,
                    account=name,
                    kind=cls.kind,
                )
            )
    return Actuals(entries=tuple(entries), meetings=tuple(in_week))


def last_contacts(
    meetings: Iterable[Busy], index: DomainIndex, *, before: datetime, timezone: str
) -> dict[str, date]:
    """Per account, the local date of its most recent counted meeting starting before
    ``before`` (declined, free and all-day events are no contact)."""
    tz = ZoneInfo(timezone)
    out: dict[str, date] = {}
    for meeting in meetings:
        if not counts(meeting) or meeting.start.timestamp() >= before.timestamp():
            continue
        day = meeting.start.astimezone(tz).date()
        for name in classify(meeting, index).accounts:
            if name not in out or out[name] < day:
                out[name] = day
    return out


MEETING_STEP = 30
"""The week's meeting minutes per tier are counted in whole hours (rounded down),
so one meeting more or less rarely changes the account-time budget."""


def tier_meetings(
    meetings: Iterable[Busy], index: DomainIndex, week_span: Interval
) -> dict[str, int]:
    """Minutes per tier of the counted meetings with its accounts inside ``week_span``
    (a meeting with several accounts split evenly), in :data:`MEETING_STEP` steps:
    what the account-time budget counts toward each tier's share."""
    minutes: dict[str, float] = {}
    for meeting in meetings:
        span = _clip(meeting.interval, week_span) if counts(meeting) else None
        if span is None:
            continue
        names = classify(meeting, index).accounts
        for name in names:
            tier = index.tiers.get(name)
            if tier is not None:
                share = span.minutes / len(names)
                minutes[tier] = minutes.get(tier, 0.0) + share
    return {
        tier: int(total // MEETING_STEP) * MEETING_STEP
        for tier, total in minutes.items()
        if total >= MEETING_STEP
    }


@dataclass(frozen=True, slots=True)
class Missed:
    """An account whose cadence asked for a touchpoint by ``due`` and got none."""

    account: str
    tier: str
    cadence: str
    last_contact: date | None
    due: date


def missed_touchpoints(
    accounts: Iterable[AccountLike],
    cadences: Mapping[str, str],
    contacts: Mapping[str, date],
    period_end: date,
) -> tuple[Missed, ...]:
    """Accounts with no touchpoint in the cadence period ending ``period_end``.

    The period is the tier's cadence in days (:data:`CADENCE_DAYS`) ending on
    ``period_end``: a weekly account needs a contact within the week, a monthly
    one within the last 30 days. The last contact is the later of the accounts
    file and ``contacts`` (the calendar); an account never contacted is listed.
    Longest-silent first.
    """
    out: list[Missed] = []
    for account in accounts:
        tier = account.tier
        if tier is None or tier not in cadences:
            continue
        days = CADENCE_DAYS.get(cadences[tier])
        if days is None:
            continue
        known = [d for d in (account.last_contact, contacts.get(account.name)) if d is not None]
        last = max((d for d in known if d <= period_end), default=None)
        start = period_end - timedelta(days=days - 1)
        if last is None or last < start:
            out.append(Missed(account.name, tier, cadences[tier], last, period_end))
    out.sort(key=lambda m: (m.last_contact or date.min, m.account))
    return tuple(out)


def history_window(week: str, timezone: str) -> Interval:
    """The week plus :data:`HISTORY_DAYS` before it: one read serves hours and contacts."""
    span = week_window(week, timezone)
    return Interval(span.start - timedelta(days=HISTORY_DAYS), span.end)


class Reader(Protocol):
    def read(self, window: Interval, sync_token: str | None = None) -> ReadResult: ...


@dataclass(frozen=True, slots=True)
class Observed:
    """One read of a calendar split the way the report needs it."""

    foreign: tuple[Busy, ...]
    owned: tuple[RemoteEvent, ...]
    complete: bool


def observe(provider: Reader, window: Interval) -> Observed:
    """Read ``window`` once (the only I/O here): foreign events as Busy, ours as events."""
    return observed(provider.read(window))


def observed(result: ReadResult, within: Interval | None = None) -> Observed:
    """A read split as :func:`observe` does; ``within`` keeps only the events
    overlapping it (a sync's read of a wider window serves the report)."""
    live = [e for e in result.events if not e.cancelled]
    if within is not None:
        lo, hi = within.start.timestamp(), within.end.timestamp()
        live = [
            e
            for e in live
            if e.start.timestamp() < hi and (e.end.timestamp() > lo or e.start.timestamp() >= lo)
        ]
    return Observed(
        foreign=tuple(e.as_busy() for e in live if not e.owned),
        owned=tuple(e for e in live if e.owned),
        complete=result.complete,
    )


def on_calendar(owned: Iterable[RemoteEvent], known: Iterable[Block]) -> list[Block]:
    """Our blocks as the calendar holds them: each owned event with a known key,
    at the times it shows now (the user may have moved it). Unknown keys are skipped:
    without their block we do not know tier or quadrant."""
    by_key: dict[str, Block] = {}
    for block in known:
        by_key.setdefault(block.key, block)
    out: list[Block] = []
    seen: set[str] = set()
    for event in owned:
        if event.tag is None or event.tag.key in seen or event.tag.key not in by_key:
            continue
        seen.add(event.tag.key)
        block = by_key[event.tag.key]
        if event.end.timestamp() > event.start.timestamp():
            block = replace(block, start=event.start, end=event.end, title=event.title)
        out.append(block)
    return out
