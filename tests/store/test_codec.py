"""JSON codec of blocks and ops: zones survive, bad data is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blocker.core.models import Block, Op
from blocker.store.codec import (
    decode_block,
    decode_datetime,
    decode_op,
    encode_block,
    encode_datetime,
    encode_op,
)

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]


def test_named_zone_is_kept_with_an_rfc9557_suffix() -> None:
    value = datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    text = encode_datetime(value)
    assert text == "2026-03-29T03:30:00+02:00[Europe/Berlin]"
    back = decode_datetime(text)
    assert back == value and back.tzinfo == ZoneInfo("Europe/Berlin")


def test_fixed_offset_round_trips_as_offset() -> None:
    value = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=-3)))
    back = decode_datetime(encode_datetime(value))
    assert back == value and back.utcoffset() == timedelta(hours=-3)


def test_naive_values_are_refused_both_ways() -> None:
    with pytest.raises(ValueError, match="naive"):
        encode_datetime(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        decode_datetime("2026-01-01T00:00:00")


def test_invalid_literals_are_refused() -> None:
    data = encode_block(
        Block(
            "k",
            "r",
            "focus",
            "T",
            datetime(2026, 1, 1, tzinfo=UTC),
            datetime(2026, 1, 2, tzinfo=UTC),
        )
    )
    data["show_as"] = "auto"  # a rule setting, never a placed block's
    with pytest.raises(ValueError, match="show_as"):
        decode_block(data)


def test_op_json_carries_the_history_fields() -> None:
    start = datetime(2026, 12, 1, 9, tzinfo=ZoneInfo("Europe/Berlin"))
    block = Block("k", "r", "qbr", "QBR Acme", start, start + timedelta(hours=1))
    data = encode_op(Op("create", "k", "created: renewal of Acme in 30 days", block=block))
    assert {k: data[k] for k in ("action", "key", "reason", "title", "start", "end")} == {
        "action": "create",
        "key": "k",
        "reason": "created: renewal of Acme in 30 days",
        "title": "QBR Acme",
        "start": "2026-12-01T09:00:00+01:00[Europe/Berlin]",
        "end": "2026-12-01T10:00:00+01:00[Europe/Berlin]",
    }


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(max_size=40),
    start=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2090, 1, 1),
        timezones=st.sampled_from([ZoneInfo(z) for z in ZONES]),
        allow_imaginary=False,  # wall times inside a DST gap: the planner never makes them
    ),
    minutes=st.integers(min_value=1, max_value=60 * 24 * 3),
    quadrant=st.sampled_from([1, 2, 3, 4]),
    tier=st.none() | st.text(max_size=10),
)
def test_block_survives_json(
    title: str, start: datetime, minutes: int, quadrant: int, tier: str | None
) -> None:
    begin = start
    block = Block(
        key="k",
        rule="r",
        kind="k",
        title=title,
        start=begin,
        end=begin + timedelta(minutes=minutes),
        quadrant=quadrant,  # type: ignore[arg-type]
        tier=tier,
    )
    wire = json.loads(json.dumps(encode_block(block)))
    back = decode_block(wire)
    assert back == block
    assert back.start.tzinfo == block.start.tzinfo
    assert back.content_hash == block.content_hash
    assert decode_op(json.loads(json.dumps(encode_op(Op("create", "k", "x", block=block))))) == Op(
        "create", "k", "x", block=block
    )
