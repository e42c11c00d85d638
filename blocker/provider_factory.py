"""Build the provider that serves one calendar of the rules.

Kept apart from the runtime so adding a calendar system is one branch here and
nothing else in the service changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blocker.errors import SettingsError
from providers.base import CalendarProvider

if TYPE_CHECKING:
    from blocker.runtime import Runtime


def build_provider(runtime: Runtime, cal: Any) -> CalendarProvider:
    """A fresh provider for the calendar config ``cal`` (a ``rules`` calendar entry)."""
    kind = cal.provider
    if kind == "memory":
        from providers.memory import MemoryCalendar

        return MemoryCalendar()
    if kind == "local":
        from providers.local import LocalCalendar

        if not getattr(cal, "path", None):
            raise SettingsError(f"calendar {cal.id!r}: a local calendar needs a `path`")
        busy = [runtime.resolve(b) for b in (getattr(cal, "busy", None) or ())]
        return LocalCalendar(
            runtime.resolve(cal.path),
            busy,
            owner_domains=tuple(runtime.rules.owner.email_domains),
        )
    if kind in ("google", "outlook"):
        return _remote(runtime, cal)
    raise SettingsError(f"calendar {cal.id!r}: unknown provider {kind!r}")


def _remote(runtime: Runtime, cal: Any) -> CalendarProvider:
    # WIRING POINT: Google (providers/google.py) and Outlook (providers/outlook.py)
    # are built from the stored, encrypted connection tokens once those adapters land.
    raise SettingsError(
        f"calendar {cal.id!r}: the {cal.provider} provider is not available in this build",
        hint="use a local or memory calendar, or connect once the adapter is installed",
    )


def renew_channel(runtime: Runtime, channel: Any) -> bool:
    """Renew one push channel before it expires; False when the provider has none."""
    kind = getattr(channel, "provider", None)
    if kind in ("google", "outlook"):
        # WIRING POINT: providers/google_oauth.watch / outlook_auth.renew_subscription.
        raise SettingsError(f"cannot renew the {kind} channel of {channel.calendar_id!r} yet")
    return False


def refresh_credentials(runtime: Runtime, calendar_id: str) -> bool:
    """Refresh a calendar's access token ahead of need; False when it has none."""
    cal = runtime.calendar(calendar_id)
    if cal.provider in ("google", "outlook"):
        # WIRING POINT: google Credentials.refresh / MicrosoftAuth.access_token.
        _remote(runtime, cal)
    return False


__all__ = ["build_provider", "refresh_credentials", "renew_channel"]
