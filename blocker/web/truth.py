"""What the dashboard may say is true: block states, connection states, the action banner.

Kept apart from the routes so every statement the page makes has one source
that tests can check: a block is "on your calendar" only when a dry run of the
sync engine would not write it; a calendar is "connected" only when the store
holds its tokens and the last read of it did not fail; a banner asks for an
action only for something the store or the last read says is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from blocker.connections import KINDS, kind_label
from blocker.core.errors import BlockerError, ReconnectRequired
from blocker.core.models import Op, Plan, RunRecord
from blocker.outlook_state import COLOURS
from blocker.web.report_html import shown_calendar

__all__ = [
    "Action",
    "BlockState",
    "ConnectionView",
    "actions",
    "block_states",
    "connect_buttons",
    "connect_url",
    "connection_views",
    "last_real_run",
    "moves_of_week",
    "plain",
    "run_failures",
]


def connect_url(provider: str) -> str | None:
    """The sign-in page of a kind with one (``/connect/<route>``), from the registry."""
    kind = KINDS.get(provider)
    if kind is None or kind.connect is None or kind.connect_route is None:
        return None
    return f"/connect/{kind.connect_route}"


_PERMISSION = {COLOURS: "colours of blocks in Outlook"}
"""Fallbacks a new consent fixes: the user is asked to reconnect and allow the permission."""

# Internal words a user should never read, and what to say instead.
_JARGON = (
    (" or `blocker connect`", ""),
    ("invalid_grant", "access was withdrawn"),
    ("BLOCKER_API_TOKEN", "the service's sign-in token"),
    ("`blocker connect google`", "Connect on the dashboard"),
    ("`blocker connect outlook`", "Connect on the dashboard"),
    ("`blocker connect`", "Connect on the dashboard"),
)


_RULE_ID = re.compile(r" \(rule '[^']*'\)")


def plain(text: str) -> str:
    """A message in the user's words (no OAuth codes, settings, CLI names or rule ids)."""
    for word, said in _JARGON:
        text = text.replace(word, said)
    return shown_calendar(_RULE_ID.sub("", text))


@dataclass(frozen=True, slots=True)
class BlockState:
    """One block's relation to the calendar: ``state`` for styling, ``label`` in words."""

    state: str  # "synced" | "pending" | "moving" | "moved" | "conflict"
    label: str


def _at(when: datetime, tz: ZoneInfo) -> str:
    return f"{when.astimezone(tz):%a %H:%M}"


def moves_of_week(runs: Iterable[RunRecord], week: str) -> dict[str, datetime]:
    """Where each block moved by a real run of ``week`` was before its newest move."""
    out: dict[str, datetime] = {}
    for run in runs:  # newest first
        if run.week != week or run.dry_run:
            continue
        for op in run.ops:
            if op.action == "update" and op.current is not None and op.key not in out:
                out[op.key] = op.current.start
    return out


def _op_key(op: Op) -> str:
    return op.block.key if op.block is not None else op.key


def block_states(
    plan: Plan, pending: Sequence[Op], moved_from: dict[str, datetime], tz: ZoneInfo
) -> dict[str, BlockState]:
    """Each planned block's state: what a sync would still write decides "not yet"."""
    ops = {_op_key(op): op for op in pending}
    conflicts = {c.key: c.meeting for c in plan.conflicts}
    states: dict[str, BlockState] = {}
    for block in plan.blocks:
        op = ops.get(block.key)
        if block.key in conflicts:
            states[block.key] = BlockState(
                "conflict", f"in conflict: “{conflicts[block.key]}” is at the same time (kept)"
            )
        elif op is not None and op.action == "create":
            states[block.key] = BlockState("pending", "not yet on your calendar: Sync now adds it")
        elif op is not None and op.action == "update":
            where = f", now at {_at(op.current.start, tz)}" if op.current is not None else ""
            states[block.key] = BlockState(
                "moving", f"not yet synced: Sync now moves it here{where}"
            )
        elif block.key in moved_from:
            states[block.key] = BlockState("moved", f"moved from {_at(moved_from[block.key], tz)}")
        else:
            states[block.key] = BlockState("synced", "on your calendar")
    return states


@dataclass(frozen=True, slots=True)
class ConnectionView:
    """One calendar of the rules as the page shows it; ``action`` None when none is needed."""

    id: str
    provider: str
    provider_label: str
    state: str  # "connected" | "local" | "not_connected" | "needs_reconnect" | "unreadable"
    label: str
    reason: str
    action_label: str | None
    action_url: str | None
    last_sync: str


def run_failures(run: RunRecord) -> list[str]:
    """The errors of ``run``: a run that only has notices (an event left out, a
    colour fallback; ``RunRecord.notices``) did what it meant to and is not failed."""
    return list(run.errors)


def connect_buttons(views: Sequence[ConnectionView]) -> list[tuple[str, str]]:
    """(label, sign-in URL) of each kind with a sign-in that the rules' calendars use."""
    kinds = sorted({v.provider for v in views if connect_url(v.provider) is not None})
    return [(kind_label(k), str(connect_url(k))) for k in kinds]


def _withdrawn(provider_label: str) -> str:
    """Why a calendar needs reconnecting, in words: the stored reason is the provider's
    error (a refused token, an OAuth code) and names nothing the user can act on."""
    return f"{provider_label} no longer lets csm-blocker use it (access was withdrawn or expired)"


def last_real_run(runs: Iterable[RunRecord]) -> RunRecord | None:
    """The newest run that was not a dry run (runs come newest first)."""
    return next((r for r in runs if not r.dry_run), None)


def connection_views(
    runtime: Any,
    last_runs: Mapping[str, RunRecord | None],
    shown: str,
    read_error: BlockerError | None,
    tz: ZoneInfo,
) -> list[ConnectionView]:
    """Calendars of the rules, each stated from the store and the last read of it.

    The calendar shown was read for this page (``read_error`` is that read's
    failure); the others are judged by the store and their last real run.
    """
    stored = {c.calendar_id: c for c in runtime.store.list_connections()}
    views = []
    for cal in runtime.rules.calendars:
        conn = stored.get(cal.id)
        url = connect_url(cal.provider)
        url = f"{url}?calendar={quote(shown_calendar(cal.id), safe='')}" if url else None
        run = last_runs.get(cal.id)
        failed_error = read_error if cal.id == shown else None
        last = (
            f"last sync {run.started_at.astimezone(tz):%a %d %b %H:%M}" if run else "never synced"
        )
        reason = ""
        if url is None:
            state, label = "local", "a file on this computer"
        elif conn is None or not conn.has_tokens or conn.status == "disconnected":
            state, label = "not_connected", "not connected"
            reason = "csm-blocker has no access to this calendar yet"
        elif conn.status == "needs_reconnect" or isinstance(failed_error, ReconnectRequired):
            state, label = "needs_reconnect", "needs reconnecting"
            reason = _withdrawn(kind_label(cal.provider))
        else:
            state, label = "connected", "connected"
        if failed_error is not None and state in ("local", "connected"):
            state, label = "unreadable", "could not be read just now"
            reason = plain(failed_error.user_message())
        action = {"not_connected": "Connect", "needs_reconnect": "Reconnect"}.get(state)
        views.append(
            ConnectionView(
                id=cal.id,
                provider=cal.provider,
                provider_label=kind_label(cal.provider),
                state=state,
                label=label,
                reason=reason,
                action_label=action if url else None,
                action_url=url if action else None,
                last_sync=last,
            )
        )
    return views


@dataclass(frozen=True, slots=True)
class Action:
    """One thing the user must do, said once at the top, with its button."""

    kind: str  # "reconnect" | "permission" | "sync_failed" | "unreadable"
    message: str
    button: str | None = None
    url: str | None = None
    sync: bool = False
    """The button is Sync now (a form post), not a link."""


def actions(
    views: Sequence[ConnectionView],
    last_runs: Mapping[str, RunRecord | None],
    fallbacks: Mapping[str, Sequence[Any]],
    shown: str,
    pending: bool = True,
) -> list[Action]:
    """What needs action, most blocking first; empty when everything is well.

    ``pending``: the page's own read of ``shown`` left something to write (or failed).
    A failed last sync whose calendar now matches the plan anyway (the user
    reconnected, say, and nothing changed since) asks for nothing: its record stays
    in the run history, but Sync now would write nothing.
    """
    out: list[Action] = []
    for v in views:
        if v.state in ("needs_reconnect", "not_connected"):
            verb = "is not connected" if v.state == "not_connected" else "needs reconnecting"
            why = f": {v.reason}" if v.reason else ""
            name = shown_calendar(v.id)
            out.append(
                Action("reconnect", f"Calendar {name} {verb}{why}.", v.action_label, v.action_url)
            )
    for v in views:
        for fb in fallbacks.get(v.id, ()):
            what = _PERMISSION.get(fb.capability)
            start = connect_url(v.provider)
            if what is not None and v.action_url is None and start is not None:
                url = start + f"?calendar={quote(shown_calendar(v.id), safe='')}"
                out.append(
                    Action(
                        "permission",
                        f"Permission missing on {shown_calendar(v.id)}: {what}. "
                        "Reconnect and allow it to get them back.",
                        "Reconnect",
                        url,
                    )
                )
    shown_view = next((v for v in views if v.id == shown), None)
    if shown_view is not None and shown_view.state == "unreadable":
        out.append(
            Action(
                "unreadable",
                f"Calendar {shown_calendar(shown)} could not be read: {shown_view.reason}",
                "Try again",
                f"/?calendar={quote(shown, safe='')}",
            )
        )
    run = last_runs.get(shown)
    failures = run_failures(run) if run is not None else []
    if failures and pending and not any(a.kind == "reconnect" for a in out):
        out.append(
            Action(
                "sync_failed",
                f"The last sync of {shown_calendar(shown)} failed: {plain(failures[0])}",
                "Sync now",
                sync=True,
            )
        )
    return out
