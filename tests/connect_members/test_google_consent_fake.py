"""The fake Google sign-in is as strict as Google's documentation about scopes, offline
access and refresh tokens on re-consent (tests/fakes/oidc/google_consent.py)."""

from __future__ import annotations

import pytest

from tests.fakes.oidc.google_consent import Consent, ConsentRefused, consent

EVENTS = "https://www.googleapis.com/auth/calendar.events"
EMAIL = "https://www.googleapis.com/auth/userinfo.email"


def ask(
    scope: str = f"openid email {EVENTS}",
    *,
    before: frozenset[str] = frozenset(),
    offline_before: bool = False,
    declined: tuple[str, ...] = (),
    calendar_enabled: bool = True,
    **params: str,
) -> Consent:
    return consent(
        {"scope": scope, **params},
        calendar_enabled=calendar_enabled,
        granted_before=before,
        offline_before=offline_before,
        declined=declined,
    )


def test_a_refresh_token_only_with_offline_access() -> None:
    online = ask()
    assert online.refresh is False
    first = ask(access_type="offline")
    assert first.refresh is True
    assert first.scopes == frozenset({"openid", EMAIL, EVENTS})


def test_re_consent_gives_a_refresh_token_only_with_prompt_consent() -> None:
    again = ask(access_type="offline", offline_before=True)
    assert again.refresh is False
    forced = ask(access_type="offline", offline_before=True, prompt="consent select_account")
    assert forced.refresh is True


@pytest.mark.parametrize(
    ("scope", "params", "error"),
    [
        ("email profile", {}, "invalid_scope"),  # no openid
        ("openid https://www.googleapis.com/auth/drive", {}, "invalid_scope"),
        ("openid email", {"access_type": "forever"}, "invalid_request"),
        ("openid email", {"prompt": "none consent"}, "invalid_request"),
        ("openid email", {"include_granted_scopes": "yes"}, "invalid_request"),
    ],
)
def test_what_google_refuses(scope: str, params: dict[str, str], error: str) -> None:
    with pytest.raises(ConsentRefused) as refused:
        ask(scope, **params)
    assert refused.value.error == error


def test_calendar_scopes_need_the_calendar_api_on_the_client() -> None:
    with pytest.raises(ConsentRefused):
        ask(calendar_enabled=False)


def test_unticked_scopes_are_not_granted_and_earlier_ones_come_back_when_asked() -> None:
    unticked = ask(declined=(EVENTS,))
    assert EVENTS not in unticked.scopes
    incremental = ask("openid email", before=frozenset({EVENTS}), include_granted_scopes="true")
    assert EVENTS in incremental.scopes
    alone = ask("openid email", before=frozenset({EVENTS}))
    assert EVENTS not in alone.scopes
