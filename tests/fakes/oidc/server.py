"""Fake OpenID Connect identity providers shaped like Google and Microsoft.

One Starlette app per provider, served on a loopback port. Strict where the specs
are (OpenID Connect Core 1.0, RFC 6749, RFC 7636):

* discovery at ``{issuer}/.well-known/openid-configuration``; Microsoft's
  ``/organizations|common/v2.0`` documents carry the ``{tenantid}`` issuer template
  and tokens the tenant's real issuer and ``tid``, as Entra ID does;
* ``authorize`` checks the client, ``response_type=code``, the ``openid`` scope, an
  exactly registered ``redirect_uri``, ``state``, ``nonce`` and a PKCE S256
  challenge, then "consents" at once for the configured user and redirects back;
* ``token`` wants the client's secret (post or basic), a code used once only (a
  second use is ``invalid_grant``), the same ``redirect_uri`` and the PKCE verifier
  whose S256 hash is the challenge; the ID token (RS256, ``kid`` in the header)
  echoes the authorize request's ``nonce``;
* ``jwks`` publishes the public keys; key rotation and the failure modes the tests
  need (claims overridden, a signature by an unpublished or a wrong key) are knobs
  on :class:`OidcState`.

Google's scopes, offline access and re-consent are as strict as Google documents them
(:mod:`tests.fakes.oidc.google_consent`). Calendar scopes are allowed only when a
Calendar fake's token registry is attached (``OidcState.calendar``, the fake Google's
:class:`~tests.fakes.google.oauth.FakeOAuth`; one OAuth client for both, as on one
Google Cloud project): the refresh and access tokens issued then live in that
registry, so the Calendar fake accepts them and refreshes them at its ``/token``.
Microsoft's likewise: with the identity platform fake's state attached
(``OidcState.graph``: one Entra app for sign-in and Outlook) a sign-in's Graph scopes
are consented there (additive, minus what the user declines) and its tokens issued
there (a refresh token only with ``offline_access``), so Graph accepts them and msal
renews them at that fake's ``/token``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.google.oauth import FakeOAuth
from tests.fakes.microsoft.identity import IdentityState, User
from tests.fakes.oidc.google_consent import Consent, ConsentRefused, consent, scope_string

TENANT_ID = "6f1c2a1e-0b7d-4c55-9a43-2f0f8e3b9d10"
MULTI_TENANT = ("common", "organizations", "consumers")
CODE_SECONDS = 60


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey = field(repr=False)

    @classmethod
    def new(cls) -> SigningKey:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls("k-" + secrets.token_hex(6), private)

    def jwk(self) -> dict[str, Any]:
        data: dict[str, Any] = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**data, "kid": self.kid, "use": "sig", "alg": "RS256"}


@dataclass
class FakePerson:
    email: str
    sub: str = field(default_factory=lambda: "s-" + secrets.token_hex(8))
    email_verified: bool = True


@dataclass
class OidcState:
    """Everything the fake remembers; tests set the knobs directly."""

    kind: str  # "google" | "microsoft"
    clock: Callable[[], datetime]
    client_id: str = "fake-client-id"
    client_secret: str = field(default_factory=lambda: "fake-secret-" + secrets.token_hex(8))
    redirect_uris: set[str] = field(default_factory=set)
    person: FakePerson = field(default_factory=lambda: FakePerson("ann@example.com"))
    keys: list[SigningKey] = field(default_factory=lambda: [SigningKey.new()])
    claims_override: dict[str, Any] = field(default_factory=dict)
    sign_with: SigningKey | None = None
    """Sign with this key instead of the active one (unknown kid, or a forged signature
    under a published kid, with ``header_kid``)."""
    header_kid: str | None = None
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    used_codes: set[str] = field(default_factory=set)
    hits: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    calendar: FakeOAuth | None = None
    """Google: the Calendar fake's token registry (calendar scopes allowed, tokens shared)."""
    declined: set[str] = field(default_factory=set)
    """Google: scopes the person unticks on the consent screen (granular consent)."""
    granted: dict[str, frozenset[str]] = field(default_factory=dict)
    """Google: scopes each person (``sub``) granted this client so far."""
    offline: set[str] = field(default_factory=set)
    """Google: people who granted offline access (a refresh token) before."""
    refresh_tokens: list[str] = field(default_factory=list)
    """Google: refresh tokens issued, in order."""
    graph: IdentityState | None = None
    """Microsoft: the identity platform fake's state (consent and tokens shared)."""

    def attach_calendar(self, oauth: FakeOAuth) -> None:
        """One OAuth client for sign-in and the Calendar API (shared token registry)."""
        self.calendar = oauth
        self.client_id = oauth.client_id
        self.client_secret = oauth.client_secret

    def attach_graph(self, identity: IdentityState) -> None:
        """One Entra app for sign-in and Graph (consent and tokens shared with msal's fake)."""
        self.graph = identity
        self.client_id = identity.client_id
        self.client_secret = identity.client_secret

    def rotate(self) -> SigningKey:
        """A new active key, published at once; the old ones stay published."""
        key = SigningKey.new()
        self.keys.insert(0, key)
        return key


def _error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


class FakeOidc:
    """The ASGI app; ``base_url`` is where it is served (set before the first request)."""

    def __init__(self, state: OidcState, base_url: str) -> None:
        self.state = state
        self.base_url = base_url.rstrip("/")
        if state.kind == "google":
            routes = [
                Route("/.well-known/openid-configuration", self._discovery),
                Route("/o/oauth2/v2/auth", self._authorize),
                Route("/token", self._token, methods=["POST"]),
                Route("/oauth2/v3/certs", self._jwks),
            ]
        else:
            routes = [
                Route("/{tenant}/v2.0/.well-known/openid-configuration", self._discovery),
                Route("/{tenant}/oauth2/v2.0/authorize", self._authorize),
                Route("/{tenant}/oauth2/v2.0/token", self._token, methods=["POST"]),
                Route("/{tenant}/discovery/v2.0/keys", self._jwks),
            ]
        self.app = Starlette(routes=routes)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    # -- where things are ---------------------------------------------------------------

    def issuer(self, tenant: str = "organizations") -> str:
        """What the settings name as the issuer (Microsoft: of ``tenant``)."""
        if self.state.kind == "google":
            return self.base_url
        return f"{self.base_url}/{tenant}/v2.0"

    def _token_issuer(self) -> str:
        return self.base_url if self.state.kind == "google" else f"{self.base_url}/{TENANT_ID}/v2.0"

    def _prefix(self, request: Request) -> str:
        if self.state.kind == "google":
            return self.base_url
        return f"{self.base_url}/{request.path_params['tenant']}"

    # -- endpoints ----------------------------------------------------------------------

    async def _discovery(self, request: Request) -> Response:
        self.state.hits["discovery"] += 1
        prefix = self._prefix(request)
        if self.state.kind == "google":
            issuer = self.base_url
            paths = ("/o/oauth2/v2/auth", "/token", "/oauth2/v3/certs")
        else:
            tenant = request.path_params["tenant"]
            issuer = (
                f"{self.base_url}/{{tenantid}}/v2.0"
                if tenant in MULTI_TENANT
                else f"{self.base_url}/{tenant}/v2.0"
            )
            paths = ("/oauth2/v2.0/authorize", "/oauth2/v2.0/token", "/discovery/v2.0/keys")
        return JSONResponse(
            {
                "issuer": issuer,
                "authorization_endpoint": prefix + paths[0],
                "token_endpoint": prefix + paths[1],
                "jwks_uri": prefix + paths[2],
                "response_types_supported": ["code"],
                "subject_types_supported": ["public", "pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "email", "profile"],
            }
        )

    async def _jwks(self, request: Request) -> Response:
        self.state.hits["jwks"] += 1
        return JSONResponse({"keys": [key.jwk() for key in self.state.keys]})

    async def _authorize(self, request: Request) -> Response:
        self.state.hits["authorize"] += 1
        q = request.query_params
        state = self.state
        if q.get("client_id") != state.client_id:
            return _error(400, "invalid_client", "unknown client_id")
        redirect = q.get("redirect_uri", "")
        if redirect not in state.redirect_uris:  # never redirect to an unregistered URI
            return _error(400, "redirect_uri_mismatch", f"{redirect!r} is not registered")
        if q.get("response_type") != "code":
            return _error(400, "unsupported_response_type", "only code")
        if "openid" not in q.get("scope", "").split():
            return _error(400, "invalid_scope", "openid is required")
        for name in ("state", "nonce", "code_challenge"):
            if not q.get(name):
                return _error(400, "invalid_request", f"{name} is required")
        if q.get("code_challenge_method") != "S256":
            return _error(400, "invalid_request", "code_challenge_method must be S256")
        granted: Consent | None = None
        if state.kind == "google":
            try:
                with state.lock:
                    granted = consent(
                        dict(q),
                        calendar_enabled=state.calendar is not None,
                        granted_before=state.granted.get(state.person.sub, frozenset()),
                        offline_before=state.person.sub in state.offline,
                        declined=state.declined,
                    )
            except ConsentRefused as exc:
                return _error(400, exc.error, exc.description)
        entra: tuple[User, bool] | None = None
        if state.graph is not None:
            user = state.graph.user_by_oid(state.person.sub, state.person.email)
            state.graph.consent(user, q.get("scope", ""))
            entra = (user, "offline_access" in q.get("scope", "").split())
        code = secrets.token_urlsafe(24)
        with state.lock:
            if granted is not None:
                sub = state.person.sub
                state.granted[sub] = state.granted.get(sub, frozenset()) | granted.scopes
                if granted.offline:
                    state.offline.add(sub)
            state.codes[code] = {
                "redirect_uri": redirect,
                "nonce": q["nonce"],
                "challenge": q["code_challenge"],
                "person": state.person,
                "issued": state.clock(),
                "consent": granted,
                "entra": entra,
            }
        query = urlencode({"code": code, "state": q["state"]})
        return RedirectResponse(f"{redirect}?{query}", status_code=302)

    def _client_ok(self, request: Request, form: dict[str, Any]) -> bool:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            decoded = base64.b64decode(header[6:]).decode()
            client_id, _, secret = decoded.partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return client_id == self.state.client_id and secrets.compare_digest(
            secret, self.state.client_secret
        )

    async def _token(self, request: Request) -> Response:
        self.state.hits["token"] += 1
        form = dict(await request.form())
        if not self._client_ok(request, form):
            return _error(401, "invalid_client", "client authentication failed")
        if form.get("grant_type") != "authorization_code":
            return _error(400, "unsupported_grant_type", "only authorization_code")
        code = str(form.get("code", ""))
        with self.state.lock:
            grant = self.state.codes.pop(code, None)
            reused = code in self.state.used_codes
            self.state.used_codes.add(code)
        if grant is None:
            return _error(400, "invalid_grant", "code reused" if reused else "unknown code")
        if self.state.clock() - grant["issued"] > timedelta(seconds=CODE_SECONDS):
            return _error(400, "invalid_grant", "code expired")
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return _error(400, "invalid_grant", "redirect_uri differs from the authorize request")
        verifier = str(form.get("code_verifier", ""))
        if not verifier or _s256(verifier) != grant["challenge"]:
            return _error(400, "invalid_grant", "PKCE verification failed")
        body: dict[str, Any] = {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": "openid email profile",
            "id_token": self.id_token(grant["person"], grant["nonce"]),
        }
        granted: Consent | None = grant["consent"]
        if granted is not None:
            body.update(self._google_tokens(granted))
        entra: tuple[User, bool] | None = grant["entra"]
        if entra is not None and self.state.graph is not None:
            body.update(self.state.graph.tokens(entra[0], refresh=entra[1]))
        return JSONResponse(body)

    def _google_tokens(self, granted: Consent) -> dict[str, Any]:
        """Google's access (and, when due, refresh) token for ``granted``; with a
        Calendar fake attached, registered there so its API accepts them."""
        scope = scope_string(granted.scopes)
        access = "ya29.at-" + secrets.token_urlsafe(16)
        out: dict[str, Any] = {"access_token": access, "scope": scope}
        registry = self.state.calendar
        refresh = ""
        if granted.refresh:
            refresh = (
                registry.issue_refresh_token(scope)
                if registry is not None
                else "1//rt-" + secrets.token_urlsafe(16)
            )
            out["refresh_token"] = refresh
            with self.state.lock:
                self.state.refresh_tokens.append(refresh)
        if registry is not None:
            registry.access_tokens[access] = refresh
        return out

    def id_token(self, person: FakePerson, nonce: str) -> str:
        """An ID token for ``person`` as the knobs say (also used directly by tests)."""
        now = int(self.state.clock().timestamp())
        claims: dict[str, Any] = {
            "iss": self._token_issuer(),
            "aud": self.state.client_id,
            "sub": person.sub,
            "iat": now,
            "exp": now + 3600,
            "nonce": nonce,
            "email": person.email,
        }
        if self.state.kind == "google":
            claims["email_verified"] = person.email_verified
            claims["azp"] = self.state.client_id
        else:
            claims["tid"] = TENANT_ID
            claims["oid"] = person.sub
            claims["preferred_username"] = person.email
        claims.update(self.state.claims_override)
        key = self.state.sign_with or self.state.keys[0]
        kid = self.state.header_kid or key.kid
        return jwt.encode(claims, key.private, algorithm="RS256", headers={"kid": kid})
