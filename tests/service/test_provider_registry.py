"""The provider registry (blocker.connections): the service reaches every calendar
system through one registered kind, so a new one is a module plus a registry line.

Real Runtime, real SQLite store; the kind under test wraps the real in-memory
calendar and records which of its hooks the service called.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, get_args
from zoneinfo import ZoneInfo

import pytest

from blocker.connections import (
    KINDS,
    ProviderKind,
    build_provider,
    close_channel,
    connectable,
    open_channel,
    refresh_credentials,
    renew_channel,
)
from blocker.connections.kind import Host
from blocker.core.errors import SettingsError
from blocker.core.models import Interval
from blocker.runtime import Runtime
from blocker.settings import Settings
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
    assert connected == {kind.name for kind in connectable()}
    for name in connected:  # each declares its sign-in, its name and the settings it needs
        kind = KINDS[name]
        assert kind.connect is not None and kind.label and kind.needs
        assert kind.connect.callback == f"/oauth/{kind.connect_route}/callback"
        assert all(field in Settings.model_fields for field in kind.needs)


def test_a_new_kind_is_connected_checked_and_shown_from_its_registration_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kind with a sign-in (the in-memory calendar standing in for CalDAV): the
    settings check, the connector, the pages' connect links and the CLI's list of
    kinds all come from its one registration."""
    from blocker.connect import Connector
    from blocker.connections import connectable_kind, require_settings
    from blocker.connections.kind import ConnectFlow, Kept
    from blocker.store import TokenCipher
    from blocker.web.truth import connect_buttons, connect_url, connection_views

    asked: list[tuple[str, str]] = []

    def start(host: Host, calendar_id: str, redirect: str) -> tuple[str, str, Kept]:
        asked.append(("start", calendar_id))
        return f"https://dav.example/authorize?back={redirect}", "st-1", {"nonce": "n-1"}

    def finish(
        host: Host, calendar_id: str, redirect: str, kept: Kept, params: Mapping[str, str]
    ) -> tuple[bytes, str]:
        asked.append(("finish", f"{calendar_id} {kept['nonce']} {params['code']}"))
        return b'{"token": "dav"}', "csm@dav.example"

    flow = ConnectFlow("/oauth/dav/callback", start, finish)
    kind = ProviderKind(
        name="memory",
        build=lambda _host, _cal: MemoryCalendar(),
        label="DAV server",
        connect_route="dav",
        connect=flow,
        needs=("google_client_id",),  # any Settings field: the check reads the declaration
    )
    monkeypatch.setitem(KINDS, "memory", kind)
    with pytest.raises(SettingsError, match="BLOCKER_ENCRYPTION_KEY is required for memory"):
        require_settings(make_settings(tmp_path), ["memory"])
    key = TokenCipher.generate_key()
    with pytest.raises(SettingsError, match="BLOCKER_GOOGLE_CLIENT_ID are required for memory"):
        require_settings(make_settings(tmp_path, encryption_key=key), ["memory"])
    assert connectable_kind("memory") is kind
    with pytest.raises(SettingsError, match=r"'caldav': use memory or google or outlook$"):
        connectable_kind("caldav")

    (tmp_path / "rules.yaml").write_text(rules_yaml(provider="memory"))
    settings = make_settings(tmp_path, encryption_key=key, google_client_id="id.example")
    rt = Runtime.open(settings, clock=lambda: NOW)
    try:
        connector = Connector(rt)
        url = connector.start("memory", None, "http://127.0.0.1:9/oauth/dav/callback")
        assert url.startswith("https://dav.example/authorize?back=http://127.0.0.1:9/")
        done = connector.finish("memory", {"state": "st-1", "code": "c-1"})
        assert asked == [("start", "mem"), ("finish", "mem n-1 c-1")]
        assert done.calendar_id == "mem" and done.account == "csm@dav.example"
        conn = rt.store.get_connection("mem")
        assert conn is not None and conn.status == "connected" and conn.has_tokens
        assert rt.store.connection_tokens("mem") == b'{"token": "dav"}'
        views = connection_views(rt, {}, "mem", None, ZoneInfo("America/New_York"))
        assert [(v.provider_label, v.state) for v in views] == [("DAV server", "connected")]
        assert connect_url("memory") == "/connect/dav"
        assert connect_buttons(views) == [("DAV server", "/connect/dav")]
    finally:
        rt.close()


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
