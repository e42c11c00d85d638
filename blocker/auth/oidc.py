"""Sign in with Google or Microsoft: OpenID Connect, authorization-code flow with PKCE.

One :class:`OidcClient` per identity provider. It reads the provider's discovery
document (``{issuer}/.well-known/openid-configuration``), sends the browser to the
authorization endpoint with ``state``, ``nonce`` and a PKCE S256 challenge, swaps
the code for tokens at the token endpoint and verifies the ID token before trusting
one claim of it:

* the signature, with a key from the provider's JWKS (PyJWT's ``PyJWKClient``:
  keys cached, the set fetched again once when a token names an unknown ``kid``,
  so key rotation works and a flood of made-up kids does not hammer the provider);
* ``iss`` (the discovery document's issuer; for Microsoft's multi-tenant endpoints
  the ``{tenantid}`` template filled with the token's ``tid``), ``aud`` (our client
  id; ``azp`` too when there are several audiences), ``nonce`` (the one this sign-in
  sent), and ``exp`` / ``iat`` / ``nbf`` against the service's clock (injected, so
  tests pin it; PyJWT's own time checks read the wall clock and are turned off).

The address comes from ``email``: Google's must be ``email_verified``. Microsoft's
``email`` is trusted only with ``xms_edov`` (the domain's owner verified it, an optional
claim); otherwise the sign-in name ``preferred_username``, whose domain the tenant
had to verify (a tenant could otherwise put anyone's address in ``email``).
Issuers must be https, except on a loopback host (the tests' fakes).

Calendar access in the same consent: :meth:`OidcClient.start` may add calendar
scopes to ``openid email profile``. Google then gets ``access_type=offline`` (a
refresh token) and ``prompt=consent`` (Google returns a refresh token only at a
consent: a user who consented before would otherwise get none) and
``include_granted_scopes``; Microsoft gets ``offline_access``. The token response's
``refresh_token`` and granted ``scope`` come back in :attr:`SignedInIdentity.grant`
(Google lets a user untick a scope: check ``scope``, never assume).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import jwt

from blocker.core.clock import Clock
from blocker.core.errors import BlockerError

__all__ = [
    "ALGORITHMS",
    "Discovery",
    "IdentityRefused",
    "OidcClient",
    "OidcProvider",
    "PendingSignIn",
    "SignedInIdentity",
]

ALGORITHMS = ["RS256"]
"""What Google and Microsoft sign ID tokens with; anything else is refused."""
LEEWAY = timedelta(seconds=60)
"""Clock skew tolerated on ``exp``, ``iat`` and ``nbf``."""
DISCOVERY_SECONDS = 3600
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class IdentityRefused(BlockerError):
    """The identity provider's answer cannot be trusted (or it said no)."""

    hint = "sign in again; if it keeps failing, ask an admin to check the sign-in settings"


@dataclass(frozen=True, slots=True)
class OidcProvider:
    """One identity provider as configured (``issuer`` may hold ``{tenantid}``)."""

    name: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...] = ("openid", "email", "profile")

    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


@dataclass(frozen=True, slots=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """What a sign-in remembers between sending the browser off and its return."""

    provider: str
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    next: str
    started_at: datetime
    extra_scopes: tuple[str, ...] = ()
    """Calendar scopes asked for in the same consent (none: a plain sign-in)."""


@dataclass(frozen=True, slots=True)
class SignedInIdentity:
    provider: str
    subject: str
    email: str
    claims: dict[str, Any] = field(repr=False)
    grant: dict[str, Any] = field(default_factory=dict, repr=False)
    """With calendar scopes asked: ``refresh_token`` and the granted ``scope``."""


def _secure_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        return url
    raise IdentityRefused(f"{what} must be an https URL, not {url!r}")


MULTI_TENANT = ("common", "organizations", "consumers")


def _same_issuer(announced: str, configured: str) -> bool:
    announced, configured = announced.rstrip("/"), configured.rstrip("/")
    if "{tenantid}" in announced:
        return any(announced.replace("{tenantid}", t) == configured for t in MULTI_TENANT)
    return announced == configured


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class OidcClient:
    """Discovery, the authorization URL, the code exchange and ID-token verification."""

    def __init__(
        self,
        provider: OidcProvider,
        *,
        clock: Clock,
        http: httpx.Client | None = None,
        jwks_cooldown_seconds: float = 30.0,
    ) -> None:
        _secure_url(provider.issuer, f"the {provider.label} issuer")
        self.provider = provider
        self.clock = clock
        self._http = http  # None: a client per call (sign-ins are rare; nothing to close)
        self._cooldown = jwks_cooldown_seconds
        self._lock = threading.Lock()
        self._discovery: tuple[Discovery, datetime] | None = None
        self._jwks: jwt.PyJWKClient | None = None

    @contextmanager
    def _client(self) -> Iterator[httpx.Client]:
        if self._http is not None:
            yield self._http
            return
        with httpx.Client(timeout=10.0) as http:
            yield http

    # -- discovery ----------------------------------------------------------------

    def discovery(self) -> Discovery:
        """The provider's endpoints (fetched once an hour at most)."""
        with self._lock:
            now = self.clock()
            if self._discovery is not None and now - self._discovery[1] < timedelta(
                seconds=DISCOVERY_SECONDS
            ):
                return self._discovery[0]
            found = self._fetch_discovery()
            if self._jwks is None or self._jwks.uri != found.jwks_uri:
                self._jwks = jwt.PyJWKClient(
                    found.jwks_uri,
                    cache_keys=False,
                    lifespan=DISCOVERY_SECONDS,
                    timeout=10,
                    cooldown_duration=self._cooldown,
                )
            self._discovery = (found, now)
            return found

    def _fetch_discovery(self) -> Discovery:
        label = self.provider.label
        try:
            with self._client() as http:
                reply = http.get(self.provider.discovery_url())
            reply.raise_for_status()
            doc = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise IdentityRefused(f"cannot read {label}'s sign-in configuration: {exc}") from exc
        try:
            found = Discovery(
                issuer=str(doc["issuer"]),
                authorization_endpoint=str(doc["authorization_endpoint"]),
                token_endpoint=str(doc["token_endpoint"]),
                jwks_uri=str(doc["jwks_uri"]),
            )
        except (KeyError, TypeError) as exc:
            raise IdentityRefused(f"{label}'s sign-in configuration lacks {exc}") from exc
        # OpenID Connect Discovery 1.0, 4.3: the issuer must be the one we asked
        # (Microsoft's multi-tenant documents answer with a {tenantid} template).
        if not _same_issuer(found.issuer, self.provider.issuer):
            raise IdentityRefused(
                f"{label}'s configuration names issuer {found.issuer!r}, "
                f"not the configured {self.provider.issuer!r}"
            )
        for url, what in (
            (found.authorization_endpoint, "the authorization endpoint"),
            (found.token_endpoint, "the token endpoint"),
            (found.jwks_uri, "the key set"),
        ):
            _secure_url(url, f"{label}'s {what}")
        return found

    # -- the flow -------------------------------------------------------------------

    def start(
        self, redirect_uri: str, next_path: str = "/", *, extra_scopes: tuple[str, ...] = ()
    ) -> tuple[str, PendingSignIn]:
        """The URL to send the browser to, and what to remember until it comes back.
        ``extra_scopes``: calendar access asked in the same consent (module docstring)."""
        found = self.discovery()
        pending = PendingSignIn(
            provider=self.provider.name,
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(64),
            redirect_uri=redirect_uri,
            next=next_path,
            started_at=self.clock(),
            extra_scopes=extra_scopes,
        )
        scopes = list(self.provider.scopes)
        query = {
            "response_type": "code",
            "client_id": self.provider.client_id,
            "redirect_uri": redirect_uri,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": pkce_challenge(pending.code_verifier),
            "code_challenge_method": "S256",
            "prompt": "select_account",
        }
        if extra_scopes and self.provider.name == "google":
            query.update(
                access_type="offline",
                prompt="consent select_account",
                include_granted_scopes="true",
            )
        elif extra_scopes:
            scopes.append("offline_access")
        query["scope"] = " ".join([*scopes, *extra_scopes])
        separator = "&" if "?" in found.authorization_endpoint else "?"
        return f"{found.authorization_endpoint}{separator}{urlencode(query)}", pending

    def finish(self, pending: PendingSignIn, code: str) -> SignedInIdentity:
        """Swap ``code`` for tokens and verify the ID token against ``pending``."""
        found = self.discovery()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": pending.redirect_uri,
            "client_id": self.provider.client_id,
            "client_secret": self.provider.client_secret,
            "code_verifier": pending.code_verifier,
        }
        label = self.provider.label
        try:
            with self._client() as http:
                reply = http.post(found.token_endpoint, data=form)
            body = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise IdentityRefused(f"{label} did not answer the sign-in: {exc}") from exc
        if reply.status_code != 200 or not isinstance(body, dict):
            error = body.get("error", reply.status_code) if isinstance(body, dict) else ""
            raise IdentityRefused(f"{label} refused the sign-in ({error})")
        token = body.get("id_token")
        if not isinstance(token, str):
            raise IdentityRefused(f"{label} sent no ID token")
        claims = self.verify(token, pending.nonce)
        grant: dict[str, Any] = {}
        if pending.extra_scopes:
            grant = {k: body[k] for k in ("refresh_token", "scope") if isinstance(body.get(k), str)}
        return SignedInIdentity(
            self.provider.name, str(claims["sub"]), self._email(claims), claims, grant
        )

    # -- verification ---------------------------------------------------------------

    def expected_issuers(self, token: str) -> list[str]:
        """Google signs with ``https://accounts.google.com`` or, per its docs, the same
        without the scheme; Microsoft's multi-tenant issuer is the signing tenant's."""
        issuer = self.discovery().issuer
        if "{tenantid}" in issuer:
            tid = jwt.decode(token, options={"verify_signature": False}).get("tid")
            if not isinstance(tid, str) or not tid:
                raise IdentityRefused("the ID token names no tenant (tid)")
            return [issuer.replace("{tenantid}", tid)]
        if self.provider.name == "google":
            return [issuer, issuer.split("://", 1)[-1]]
        return [issuer]

    def verify(self, token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims, once every check in the module docstring passed."""
        label = self.provider.label
        self.discovery()
        assert self._jwks is not None  # set with the discovery
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self.provider.client_id,
                issuer=self.expected_issuers(token),
                options={
                    "require": ["iss", "aud", "sub", "exp", "iat", "nonce"],
                    "verify_exp": False,  # checked below against the service's clock
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise IdentityRefused(f"cannot read {label}'s signing keys: {exc}") from exc
        except jwt.PyJWKClientError as exc:
            raise IdentityRefused(f"{label}'s ID token: no such signing key ({exc})") from exc
        except jwt.PyJWTError as exc:
            raise IdentityRefused(f"{label}'s ID token was refused: {exc}") from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.provider.client_id:
            raise IdentityRefused(f"{label}'s ID token was issued to another party (azp)")
        if not hmac.compare_digest(str(claims["nonce"]).encode(), nonce.encode()):
            raise IdentityRefused(f"{label}'s ID token answers another sign-in (nonce)")
        self._check_times(claims)
        return claims

    def _check_times(self, claims: dict[str, Any]) -> None:
        label = self.provider.label
        now = self.clock().timestamp()
        slack = LEEWAY.total_seconds()
        try:
            exp, iat = float(claims["exp"]), float(claims["iat"])
            nbf = float(claims.get("nbf", iat))
        except (TypeError, ValueError) as exc:
            raise IdentityRefused(f"{label}'s ID token has unreadable times") from exc
        if exp <= now - slack:
            raise IdentityRefused(f"{label}'s ID token has expired")
        if iat > now + slack or nbf > now + slack:
            raise IdentityRefused(f"{label}'s ID token is not valid yet")

    def _email(self, claims: dict[str, Any]) -> str:
        label = self.provider.label
        if self.provider.name == "microsoft":
            # A tenant's admin can set any ``email`` on its users; only a domain the
            # tenant proved it owns (``xms_edov``) makes it trustworthy. Otherwise the
            # sign-in name, whose domain Entra makes each tenant verify.
            verified = claims.get("xms_edov") in (True, "1", "true", 1)
            email = claims.get("email") if verified else claims.get("preferred_username")
        else:
            if claims.get("email_verified") is not True:
                raise IdentityRefused(f"{label} has not verified this account's address")
            email = claims.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise IdentityRefused(f"{label} did not say which address signed in")
        return email.strip().lower()
