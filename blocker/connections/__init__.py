"""The provider registry: which calendar systems exist, and what each one does.

Each kind registers, next to its adapter, how its provider is built, what it can do,
how its push channels open, renew and close, and how its credentials are refreshed
(:class:`~blocker.connections.kind.ProviderKind`). The service asks the registry;
nothing else branches on a kind's name: its display name, the settings it needs and
its sign-in (``connect``) are declared here too, and the CLI, the web routes, the pages
and the settings check read them. Adding a calendar system (CalDAV, say) is its
adapter in ``providers/``, one module here, and one line in ``KINDS``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable, Iterator, MutableMapping
from typing import Any

from blocker.connections.kind import (
    ConnectError,
    ConnectFlow,
    Host,
    ProviderKind,
    forget_channel,
    stored_tokens,
)
from blocker.core.errors import SettingsError
from blocker.settings import Settings, env_name
from blocker.store import Channel
from providers.base import CalendarProvider

log = logging.getLogger("blocker.connections")


class Registry(MutableMapping[str, ProviderKind]):
    """Kinds by name. A kind's module, and with it its client libraries (the Google API
    client, msal, icalendar), is imported the first time that kind is asked for: a
    worker serving only local calendars never loads them."""

    def __init__(self, where: dict[str, str]) -> None:
        self._where = dict(where)
        self._loaded: dict[str, ProviderKind] = {}

    def __getitem__(self, name: str) -> ProviderKind:
        if name not in self._loaded:
            module, _, attr = self._where[name].partition(":")
            kind = getattr(importlib.import_module(module), attr)
            if not isinstance(kind, ProviderKind) or kind.name != name:
                raise TypeError(f"{self._where[name]} is not the provider kind {name!r}")
            self._loaded[name] = kind
        return self._loaded[name]

    def __setitem__(self, name: str, kind: ProviderKind) -> None:
        self._loaded[name] = kind
        self._where.setdefault(name, f"{__name__}:<registered>")

    def __delitem__(self, name: str) -> None:
        self._where.pop(name)
        self._loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


KINDS = Registry(
    {
        "memory": "blocker.connections.local:MEMORY",
        "local": "blocker.connections.local:LOCAL",
        "google": "blocker.connections.google:KIND",
        "outlook": "blocker.connections.outlook:KIND",
    }
)
"""Every calendar system the service knows, by the ``provider:`` name of the rules."""


def provider_kind(name: str, calendar_id: str) -> ProviderKind:
    """The registered kind ``name``; a clear error naming the calendar when unknown."""
    kind = KINDS.get(name)
    if kind is None:
        raise SettingsError(
            f"calendar {calendar_id!r}: unknown provider {name!r}",
            hint=f"use one of: {', '.join(sorted(KINDS))}",
        )
    return kind


def connectable() -> list[ProviderKind]:
    """The kinds a user signs in to (``blocker connect <name>``, ``/connect/<route>``)."""
    return [kind for kind in (KINDS[name] for name in KINDS) if kind.connect is not None]


def connectable_kind(name: str) -> ProviderKind:
    """The kind ``name`` if it has a sign-in; a SettingsError naming those that do."""
    kinds = connectable()
    for kind in kinds:
        if kind.name == name:
            return kind
    names = " or ".join(k.name for k in kinds)
    raise SettingsError(f"unknown provider {name!r}: use {names}")


def kind_label(name: str) -> str:
    """How the pages name the kind ``name`` (the name itself when it is not known)."""
    kind = KINDS.get(name)
    return kind.label if kind is not None and kind.label else name


def require_settings(settings: Settings, providers: Iterable[str]) -> None:
    """Fail early when the rules name a calendar whose kind the settings cannot serve:
    a kind with a sign-in needs the encryption key (its tokens are stored encrypted)
    and the settings it declares (its OAuth client)."""
    wanted = sorted({p for p in providers if p in KINDS and KINDS[p].connect is not None})
    if wanted and settings.encryption_key is None:
        raise SettingsError(
            f"{env_name('encryption_key')} is required for {', '.join(wanted)} calendars: "
            "their tokens are stored encrypted",
        )
    for name in wanted:
        needs = KINDS[name].needs
        if not all(getattr(settings, field) for field in needs):
            names = " and ".join(env_name(field) for field in needs)
            raise SettingsError(f"{names} are required for {name} calendars")


def build_provider(host: Host, cal: Any) -> CalendarProvider:
    """A fresh provider for the calendar config ``cal`` (a ``rules`` calendar entry)."""
    return provider_kind(cal.provider, cal.id).build(host, cal)


def open_channel(host: Host, calendar_id: str) -> Channel:
    """Open the push channel of a connected remote calendar (its kind decides how)."""
    name = host.calendar(calendar_id).provider
    kind = provider_kind(name, calendar_id)
    if kind.open_channel is None:
        raise SettingsError(f"calendar {calendar_id!r}: {name} calendars have no push channels")
    return kind.open_channel(host, calendar_id)


def close_channel(host: Host, channel: Channel) -> None:
    """Stop a channel at the provider (best effort) and forget it here."""
    kind = KINDS.get(channel.provider)
    forget_channel(host, channel, None if kind is None else kind.stop_channel)


def renew_channel(host: Host, channel: Channel) -> bool:
    """Renew one push channel before it expires; False when its kind has none."""
    kind = KINDS.get(channel.provider)
    if kind is None or kind.renew_channel is None:
        return False
    return kind.renew_channel(host, channel)


def refresh_credentials(host: Host, calendar_id: str) -> bool:
    """Exercise a calendar's refresh token ahead of need; False when it has none.

    A revoked grant raises :class:`ReconnectRequired` here, hours before the weekly
    run would have failed on it. Runs under the calendar's lock so it never races a
    sync's own refresh (Microsoft rotates refresh tokens).
    """
    cal = host.calendar(calendar_id)
    kind = provider_kind(cal.provider, calendar_id)
    if kind.refresh is None or kind.connect_route is None:
        return False
    conn = host.store.get_connection(calendar_id)
    if conn is None or not conn.has_tokens or conn.status == "disconnected":
        return False
    with host.lock(calendar_id):
        blob = stored_tokens(host.store, calendar_id, kind.name, kind.connect_route)
        kind.refresh(host, calendar_id, blob)
    return True


__all__ = [
    "KINDS",
    "ConnectError",
    "ConnectFlow",
    "Host",
    "ProviderKind",
    "Registry",
    "build_provider",
    "close_channel",
    "connectable",
    "connectable_kind",
    "kind_label",
    "open_channel",
    "provider_kind",
    "refresh_credentials",
    "renew_channel",
    "require_settings",
]
