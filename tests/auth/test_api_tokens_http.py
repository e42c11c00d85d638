"""Personal API tokens over HTTP against the real app: every scope and role rule,
revoked, expired and disabled tokens, the wrong-token rate limit, the account page's
forms (CSRF, one's own tokens only), and that no token reaches a log."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from blocker.auth.tokens import hash_secret, issue
from tests.auth.conftest import TOKEN, TeamService
from tests.auth.test_signin_http import csrf, new_browser, sign_in
from tests.fakes.oidc import FakePerson
from tests.support.clock import SettableClock


@pytest.fixture
def api(team_service: TeamService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=team_service.base_url, timeout=30) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_for(
    service: TeamService, email: str, role: str, scope: str, days: int | None = 30
) -> str:
    """A user with ``role`` and a token of theirs, made as the CLI and page make them."""
    user = service.store.add_team_user(email, role)
    runtime = service.app.state.runtime
    return issue(
        service.store, user.id, scope=scope, name="script", days=days, now=runtime.now()
    ).text


def rules_text(service: TeamService) -> str:
    text: str = service.app.state.runtime.rules_text
    return text


def put_rules(api: httpx.Client, service: TeamService, token: str) -> httpx.Response:
    return api.put(
        "/api/rules",
        content=rules_text(service).encode(),
        headers={**bearer(token), "Content-Type": "application/yaml"},
    )


def test_a_read_token_reads_and_is_refused_every_write_with_403(
    team_service: TeamService, api: httpx.Client
) -> None:
    token = token_for(team_service, "ann@example.com", "admin", "read")
    assert api.get("/api/rules", headers=bearer(token)).status_code == 200
    assert api.get("/api/runs", headers=bearer(token)).status_code == 200
    refused = put_rules(api, team_service, token)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "this token is read-only"
    restore = api.post("/api/rules/versions/1/restore", headers=bearer(token))
    assert restore.status_code == 403
    assert api.post("/api/sync", headers=bearer(token), json={}).status_code == 403
    assert api.get("/connect/google", headers=bearer(token)).status_code == 403


@pytest.mark.parametrize(("role", "allowed"), [("member", False), ("lead", False), ("admin", True)])
def test_a_write_token_acts_with_its_users_role(
    team_service: TeamService, api: httpx.Client, role: str, allowed: bool
) -> None:
    token = token_for(team_service, "ann@example.com", role, "write")
    assert api.get("/api/rules", headers=bearer(token)).status_code == 200  # every role reads
    saved = put_rules(api, team_service, token)
    assert saved.status_code == (200 if allowed else 403)
    if not allowed:
        assert "only an admin" in saved.json()["detail"]
    entries = team_service.store.audit_entries()
    saves = [e for e in entries if e.action == "rules.save"]
    assert len(saves) == (1 if allowed else 0)
    if allowed:
        user = team_service.store.team_user("ann@example.com")
        assert user is not None
        assert saves[0].actor.startswith(f"user {user.fingerprint} at example.com (token ")


def test_revoked_expired_and_malformed_tokens_get_401(
    team_service: TeamService, api: httpx.Client
) -> None:
    live = token_for(team_service, "ann@example.com", "member", "read")
    assert api.get("/api/rules", headers=bearer(live)).status_code == 200
    [record] = team_service.store.api_tokens()
    assert team_service.store.revoke_api_token(record.id) is not None
    revoked = api.get("/api/rules", headers=bearer(live))
    assert revoked.status_code == 401
    assert revoked.json()["detail"] == "this token has been revoked"
    assert revoked.headers["www-authenticate"] == "Bearer"

    user = team_service.store.team_user("ann@example.com")
    assert user is not None
    now = team_service.app.state.runtime.now()
    secret = "s" * 43
    team_service.store.create_api_token(
        user.id,
        "0123456789ab",
        hash_secret(secret),
        name="old",
        scope="read",
        expires_at=now - timedelta(seconds=1),
    )
    expired = api.get("/api/rules", headers=bearer(f"cbt_0123456789ab_{secret}"))
    assert expired.status_code == 401
    assert expired.json()["detail"] == "this token has expired"
    wrong_secret = api.get("/api/rules", headers=bearer(f"cbt_0123456789ab_{'t' * 43}"))
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["detail"] == "missing or wrong bearer token"


def test_a_disabled_users_tokens_are_revoked_and_stay_revoked_when_enabled(
    team_service: TeamService, api: httpx.Client
) -> None:
    token = token_for(team_service, "ann@example.com", "member", "write")
    team_service.store.add_team_user("ada@example.com", "admin")  # not the last admin
    team_service.store.set_user_disabled("ann@example.com", True)
    refused = api.get("/api/rules", headers=bearer(token))
    assert refused.status_code == 401
    team_service.store.set_user_disabled("ann@example.com", False)
    again = api.get("/api/rules", headers=bearer(token))
    assert again.status_code == 401
    assert again.json()["detail"] == "this token has been revoked"
    [record] = team_service.store.api_tokens()
    assert record.revoked_at is not None


def test_use_is_recorded_as_last_used(team_service: TeamService, api: httpx.Client) -> None:
    token = token_for(team_service, "ann@example.com", "member", "read")
    assert team_service.store.api_tokens()[0].last_used_at is None
    assert api.get("/api/runs", headers=bearer(token)).status_code == 200
    used = team_service.store.api_tokens()[0].last_used_at
    assert used is not None
    assert abs(used - team_service.app.state.runtime.now()) < timedelta(minutes=5)


def test_wrong_personal_tokens_are_rate_limited_per_source(
    team_service: TeamService, api: httpx.Client
) -> None:
    good = token_for(team_service, "ann@example.com", "member", "read")
    allowance = team_service.app.state.runtime.settings.login_attempts_per_minute
    for n in range(allowance):
        wrong = f"cbt_{n:012x}_{'x' * 43}"
        assert api.get("/api/rules", headers=bearer(wrong)).status_code == 401
    throttled = api.get("/api/rules", headers=bearer(f"cbt_{'f' * 12}_{'x' * 43}"))
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) >= 1
    # the source is throttled for every bearer, the good ones too, until it refills
    assert api.get("/api/rules", headers=bearer(good)).status_code == 429
    assert api.get("/api/rules", headers=bearer(TOKEN)).status_code == 429


def test_wrong_shared_tokens_are_rate_limited_per_source_until_the_window_passes(
    team_service: TeamService, api: httpx.Client
) -> None:
    limiter = team_service.app.state.api_token_limiter
    clock = SettableClock(team_service.app.state.runtime.now())
    limiter.clock = clock  # the bucket refills on a clock the test moves
    allowance = team_service.app.state.runtime.settings.login_attempts_per_minute
    assert api.get("/api/rules").status_code == 401  # no token: guesses nothing
    for n in range(allowance):
        wrong = api.get("/api/rules", headers=bearer(f"not-the-token-{n}"))
        assert wrong.status_code == 401
    throttled = api.get("/api/rules", headers=bearer("not-the-token-either"))
    assert throttled.status_code == 429
    wait = int(throttled.headers["retry-after"])
    assert 1 <= wait <= 60
    right = api.get("/api/rules", headers=bearer(TOKEN))
    assert right.status_code == 429  # a right guess looks like a wrong one while blocked
    assert int(right.headers["retry-after"]) == wait
    assert api.get("/audit", headers=bearer(TOKEN)).status_code == 429  # every bearer route
    clock.now += timedelta(seconds=wait)
    assert api.get("/api/rules", headers=bearer(TOKEN)).status_code == 200


def test_no_token_reaches_the_log(
    team_service: TeamService, api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = token_for(team_service, "ann@example.com", "admin", "read")
    api.get("/api/rules", headers=bearer(token))
    api.get("/api/rules", headers=bearer(token[:-1] + ("A" if token[-1] != "A" else "B")))
    secret = token.split("_", 2)[2]
    assert "API token refused (unknown)" in caplog.text  # the refusal was logged...
    assert secret not in caplog.text  # ...by its prefix only
    assert secret[:-1] not in caplog.text


def signed_in(service: TeamService, client: httpx.Client, email: str, role: str) -> str:
    """Sign ``email`` in with Google; the account page's CSRF token."""
    service.store.add_team_user(email, role)
    service.google.state.person = FakePerson(email)
    assert sign_in(client, "google").status_code == 200
    return csrf(client.get("/account").text)


def made_on_page(page: str) -> str:
    found = re.search(r'id="new-token" type="text" readonly value="([^"]+)"', page)
    assert found, "the new token is not on the page"
    return found.group(1)


def test_the_account_page_creates_lists_and_revokes_ones_own_tokens(
    team_service: TeamService, api: httpx.Client
) -> None:
    with new_browser(team_service) as ann:
        form = signed_in(team_service, ann, "ann@example.com", "member")
        created = ann.post(
            "/account/tokens", data={"csrf": form, "name": "report", "scope": "read", "days": "7"}
        )
        assert created.status_code == 200
        token = made_on_page(created.text)
        assert api.get("/api/rules", headers=bearer(token)).status_code == 200
        again = ann.get("/account").text
        assert token not in again  # shown once
        prefix = token.split("_")[1]
        assert f'data-token-prefix="{prefix}"' in again
        [record] = team_service.store.api_tokens()

        with new_browser(team_service) as lee:
            lee_form = signed_in(team_service, lee, "lee@example.com", "admin")
            theirs = lee.post(
                "/account/tokens/revoke", data={"csrf": lee_form, "token_id": str(record.id)}
            )
            assert theirs.status_code == 404  # not Lee's, admin or not
            assert api.get("/api/rules", headers=bearer(token)).status_code == 200

        forged = ann.post("/account/tokens", data={"csrf": "forged", "scope": "read"})
        assert forged.status_code == 403
        assert len(team_service.store.api_tokens()) == 1

        mine = {"csrf": form, "token_id": str(record.id)}
        revoked = ann.post("/account/tokens/revoke", data=mine)
        assert revoked.status_code == 303
        assert api.get("/api/rules", headers=bearer(token)).status_code == 401
        assert "revoked" in ann.get("/account").text

    actions = [e.action for e in team_service.store.audit_entries()]
    assert actions[:2] == ["token.revoke", "token.create"]


def test_bad_form_input_is_shown_and_nothing_is_made(team_service: TeamService) -> None:
    with new_browser(team_service) as ann:
        form = signed_in(team_service, ann, "ann@example.com", "member")
        for fields in ({"scope": "admin"}, {"scope": "read", "days": "9999"}, {"days": "soon"}):
            refused = ann.post("/account/tokens", data={"csrf": form, **fields})
            assert refused.status_code == 422
            assert 'id="token-error"' in refused.text
    assert team_service.store.api_tokens() == []


def test_an_api_token_session_has_no_personal_tokens(
    team_service: TeamService, api: httpx.Client
) -> None:
    assert api.post("/login", data={"token": TOKEN, "next": "/"}).status_code == 303
    page = api.get("/account").text
    assert "Personal API tokens" not in page
    refused = api.post("/account/tokens", data={"csrf": csrf(page), "scope": "read"})
    assert refused.status_code == 403
