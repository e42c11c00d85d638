"""JSON (de)serialisation of the value objects the store keeps as documents.

Blocks of the last applied plan and the ops of a run are stored as JSON, not as
columns: they are read and written whole, and their shape follows
:mod:`blocker.core.models`. Datetimes keep their zone: ``2026-12-01T09:00:00+01:00[Europe/Berlin]``
(the RFC 9557 suffix), so a block planned in Berlin comes back in Berlin, not
merely at the same instant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast, get_args
from zoneinfo import ZoneInfo

from blocker.core.keys import OwnershipTag
from blocker.core.models import (
    Block,
    Category,
    ConflictPolicy,
    Op,
    OpAction,
    Quadrant,
    RemoteEvent,
    ResolvedShowAs,
    Response,
)

JSON = dict[str, Any]


def encode_datetime(value: datetime) -> str:
    """ISO-8601 with offset, plus ``[Zone/Key]`` when the tzinfo is a named zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: cannot be stored")
    text = value.isoformat()
    if isinstance(value.tzinfo, ZoneInfo):
        text += f"[{value.tzinfo.key}]"
    return text


def decode_datetime(text: str) -> datetime:
    """Inverse of :func:`encode_datetime`; rejects naive timestamps."""
    zone: ZoneInfo | None = None
    if text.endswith("]") and "[" in text:
        text, _, key = text[:-1].partition("[")
        zone = ZoneInfo(key)
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"naive timestamp {text!r} in stored data")
    return value.astimezone(zone) if zone is not None else value


def _literal(value: Any, allowed: Any, name: str) -> Any:
    if value not in get_args(allowed):
        raise ValueError(f"invalid {name} {value!r} in stored data")
    return value


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def encode_block(block: Block) -> JSON:
    return {
        "key": block.key,
        "rule": block.rule,
        "kind": block.kind,
        "title": block.title,
        "start": encode_datetime(block.start),
        "end": encode_datetime(block.end),
        "show_as": block.show_as,
        "color": block.color,
        "quadrant": block.quadrant,
        "category": block.category,
        "tier": block.tier,
        "account": block.account,
        "flexible": block.flexible,
        "protected": block.protected,
        "conflict_policy": block.conflict_policy,
        "reason": block.reason,
        "all_day": block.all_day,
        "holding": block.holding,
    }


def decode_block(data: JSON) -> Block:
    """Rebuild a :class:`Block`; optional fields absent from older rows take defaults."""
    return Block(
        key=str(data["key"]),
        rule=str(data["rule"]),
        kind=str(data["kind"]),
        title=str(data["title"]),
        start=decode_datetime(data["start"]),
        end=decode_datetime(data["end"]),
        show_as=cast(
            ResolvedShowAs, _literal(data.get("show_as", "busy"), ResolvedShowAs, "show_as")
        ),
        color=str(data.get("color", "#4285F4")),
        quadrant=cast(Quadrant, _literal(data.get("quadrant", 2), Quadrant, "quadrant")),
        category=cast(Category, _literal(data.get("category", "proactive"), Category, "category")),
        tier=_opt_str(data.get("tier")),
        account=_opt_str(data.get("account")),
        flexible=bool(data.get("flexible", True)),
        protected=bool(data.get("protected", False)),
        conflict_policy=cast(
            ConflictPolicy,
            _literal(data.get("conflict_policy", "keep"), ConflictPolicy, "conflict_policy"),
        ),
        reason=str(data.get("reason", "")),
        all_day=bool(data.get("all_day", False)),
        holding=bool(data.get("holding", False)),
    )


def encode_remote_event(event: RemoteEvent) -> JSON:
    return {
        "event_id": event.event_id,
        "start": encode_datetime(event.start),
        "end": encode_datetime(event.end),
        "title": event.title,
        "etag": event.etag,
        "tag": (
            None
            if event.tag is None
            else {
                "key": event.tag.key,
                "content_hash": event.tag.content_hash,
                "version": event.tag.version,
            }
        ),
        "all_day": event.all_day,
        "transparent": event.transparent,
        "cancelled": event.cancelled,
        "response": event.response,
        "attendee_domains": list(event.attendee_domains),
        "organizer_domain": event.organizer_domain,
        "color": event.color,
    }


def _decode_tag(tag: JSON) -> OwnershipTag:
    """Snapshots saved before tags had a version hold version-1 tags."""
    return OwnershipTag(str(tag["key"]), str(tag["content_hash"]), int(tag.get("version", 1)))


def decode_remote_event(data: JSON) -> RemoteEvent:
    tag = data.get("tag")
    return RemoteEvent(
        event_id=str(data["event_id"]),
        start=decode_datetime(data["start"]),
        end=decode_datetime(data["end"]),
        title=str(data["title"]),
        etag=_opt_str(data.get("etag")),
        tag=None if tag is None else _decode_tag(tag),
        all_day=bool(data.get("all_day", False)),
        transparent=bool(data.get("transparent", False)),
        cancelled=bool(data.get("cancelled", False)),
        response=cast(Response, _literal(data.get("response", "none"), Response, "response")),
        attendee_domains=tuple(str(d) for d in data.get("attendee_domains", ())),
        organizer_domain=_opt_str(data.get("organizer_domain")),
        color=_opt_str(data.get("color")),
    )


def encode_op(op: Op) -> JSON:
    """An op as the run history shows it (action/key/reason/title/start/end).

    The block and the event it acted on are kept too, so a stored run decodes
    back to the same :class:`Op`.
    """
    target = op.block or op.current
    title = op.block.title if op.block else (op.current.title if op.current else None)
    return {
        "action": op.action,
        "key": op.key,
        "reason": op.reason,
        "title": title,
        "start": None if target is None else encode_datetime(target.start),
        "end": None if target is None else encode_datetime(target.end),
        "block": None if op.block is None else encode_block(op.block),
        "current": None if op.current is None else encode_remote_event(op.current),
    }


def decode_op(data: JSON) -> Op:
    block = data.get("block")
    current = data.get("current")
    return Op(
        action=cast(OpAction, _literal(data["action"], OpAction, "op action")),
        key=str(data["key"]),
        reason=str(data.get("reason", "")),
        block=None if block is None else decode_block(block),
        current=None if current is None else decode_remote_event(current),
    )


__all__ = [
    "decode_block",
    "decode_datetime",
    "decode_op",
    "decode_remote_event",
    "encode_block",
    "encode_datetime",
    "encode_op",
    "encode_remote_event",
]
