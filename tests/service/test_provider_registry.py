"""The provider registry (blocker.connections): the service reaches every calendar
system through one registered kind, so a new one is a module plus a registry line.

Real Runtime, real SQLite store; the kind under test wraps the real in-memory
calendar and records which of its hooks the service called.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, get_args

import pytest

from blocker.connections import (
    KINDS,
    ProviderKind,
    build_provider,
    close_channel,
    open_channel,
    refresh_credentials,
    renew_channel,
)
from blocker.connections.kind import Host
from blocker.core.errors import SettingsError
from blocker.core.models import Interval
from blocker.runtime import Runtime
from blocker.settings import REMOTE_PROVIDERS
from blocker.store import Channel
from blocker.store.records import PROVIDERS
from providers.base import CalendarProvider
from providers.memory import MemoryCalendar
from rules.spec import CalendarSpec
from tests.service.conftest import NOW, make_settings, rules_yaml
from tests.support.clock import TEST_NOW


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    (tmp_path / "rules.yaml").write_text(rules_yaml(provider="memory"))
    rt = Runtime.open(make_settings(tmp_path), clock=lambda: NOW)
    try:
        yield rt
    finally:
        rt.close()


def test_every_provider_the_rules_accept_is_registered() -> None:
    accepted = set(get_args(CalendarSpec.model_fields["provider"].annotation))
    assert accepted == set(KINDS)
    assert set(PROVIDERS) == set(KINDS)  # the store's channel/connection column
    assert all(name == kind.name for name, kind in KINDS.items())
    connected = {name for name, kind in KINDS.items() if kind.connect_route is not None}
    assert connected == REMOTE_PROVIDERS  # the kinds whose OAuth client settings are checked


def test_an_unknown_kind_is_named_with_the_known_ones(runtime: Runtime) -> None:
    cal = runtime.calendar("mem").model_copy(update={"provider": "caldav"})
    with pytest.raises(SettingsError) as caught:
        build_provider(runtime, cal)
    assert "calendar 'mem': unknown provider 'caldav'" in str(caught.value)
    assert caught.value.hint == "use one of: google, local, memory, outlook"


def test_a_kind_without_channels_says_so(runtime: Runtime) -> None:
    with pytest.raises(SettingsError, match="memory calendars have no push channels"):
        open_channel(runtime, "mem")
    channel = Channel("mem", "memory", "ch-1", "secret", TEST_NOW, None)
    assert renew_channel(runtime, channel) is False
    assert refresh_credentials(runtime, "mem") is False


class Recorder:
    """Hooks of a registered kind, recording what the service asked of it."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.built: list[CalendarProvider] = []

    def build(self, host: Host, cal: Any) -> CalendarProvider:
        self.calls.append(f"build {cal.id}")
        provider = MemoryCalendar()
        self.built.append(provider)
        return provider

    def open(self, host: Host, calendar_id: str) -> Channel:
        self.calls.append(f"open {calendar_id}")
        expires = host.now()
        return host.store.save_channel(calendar_id, "memory", "ch-1", "s", expires, "r")

    def renew(self, host: Host, channel: Channel) -> bool:
        self.calls.append(f"renew {channel.channel_id}")
        return True

    def stop(self, host: Host, channel: Channel) -> None:
        self.calls.append(f"stop {channel.channel_id}")


def test_the_service_reaches_a_kind_only_through_its_registration(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Swap the registered kind: the runtime's provider and every channel operation
    use the new hooks, with no other code changed."""
    hooks = Recorder()
    kind = ProviderKind(
        name="memory",
        build=hooks.build,
        open_channel=hooks.open,
        renew_channel=hooks.renew,
        stop_channel=hooks.stop,
    )
    monkeypatch.setitem(KINDS, "memory", kind)

    result = runtime.provider("mem").read(Interval(NOW, NOW + timedelta(days=1)))
    assert result.events == ()
    channel = open_channel(runtime, "mem")
    assert renew_channel(runtime, channel) is True
    close_channel(runtime, channel)

    assert hooks.calls == ["build mem", "open mem", "renew ch-1", "stop ch-1"]
    assert len(hooks.built) == 1
    assert runtime.store.channels_for("mem") == []


def test_a_kind_is_loaded_when_first_asked_for() -> None:
    """The service and the worker import no calendar client library until a calendar
    of that kind is used (worker start-up on a loaded machine)."""
    probe = (
        "import sys, blocker.runtime, blocker.jobs\n"
        "from blocker.connections import KINDS\n"
        "heavy = ('googleapiclient', 'msal', 'providers.google', 'providers.outlook')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "KINDS['google']\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=True
    )
    before, after = done.stdout.splitlines()
    assert before == "[]"
    assert "providers.google" in after and "googleapiclient" in after
