"""A fake Microsoft identity platform (v2.0 endpoints) good enough for real msal.

Serves openid-configuration, an authorize endpoint that "signs the user in" at once
and redirects back with ``code`` and ``state``, and a token endpoint for the
authorization_code (PKCE S256 checked) and refresh_token grants. Responses carry
``client_info`` (base64url JSON with uid/utid) and an unsigned id_token echoing the
``nonce`` of the authorize request, which is what msal checks. Refresh tokens
rotate; revoking a user makes every refresh answer ``invalid_grant``.

Consent is additive, as on the real platform: a sign-in adds the scopes it asked
for to the user's consent, every token carries all the scopes consented so far
(its ``scope`` lists them), and a refresh that asks for a scope never consented is
``invalid_grant`` / ``consent_required`` (AADSTS65001)
(https://learn.microsoft.com/entra/identity-platform/permissions-consent-overview).
``IdentityState.token_scopes`` tells the Graph fake what each access token may do.
A Graph scope counts the same written short (``Calendars.ReadWrite``) or as its URI
(``https://graph.microsoft.com/Calendars.ReadWrite``), case aside.

A refresh token comes only with ``offline_access`` asked
(https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow), and
a user or their admin may grant fewer permissions than asked (``User.declined``):
the token response's ``scope`` then lacks them, and the app must look.
:meth:`IdentityState.consent` and :meth:`IdentityState.tokens` serve the sign-in
fake too (:mod:`tests.fakes.oidc.server`) when one Entra app does both.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unsigned_jwt(claims: dict[str, Any]) -> str:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}."


@dataclass
class User:
    oid: str
    email: str
    revoked: bool = False
    consent_required: bool = False
    consented: set[str] = field(default_factory=set)  # Graph scopes, as asked
    declined: set[str] = field(default_factory=set)
    """Graph scopes this user (or the tenant's admin) will not grant: left out."""


@dataclass
class IdentityState:
    """Everything the fake remembers; tests poke at it directly."""

    client_id: str = "11111111-2222-3333-4444-555555555555"
    client_secret: str = "fake-secret"
    expires_in: int = 3600
    user: User = field(default_factory=lambda: User(oid="u-" + "1" * 8, email="csm@example.com"))
    others: dict[str, User] = field(default_factory=dict)
    """Users signed in through the sign-in fake (by ``oid``), besides ``user``."""
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> oid
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry
    access_scopes: dict[str, frozenset[str]] = field(default_factory=dict)  # lowercase
    log: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, path_suffix: str) -> int:
        return sum(1 for _, path in self.log if path.endswith(path_suffix))

    def grants(self) -> Counter[str]:
        return Counter(path for method, path in self.log if method == "grant")

    def token_scopes(self, token: str) -> frozenset[str] | None:
        """The scopes an access token carries (lowercase); an unknown token: none."""
        with self.lock:
            return self.access_scopes.get(token, frozenset())

    def user_by_oid(self, oid: str, email: str = "") -> User:
        """The user ``oid`` (created with ``email`` on their first sign-in)."""
        with self.lock:
            if self.user.oid == oid:
                return self.user
            return self.others.setdefault(oid, User(oid=oid, email=email or oid))

    def consent(self, user: User, scope: str) -> list[str]:
        """Add what ``scope`` asks (less what ``user`` declines) to their consent; the
        Graph scopes they have consented so far, as asked (consent is additive)."""
        declined = {graph_scope_key(s) for s in user.declined}
        with self.lock:
            known = {graph_scope_key(s) for s in user.consented}
            for asked in _graph_scopes(scope):
                key = graph_scope_key(asked)
                if key not in declined and key not in known:
                    user.consented.add(asked)
                    known.add(key)
            return sorted(user.consented)

    def tokens(self, user: User, *, refresh: bool) -> dict[str, Any]:
        """A new access token carrying every scope ``user`` consented (and a refresh
        token when ``refresh``), registered so that Graph and ``/token`` know them."""
        access = "at-" + secrets.token_urlsafe(24)
        out: dict[str, Any] = {"access_token": access, "expires_in": self.expires_in}
        with self.lock:
            granted = sorted(user.consented)
            self.access_tokens[access] = time.time() + self.expires_in
            self.access_scopes[access] = frozenset(graph_scope_key(s) for s in granted)
            if refresh:
                out["refresh_token"] = "rt-" + secrets.token_urlsafe(24)
                self.refresh_tokens[out["refresh_token"]] = user.oid
        out["scope"] = " ".join([*granted, "openid", "profile"])
        return out

    def token_valid(self, token: str) -> bool:
        with self.lock:
            expiry = self.access_tokens.get(token)
        return expiry is not None and expiry > time.time() and not self.user.revoked


class FakeIdentity:
    """The Starlette app plus its state; ``base_url`` is set once it is served."""

    def __init__(self, state: IdentityState | None = None) -> None:
        self.state = state or IdentityState()
        self.base_url = ""
        self.app = Starlette(
            routes=[
                Route("/{tenant}/v2.0/.well-known/openid-configuration", self._openid),
                Route("/{tenant}/oauth2/v2.0/authorize", self._authorize),
                Route("/{tenant}/oauth2/v2.0/token", self._token, methods=["POST"]),
            ]
        )

    def authority(self, tenant: str = "organizations") -> str:
        return f"{self.base_url}/{tenant}"

    # -- endpoints ----------------------------------------------------------------

    async def _openid(self, request: Request) -> Response:
        tenant = request.path_params["tenant"]
        self.state.log.append(("GET", request.url.path))
        base = self.base_url or str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "issuer": f"{base}/{TENANT_ID}/v2.0",
                "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
                "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "code_challenge_methods_supported": ["plain", "S256"],
            }
        )

    async def _authorize(self, request: Request) -> Response:
        """Sign the configured user in at once and send them back with a code."""
        params = request.query_params
        self.state.log.append(("GET", request.url.path))
        redirect_uri = params.get("redirect_uri", "")
        if params.get("client_id") != self.state.client_id or not redirect_uri:
            return JSONResponse({"error": "unauthorized_client"}, status_code=400)
        if params.get("response_type") != "code":
            return JSONResponse({"error": "unsupported_response_type"}, status_code=400)
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return JSONResponse(
                {"error": "invalid_request", "error_description": "PKCE S256 required"},
                status_code=400,
            )
        code = secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.codes[code] = {
                "redirect_uri": redirect_uri,
                "challenge": params["code_challenge"],
                "nonce": params.get("nonce"),
                "scope": params.get("scope", ""),
            }
        answer = {"code": code, "state": params.get("state", ""), "session_state": "s"}
        if params.get("response_mode") == "form_post":
            # As the real one does: an auto-submitting form POSTing to the redirect URI.
            inputs = "".join(
                f'<input type="hidden" name="{k}" value="{html.escape(v)}" />'
                for k, v in answer.items()
            )
            page = (
                f'<html><body onload="document.forms[0].submit()">'
                f'<form method="POST" action="{html.escape(redirect_uri)}">{inputs}</form>'
                f"</body></html>"
            )
            return HTMLResponse(page)
        return RedirectResponse(f"{redirect_uri}?{urlencode(answer)}", status_code=302)

    async def _token(self, request: Request) -> Response:
        form = dict(await request.form())
        grant = str(form.get("grant_type", ""))
        self.state.log.append(("POST", request.url.path))
        self.state.log.append(("grant", grant))
        if (
            form.get("client_id") != self.state.client_id
            or form.get("client_secret") != self.state.client_secret
        ):
            return _error(401, "invalid_client", "AADSTS7000215: Invalid client secret.")
        if grant == "authorization_code":
            return self._redeem_code(form)
        if grant == "refresh_token":
            return self._refresh(form)
        return _error(400, "unsupported_grant_type", f"grant {grant!r}")

    # -- grants ---------------------------------------------------------------------

    def _redeem_code(self, form: dict[str, Any]) -> Response:
        with self.state.lock:
            entry = self.state.codes.pop(str(form.get("code", "")), None)
        if entry is None:
            return _error(400, "invalid_grant", "AADSTS70008: code expired or redeemed.")
        if form.get("redirect_uri") != entry["redirect_uri"]:
            return _error(400, "invalid_grant", "AADSTS50148: redirect_uri mismatch.")
        verifier = str(form.get("code_verifier", ""))
        if b64url(hashlib.sha256(verifier.encode()).digest()) != entry["challenge"]:
            return _error(400, "invalid_grant", "AADSTS501481: code_verifier mismatch.")
        user = self.state.user
        self.state.consent(user, str(form.get("scope") or entry["scope"]))
        offline = "offline_access" in entry["scope"].split()
        return self._issue(user, entry["nonce"], refresh=offline)

    def _refresh(self, form: dict[str, Any]) -> Response:
        token = str(form.get("refresh_token", ""))
        with self.state.lock:
            oid = self.state.refresh_tokens.pop(token, None)
        user = self.state.user_by_oid(oid) if oid is not None else None
        if user is None or user.revoked:
            return _error(
                400,
                "invalid_grant",
                "AADSTS50173: The provided grant has expired due to it being revoked.",
                suberror="bad_token",
            )
        consented = {graph_scope_key(s) for s in user.consented}
        asked = _graph_scopes(str(form.get("scope", "")))
        beyond = [s for s in asked if graph_scope_key(s) not in consented]
        if user.consent_required or beyond:
            return _error(
                400, "invalid_grant", "AADSTS65001: consent required.", suberror="consent_required"
            )
        return self._issue(user, None, refresh=True)

    def _issue(self, user: User, nonce: str | None, *, refresh: bool) -> Response:
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": self.state.client_id,
            "iss": f"{self.base_url}/{TENANT_ID}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "oid": user.oid,
            "sub": "sub-" + user.oid,
            "tid": TENANT_ID,
            "preferred_username": user.email,
            "name": "Fake CSM",
        }
        if nonce:
            claims["nonce"] = nonce
        tokens = self.state.tokens(user, refresh=refresh)
        return JSONResponse(
            {
                "token_type": "Bearer",
                **tokens,
                "ext_expires_in": self.state.expires_in,
                "id_token": unsigned_jwt(claims),
                "client_info": b64url(json.dumps({"uid": user.oid, "utid": TENANT_ID}).encode()),
            }
        )


RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
GRAPH_RESOURCE = "https://graph.microsoft.com/"


def graph_scope_key(scope: str) -> str:
    """How the platform tells Graph scopes apart: case and the Graph URI prefix aside."""
    lowered = scope.lower()
    return lowered.removeprefix(GRAPH_RESOURCE)


def _graph_scopes(scope: str) -> list[str]:
    """The resource scopes of a ``scope`` parameter (the OpenID ones left out)."""
    return [s for s in scope.split() if s.lower() not in RESERVED_SCOPES]


def form_fields(page: str) -> tuple[str, dict[str, str]]:
    """(action, hidden fields) of a form_post answer: what a browser would POST back."""
    action = re.search(r'<form method="POST" action="([^"]+)"', page)
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)" />', page)
    if action is None:
        raise ValueError("not a form_post page")
    return html.unescape(action.group(1)), {k: html.unescape(v) for k, v in fields}


def _error(status: int, error: str, description: str, *, suberror: str | None = None) -> Response:
    body: dict[str, Any] = {
        "error": error,
        "error_description": description,
        "error_codes": [int(description[6:].split(":")[0])]
        if description.startswith("AADSTS")
        else [],
        "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
        "trace_id": secrets.token_hex(8),
        "correlation_id": secrets.token_hex(8),
    }
    if suberror:
        body["suberror"] = suberror
    return JSONResponse(body, status_code=status)
