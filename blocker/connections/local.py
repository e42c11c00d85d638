"""Local .ics files and the in-memory calendar: no tokens, no push channels."""

from __future__ import annotations

from typing import Any

from blocker.connections.kind import Host, ProviderKind
from blocker.core.errors import SettingsError
from providers.base import CalendarProvider
from providers.local import LocalCalendar
from providers.memory import MemoryCalendar


def _build_local(host: Host, cal: Any) -> CalendarProvider:
    if not getattr(cal, "path", None):
        raise SettingsError(f"calendar {cal.id!r}: a local calendar needs a `path`")
    busy = [host.resolve(b) for b in (getattr(cal, "busy", None) or ())]
    owner = host.rules.owner
    return LocalCalendar(
        host.resolve(cal.path),
        busy,
        owner_emails=tuple(owner.email),
        owner_domains=tuple(owner.email_domains),
        tentative=owner.tentative,
        limits=host.settings.ics_limits(),
    )


def _build_memory(_host: Host, _cal: Any) -> CalendarProvider:
    return MemoryCalendar()


LOCAL = ProviderKind(name="local", build=_build_local, label="file on disk")
MEMORY = ProviderKind(name="memory", build=_build_memory, label="in memory")
