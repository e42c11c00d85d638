"""What the page may claim, decided without a browser (blocker.web.truth) on a real runtime."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from blocker.core.errors import ProviderError, ReconnectRequired
from blocker.web.truth import actions, block_states, connection_views, plain
from tests.service.conftest import NEXT_WEEK, LiveService

TZ = ZoneInfo("America/New_York")


def test_a_read_refused_by_the_provider_means_reconnect_and_any_other_failure_unreadable(
    two_calendars: LiveService,
) -> None:
    runtime = two_calendars.runtime
    runtime.store.upsert_connection(
        "work-google", user_email="csm@example.com", provider="google", tokens=b"{}"
    )
    refused = ReconnectRequired("Google answered invalid_grant")
    views = {v.id: v for v in connection_views(runtime, {}, "work-google", refused, TZ)}
    assert views["work-google"].state == "needs_reconnect"
    assert views["work-google"].action_label == "Reconnect"
    assert "invalid_grant" not in views["work-google"].reason
    assert views["local"].state == "local" and views["local"].action_url is None

    broken = ProviderError("out/calendar.ics is not an iCalendar file")
    views = {v.id: v for v in connection_views(runtime, {}, "local", broken, TZ)}
    assert views["local"].state == "unreadable"
    assert views["work-google"].state == "connected"  # not read for this page: the store's word
    todo = actions(list(views.values()), {}, {}, "local")
    assert [a.kind for a in todo] == ["unreadable"]
    assert "not an iCalendar file" in todo[0].message


def test_a_block_is_on_the_calendar_only_when_a_sync_would_not_write_it(
    two_calendars: LiveService,
) -> None:
    runtime = two_calendars.runtime
    fresh = runtime.preview("local", NEXT_WEEK)
    assert fresh.ops and all(op.action == "create" for op in fresh.ops)
    states = block_states(fresh.plan, fresh.ops, {}, TZ)
    conflicts = {c.key for c in fresh.plan.conflicts}
    assert {s.state for k, s in states.items() if k not in conflicts} == {"pending"}
    runtime.sync(None, "local", NEXT_WEEK, trigger="api")
    after = runtime.preview("local", NEXT_WEEK)
    assert after.ops == ()
    states = block_states(after.plan, after.ops, {}, TZ)
    assert {s.state for k, s in states.items() if k not in conflicts} == {"synced"}
    assert {states[k].state for k in conflicts} <= {"conflict"}


def test_plain_words_replace_internal_names() -> None:
    said = plain("token refused: invalid_grant; set BLOCKER_API_TOKEN or run `blocker connect`")
    assert "invalid_grant" not in said and "BLOCKER_API_TOKEN" not in said
    assert "blocker connect" not in said and "access was withdrawn" in said


def test_a_permission_the_calendar_lacks_asks_to_reconnect_once(
    two_calendars: LiveService,
) -> None:
    from blocker.outlook_state import COLOURS

    runtime = two_calendars.runtime
    runtime.store.upsert_connection(
        "work-google", user_email="csm@example.com", provider="google", tokens=b"{}"
    )
    runtime.store.save_fallback("work-google", COLOURS, "no MailboxSettings.ReadWrite")
    fallbacks = {cal: runtime.store.fallbacks(cal) for cal in runtime.calendar_ids()}
    views = connection_views(runtime, {}, "local", None, TZ)
    todo = actions(views, {}, fallbacks, "local")
    assert [a.kind for a in todo] == ["permission"]
    assert todo[0].button == "Reconnect"
    assert todo[0].url == "/connect/google?calendar=work-google"
    assert "Permission missing on work-google" in todo[0].message


def test_a_run_with_only_notices_did_not_fail_and_a_past_failure_asks_only_while_it_matters(
    two_calendars: LiveService,
) -> None:
    from dataclasses import replace

    from blocker.core.models import RunRecord
    from blocker.web.truth import run_failures

    runtime = two_calendars.runtime
    runtime.sync(None, "local", NEXT_WEEK, trigger="api")
    [done] = runtime.store.runs("local", 1)
    noticed = replace(done, notices=("skipped an event it cannot read: x",))
    failed = replace(done, errors=("2 writes failed",), notices=("colours are off",))
    assert isinstance(noticed, RunRecord) and run_failures(noticed) == []
    assert run_failures(failed) == ["2 writes failed"]
    views = [v for v in connection_views(runtime, {}, "local", None, TZ) if v.id == "local"]
    assert actions(views, {"local": noticed}, {}, "local") == []
    [asked] = actions(views, {"local": failed}, {}, "local", pending=True)
    assert asked.kind == "sync_failed" and asked.sync and "2 writes failed" in asked.message
    # the page's read finds nothing left to write: Sync now would do nothing
    assert runtime.preview("local", NEXT_WEEK).ops == ()
    assert actions(views, {"local": failed}, {}, "local", pending=False) == []


def test_a_calendar_that_needs_reconnecting_is_told_in_plain_words(
    two_calendars: LiveService,
) -> None:
    runtime = two_calendars.runtime
    runtime.store.upsert_connection(
        "work-google", user_email="csm@example.com", provider="google", tokens=b"{}"
    )
    runtime.store.mark_needs_reconnect(
        "work-google",
        "reading primary: Google refused the refresh token (invalid_grant) (the calendar "
        "connection was revoked or expired: connect it again from the dashboard or "
        "`blocker connect`)",
    )
    views = {v.id: v for v in connection_views(runtime, {}, "local", None, TZ)}
    said = views["work-google"].reason
    assert said == "Google no longer lets csm-blocker use it (access was withdrawn or expired)"
    [todo] = actions(list(views.values()), {}, {}, "local")
    assert todo.kind == "reconnect" and todo.button == "Reconnect"
    assert todo.message == f"Calendar work-google needs reconnecting: {said}."
