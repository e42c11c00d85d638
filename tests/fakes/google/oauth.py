"""Google's OAuth endpoints in miniature: authorize (auto-consent), token, revocation.

The authorize endpoint redirects straight back with ``code`` and ``state`` (the
user "consents" at once); the token endpoint checks the PKCE ``code_verifier``
against the ``code_challenge`` sent at authorize time, issues refresh tokens
for ``access_type=offline`` and answers ``invalid_grant`` for revoked ones.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from tests.fakes.google.errors import Reply, json_reply


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str | None
    offline: bool


@dataclass
class FakeOAuth:
    client_id: str = "test-client.apps.googleusercontent.com"
    client_secret: str = "test-secret"
    codes: dict[str, _Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> scope
    access_tokens: dict[str, str] = field(default_factory=dict)  # token -> refresh token
    refresh_count: int = 0

    def issue_refresh_token(self, scope: str = "https://www.googleapis.com/auth/calendar") -> str:
        """Backdoor: a refresh token as if the user had connected earlier."""
        token = "1//rt-" + secrets.token_urlsafe(16)
        self.refresh_tokens[token] = scope
        return token

    def revoke(self, refresh_token: str) -> None:
        """The user withdrew consent: the refresh token and its access tokens stop working."""
        self.refresh_tokens.pop(refresh_token, None)
        for access, parent in list(self.access_tokens.items()):
            if parent == refresh_token:
                del self.access_tokens[access]

    def expire_access_tokens(self) -> None:
        self.access_tokens.clear()

    def authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        return header.removeprefix("Bearer ") in self.access_tokens

    def scopes(self, header: str | None) -> frozenset[str]:
        """The scopes granted to the bearer of ``header`` (empty when unknown)."""
        access = (header or "").removeprefix("Bearer ")
        parent = self.access_tokens.get(access)
        scope = self.refresh_tokens.get(parent) if parent is not None else None
        return frozenset((scope or "").split())

    def authorize(self, query: dict[str, list[str]]) -> Reply:
        one = {k: v[0] for k, v in query.items()}
        if one.get("client_id") != self.client_id or one.get("response_type") != "code":
            return json_reply(400, {"error": "invalid_request"})
        if "redirect_uri" not in one:
            return json_reply(400, {"error": "redirect_uri_mismatch"})
        if one.get("code_challenge") and one.get("code_challenge_method") != "S256":
            return json_reply(400, {"error": "invalid_request", "error_description": "S256 only"})
        code = "4/code-" + secrets.token_urlsafe(12)
        self.codes[code] = _Grant(
            client_id=one["client_id"],
            redirect_uri=one["redirect_uri"],
            scope=one.get("scope", ""),
            challenge=one.get("code_challenge"),
            offline=one.get("access_type") == "offline",
        )
        params = {"code": code, "scope": one.get("scope", "")}
        if "state" in one:
            params["state"] = one["state"]
        sep = "&" if "?" in one["redirect_uri"] else "?"
        return 302, {"Location": f"{one['redirect_uri']}{sep}{urlencode(params)}"}, b""

    def token(self, body: bytes, authorization: str | None) -> Reply:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization.removeprefix("Basic ")).decode()
            client_id, _, client_secret = decoded.partition(":")
        if client_id != self.client_id or client_secret != self.client_secret:
            return json_reply(401, {"error": "invalid_client"})
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange(form)
        if grant_type == "refresh_token":
            return self._refresh(form.get("refresh_token", ""))
        return json_reply(400, {"error": "unsupported_grant_type"})

    def _exchange(self, form: dict[str, str]) -> Reply:
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant.redirect_uri != form.get("redirect_uri"):
            return json_reply(400, {"error": "invalid_grant", "error_description": "Bad Request"})
        if grant.challenge is not None:
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            if not secrets.compare_digest(expected, grant.challenge):
                return json_reply(
                    400, {"error": "invalid_grant", "error_description": "Invalid code verifier."}
                )
        refresh = self.issue_refresh_token(grant.scope) if grant.offline else ""
        access = "ya29.at-" + secrets.token_urlsafe(16)
        self.access_tokens[access] = refresh
        payload = {
            "access_token": access,
            "expires_in": 3599,
            "scope": grant.scope,
            "token_type": "Bearer",
        }
        if refresh:
            payload["refresh_token"] = refresh
        return json_reply(200, payload)

    def _refresh(self, refresh_token: str) -> Reply:
        scope = self.refresh_tokens.get(refresh_token)
        if scope is None:
            return json_reply(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                },
            )
        self.refresh_count += 1
        access = "ya29.at-" + secrets.token_urlsafe(16)
        self.access_tokens[access] = refresh_token
        return json_reply(
            200,
            {"access_token": access, "expires_in": 3599, "scope": scope, "token_type": "Bearer"},
        )
