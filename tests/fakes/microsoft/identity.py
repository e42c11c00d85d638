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


@dataclass
class IdentityState:
    """Everything the fake remembers; tests poke at it directly."""

    client_id: str = "11111111-2222-3333-4444-555555555555"
    client_secret: str = "fake-secret"
    expires_in: int = 3600
    user: User = field(default_factory=lambda: User(oid="u-" + "1" * 8, email="csm@example.com"))
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
        asked = _graph_scopes(str(form.get("scope") or entry["scope"]))
        with self.state.lock:
            self.state.user.consented.update(asked)
        return self._issue(entry["nonce"])

    def _refresh(self, form: dict[str, Any]) -> Response:
        token = str(form.get("refresh_token", ""))
        with self.state.lock:
            oid = self.state.refresh_tokens.pop(token, None)
        if oid is None or self.state.user.revoked:
            return _error(
                400,
                "invalid_grant",
                "AADSTS50173: The provided grant has expired due to it being revoked.",
                suberror="bad_token",
            )
        consented = {s.lower() for s in self.state.user.consented}
        asked = _graph_scopes(str(form.get("scope", "")))
        beyond = [s for s in asked if s.lower() not in consented]
        if self.state.user.consent_required or beyond:
            return _error(
                400, "invalid_grant", "AADSTS65001: consent required.", suberror="consent_required"
            )
        return self._issue(None)

    def _issue(self, nonce: str | None) -> Response:
        user = self.state.user
        now = int(time.time())
        access = "at-" + secrets.token_urlsafe(24)
        refresh = "rt-" + secrets.token_urlsafe(24)
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
        with self.state.lock:
            granted = sorted(user.consented)
            self.state.refresh_tokens[refresh] = user.oid
            self.state.access_tokens[access] = now + self.state.expires_in
            self.state.access_scopes[access] = frozenset(s.lower() for s in granted)
        return JSONResponse(
            {
                "token_type": "Bearer",
                "scope": " ".join([*granted, "openid", "profile"]),
                "expires_in": self.state.expires_in,
                "ext_expires_in": self.state.expires_in,
                "access_token": access,
                "refresh_token": refresh,
                "id_token": unsigned_jwt(claims),
                "client_info": b64url(json.dumps({"uid": user.oid, "utid": TENANT_ID}).encode()),
            }
        )


RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})


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
