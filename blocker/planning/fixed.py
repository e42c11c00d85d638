"""Steps 1-3 of the placement order (see :mod:`blocker.planner`): the user's pins,
all-day markers, fixed requests and holding windows, each exactly at its time.

These go first because the user decided them (pins) or the template fixes them; the
flexible requests are placed around what they take. When a fixed request cannot
have its time, what took it is named (:func:`_why_not`), never left unsaid.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from blocker.core.keys import chunk_key, in_family, request_of
from blocker.core.models import Block, BlockRequest, Conflict, Pin
from blocker.planning import text
from blocker.planning.state import Placed, RequestState, Week
from blocker.planning.timeline import Span, overlaps, to_seconds


def apply_pins(
    week: Week, states: dict[str, RequestState], pins: Sequence[Pin], prev: dict[str, Block]
) -> None:
    """Honour the user's decisions first: moved blocks stay, deleted ones stay gone.

    A pin is the user's word and is placed even outside working hours or on a
    meeting (the overlap is recorded as a Conflict, not silently dropped).
    """
    latest: dict[str, Pin] = {}
    for pin in pins:
        latest[pin.key] = pin
    for key in sorted(latest):
        pin = latest[key]
        base = request_of(key, states)
        if base is None:
            continue
        state = states[base]
        if pin.dismissed:
            state.dismissed_keys.add(key)
            before = prev.get(key)
            if key == base and (before is None or state.req.fixed or state.req.all_day):
                state.all_dismissed = True
            elif before is not None:
                state.dismissed += before.minutes * 60
            continue
        if pin.title is not None:
            state.titles[key] = pin.title
        if pin.start is None:
            continue  # retitled only: the block goes wherever the planner puts it
        end = pin.end
        if end is None:
            before = prev.get(key)
            end = pin.start + (before.end - before.start if before else _default_len(state.req))
        span = (to_seconds(pin.start), to_seconds(end))
        if span[1] <= span[0]:
            continue
        state.pinned_keys.add(key)
        title = pin.title or state.req.title
        if state.req.all_day:
            state.placed.append(Placed(key, span, title, pinned=True))
        else:
            week.place(state, Placed(key, span, title, pinned=True), conflicts=True)


def _default_len(req: BlockRequest) -> timedelta:
    minutes = req.minutes if req.max_chunk is None else min(req.minutes, req.max_chunk)
    return timedelta(minutes=minutes)


def place_marker(week: Week, state: RequestState) -> None:
    """All-day markers cover their window (or ``minutes`` from ``earliest``)."""
    if state.placed:
        return
    req = state.req
    start = to_seconds(req.earliest)
    end = to_seconds(req.latest) if req.latest > req.earliest else start + req.minutes * 60
    away = [a for a in week.away if a[0] <= start and end <= a[1]]
    if away:  # a whole day away (an offsite): no marker for it
        a_start, _, title = away[0]
        state.notes.append(text.meeting_takes(title, a_start, week.tz))
        return
    state.placed.append(Placed(req.key, (start, end), state.titles.get(req.key, req.title)))
    if req.protected and req.conflict_policy == "keep":
        # a marker holds no time, so meetings may be booked on it (the meeting-free
        # day); each is reported as a conflict naming the meeting and its time
        for m_start, m_end, title in week.meetings_on((start, end)):
            week.conflicts.append(
                Conflict(req.key, title, text.at(m_start, week.tz), text.at(m_end, week.tz))
            )


def place_fixed(week: Week, state: RequestState, prev: dict[str, Block], now_s: int | None) -> None:
    """Exactly at its time, or cut to the longest usable free part, or not at all."""
    req = state.req
    span = (to_seconds(req.earliest), to_seconds(req.earliest) + req.minutes * 60)
    keep = req.protected and req.conflict_policy == "keep"
    room = week.without_away(week.ours.free(span)) if keep else week.blocked.free(span)
    before = prev.get(req.key)
    was_there = before is not None and (to_seconds(before.start), to_seconds(before.end)) == span
    if now_s is not None and not was_there:
        room = [(max(s, now_s), e) for s, e in room if e > now_s]
    title = state.titles.get(req.key, req.title)
    if room == [span]:
        week.place(state, Placed(req.key, span, title), conflicts=keep)
        return
    state.notes.append(_why_not(week, span, room, now_s if not was_there else None))
    usable = [p for p in room if p[1] - p[0] >= state.chunks.min_len]
    if usable:
        best = min(usable, key=lambda p: (-(p[1] - p[0]), p[0]))
        week.place(state, Placed(req.key, best, title), conflicts=keep)


def place_holding(
    week: Week,
    state: RequestState,
    prev: dict[str, Block],
    now_s: int | None,
    stable_s: int | None = None,
) -> None:
    """Cover the free parts of the window (each at least ``min_chunk``) with
    pieces; what meetings take (and slivers between them) is held, not missing.

    Only time lost to our own blocks or pins, or outside working hours, is a
    shortfall. A piece in the past stays only if the previous plan had it there,
    and the past part of the window counts as held (it is over either way). Nor is
    a piece re-created today (before ``stable_s``) when the previous plan had none
    of the window: a block of higher priority took it, kept today ahead of the
    window; the part it left would come back only on the window's own morning, a
    write with no cause (jordan-nyc W11's QBR window beside made-up focus).
    """
    req = state.req
    span = (to_seconds(req.earliest), to_seconds(req.earliest) + req.minutes * 60)
    ours = week.ours.free(span)  # the window minus our blocks, pins and non-working time
    before = {
        (to_seconds(b.start), to_seconds(b.end))
        for key, b in prev.items()
        if in_family(key, req.key)
    }
    gone_today = bool(prev) and not before and stable_s is not None
    pieces: list[Span] = []
    for start, end in week.blocked.free(span):
        if gone_today and stable_s is not None and start < stable_s:
            continue
        if now_s is not None and start < now_s and (start, end) not in before:
            start = max(start, now_s)
        if end - start >= state.chunks.min_len:
            pieces.append((start, end))
    ordinal = 0
    skipped = 0
    for piece in pieces:
        key = chunk_key(req.key, ordinal)
        while key in state.pinned_keys:
            ordinal += 1
            key = chunk_key(req.key, ordinal)
        ordinal += 1
        if key in state.dismissed_keys:
            skipped += piece[1] - piece[0]
            continue
        week.place(state, Placed(key, piece, state.titles.get(key, req.title)))
    own = sum(p[1] - p[0] for p in pieces)
    state.held = max(0, sum(e - s for s, e in ours) - own)
    if skipped and not state.dismissed:
        state.dismissed = skipped
    if state.remaining:
        state.notes.append(_why_not(week, span, ours, None))


def _why_not(week: Week, span: Span, room: list[Span], now_s: int | None) -> str:
    """Name what takes the part of ``span`` that is not in ``room``."""
    for start, end, title in week.meetings_on(span):
        if not any(overlaps(p, (start, end)) for p in room):
            return text.meeting_takes(title, start, week.tz)
    for other, title in week.titled:
        if overlaps(other, span):
            return text.block_takes(title)
    if now_s is not None and span[0] < now_s:
        return text.PAST
    if not week.ours.in_working(span):
        return text.OUTSIDE
    return text.OUTSIDE  # pragma: no cover - room short of span has one of the causes above


__all__ = ["apply_pins", "place_fixed", "place_holding", "place_marker"]
