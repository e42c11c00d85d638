"""A bug in our own mapping code crashes loudly (issue 18): it surfaces as its own
traceback, never as a ProviderError that a run records as "the write failed" (and
retries for ever). Real Google client against the loopback fake; the bug is planted
in the mapping the provider calls."""

from __future__ import annotations

from typing import Any

import pytest

import providers.google_writes
from blocker.core.errors import ProviderError
from blocker.core.models import EventDraft
from providers.base import Write
from providers.google import GoogleCalendar
from tests.fakes.google import FakeGoogle
from tests.google.conftest import draft


def _broken_body(_draft: EventDraft, **_kw: Any) -> dict[str, Any]:
    raise KeyError("colorId")  # what a typo in the mapping would raise


def test_a_mapping_bug_in_a_batch_write_is_a_traceback_not_a_failed_write(
    provider: GoogleCalendar, fake: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = provider.write_batch([Write("create", draft("before"))])
    assert not isinstance(good[0], ProviderError)
    monkeypatch.setattr(providers.google_writes, "draft_body", _broken_body)

    with pytest.raises(KeyError, match="colorId"):
        provider.write_batch([Write("create", draft("a")), Write("create", draft("b", day=1))])
    with pytest.raises(KeyError, match="colorId"):
        provider.create(draft("c", day=2))
    assert sorted(e["extendedProperties"]["private"]["csmBlockerKey"]
                  for e in fake.calendar().events.values()) == ["before"]  # fmt: skip


def test_a_mapping_bug_on_read_is_a_traceback(
    provider: GoogleCalendar, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = provider.create(draft("x"))

    def broken(*_a: Any, **_kw: Any) -> Any:
        raise TypeError("unsupported operand type(s) for -: 'str' and 'datetime'")

    monkeypatch.setattr(providers.google_writes, "remote_event", broken)
    with pytest.raises(TypeError, match="unsupported operand"):
        provider.update(made, draft("x", title="renamed"))
