"""Sign-ins in flight and who may come in.

A :class:`SignInService` (one per app) holds one :class:`~blocker.auth.oidc.OidcClient`
per configured provider and the sign-ins that left for the provider and have not
come back: at most ``MAX_PENDING`` of them, none older than ``PENDING_SECONDS``,
each usable once. Keeping them in this process is enough: one process answers the
web (the job workers of the distributed backend serve no pages).

:func:`admit` turns a verified identity into a user, or a refusal that says plainly
why, through :meth:`blocker.store.teams.TeamStore.admit`.

A sign-in may also ask for calendar access in the same consent
(:func:`calendar_scopes`): only when the calendar kind is served by the very same
OAuth client (a refresh token works only with the client it was issued to) and the
tokens can be stored encrypted: Google's sign-in for Google calendars, Microsoft's
(the same Entra app) for Outlook ones.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import timedelta

import httpx
from pydantic import SecretStr

from blocker.auth.oidc import IdentityRefused, OidcClient, OidcProvider, PendingSignIn
from blocker.auth.oidc import SignedInIdentity as SignedInIdentity
from blocker.core.clock import Clock
from blocker.core.errors import SettingsError
from blocker.settings import Settings
from blocker.store.teams import TeamStore, TeamUser

__all__ = [
    "MAX_PENDING",
    "PENDING_SECONDS",
    "NotAllowed",
    "SignInService",
    "SignedInIdentity",
    "admit",
    "calendar_scopes",
    "providers_from",
]

MAX_PENDING = 1000
PENDING_SECONDS = 600


class NotAllowed(IdentityRefused):
    """A genuine identity that may not use this service (disabled, or not invited)."""

    hint = "ask an admin of this csm-blocker"


def providers_from(settings: Settings) -> list[OidcProvider]:
    """The identity providers the settings configure (client id and secret both set)."""
    found: list[OidcProvider] = []
    google_secret = settings.signin_google_client_secret
    if settings.signin_google_client_id and google_secret is not None:
        found.append(
            OidcProvider(
                "google",
                "Google",
                settings.signin_google_issuer,
                settings.signin_google_client_id,
                google_secret.get_secret_value(),
            )
        )
    microsoft_secret = settings.signin_microsoft_client_secret
    if settings.signin_microsoft_client_id and microsoft_secret is not None:
        issuer = settings.signin_microsoft_issuer.replace(
            "{tenant}", settings.signin_microsoft_tenant
        )
        found.append(
            OidcProvider(
                "microsoft",
                "Microsoft",
                issuer,
                settings.signin_microsoft_client_id,
                microsoft_secret.get_secret_value(),
            )
        )
    return found


GRAPH = "https://graph.microsoft.com/"


def _same_client(
    calendar_id: str | None,
    calendar_secret: SecretStr | None,
    signin_id: str | None,
    signin_secret: SecretStr | None,
) -> bool:
    return (
        calendar_id is not None
        and calendar_id == signin_id
        and calendar_secret is not None
        and signin_secret is not None
        and calendar_secret.get_secret_value() == signin_secret.get_secret_value()
    )


def calendar_scopes(settings: Settings, name: str) -> tuple[str, ...]:
    """The calendar scopes signing in with ``name`` can ask for (empty: none)."""
    if settings.encryption_key is None:
        return ()
    if name == "google" and _same_client(
        settings.google_client_id,
        settings.google_client_secret,
        settings.signin_google_client_id,
        settings.signin_google_client_secret,
    ):
        from providers.google_client import CALENDARS_SCOPE, EVENTS_SCOPE

        return (EVENTS_SCOPE, CALENDARS_SCOPE)
    if name == "microsoft" and _same_client(
        settings.microsoft_client_id,
        settings.microsoft_client_secret,
        settings.signin_microsoft_client_id,
        settings.signin_microsoft_client_secret,
    ):
        from providers.outlook_auth import COLOUR_SCOPE, SCOPES

        wanted = (*SCOPES, COLOUR_SCOPE) if settings.microsoft_colors else SCOPES
        return tuple(GRAPH + scope for scope in wanted)
    return ()


class SignInService:
    """The configured providers' clients and the sign-ins in flight."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        *,
        http: httpx.Client | None = None,
        jwks_cooldown_seconds: float = 30.0,
    ) -> None:
        self.clock = clock
        self.base_url = settings.public_base_url.rstrip("/")
        try:
            self.clients = {
                p.name: OidcClient(
                    p, clock=clock, http=http, jwks_cooldown_seconds=jwks_cooldown_seconds
                )
                for p in providers_from(settings)
            }
        except IdentityRefused as exc:  # an issuer that is not https
            raise SettingsError(f"sign-in settings (BLOCKER_SIGNIN_*): {exc}") from exc
        self._pending: OrderedDict[str, PendingSignIn] = OrderedDict()
        self._guard = threading.Lock()
        self._calendar = {name: calendar_scopes(settings, name) for name in self.clients}

    def offers_calendar(self, name: str) -> bool:
        """Can signing in with ``name`` connect a calendar in the same consent?"""
        return bool(self._calendar.get(name))

    def labels(self) -> list[tuple[str, str]]:
        """(name, label) of each configured provider, for the sign-in page's buttons."""
        return [(name, c.provider.label) for name, c in self.clients.items()]

    def redirect_uri(self, name: str) -> str:
        return f"{self.base_url}/auth/{name}/callback"

    def start(self, name: str, next_path: str, *, calendar: bool = False) -> tuple[str, str]:
        """(the provider's URL for the browser, the sign-in's state); ``calendar``: ask
        for calendar access too, when this provider can (:meth:`offers_calendar`)."""
        client = self.clients.get(name)
        if client is None:
            raise IdentityRefused(f"signing in with {name!r} is not configured here")
        extra = self._calendar.get(name, ()) if calendar else ()
        url, pending = client.start(self.redirect_uri(name), next_path, extra_scopes=extra)
        with self._guard:
            self._drop_stale()
            self._pending[pending.state] = pending
            while len(self._pending) > MAX_PENDING:
                self._pending.popitem(last=False)
        return url, pending.state

    def _drop_stale(self) -> None:
        oldest = self.clock() - timedelta(seconds=PENDING_SECONDS)
        for state in [s for s, p in self._pending.items() if p.started_at < oldest]:
            del self._pending[state]

    def finish(self, name: str, state: str, code: str) -> tuple[SignedInIdentity, str]:
        """The verified identity and where the user was going; each state works once."""
        with self._guard:
            self._drop_stale()
            pending = self._pending.pop(state, None)
        if pending is None or pending.provider != name:
            raise IdentityRefused("this sign-in has expired or was already used: start again")
        identity = self.clients[name].finish(pending, code)
        return identity, pending.next

    def pending_count(self) -> int:
        with self._guard:
            return len(self._pending)


def admit(store: TeamStore, identity: SignedInIdentity) -> TeamUser:
    """The user ``identity`` signs in as, or :class:`NotAllowed` saying plainly why."""
    admission = store.admit(identity.email, identity.provider, identity.subject)
    if admission.user is not None:
        return admission.user
    if admission.refusal == "disabled":
        raise NotAllowed(f"The account {identity.email} has been disabled here.")
    if admission.refusal == "other_account":
        raise NotAllowed(
            f"{identity.email} signed in here before with another {identity.provider.title()} "
            "account. If the address changed hands, an admin can let the new account in "
            "(blocker user forget-accounts)."
        )
    raise NotAllowed(
        f"{identity.email} may not use this csm-blocker: its domain is not allowed "
        "and it has no invitation."
    )
