"""The rule form over plain HTTP: draft -> preview -> apply, and drafts that save nothing.

The preview's changes are checked against a dry run of the same draft computed
here (not hard-coded), and the sync after apply must write exactly those.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from blocker.web.routes.forms import parse_draft, state_for
from blocker.web.rule_forms import read_form, write_form
from tests.dashboard.test_grid_actions_http import csrf_of, on_calendar, signed_in
from tests.service.conftest import NEXT_WEEK, LiveService

PAGE = f"/settings?week={NEXT_WEEK}&calendar=local"
_OP = re.compile(r'<li data-action="(\w+)" data-key="([^"]+)" data-start="([^"]*)"')


def posted(client: httpx.Client, **changes: str) -> dict[str, str]:
    """The form as the page fills it, with ``changes`` typed over it."""
    html = client.get(PAGE).text
    fields = dict(
        re.findall(
            r'<input type="(?:text|hidden)" (?:id="[^"]*" )?name="([^"]+)" value="([^"]*)"', html
        )
    )
    fields["meeting_free_day"] = "fri"
    fields["csrf"] = csrf_of(html)
    return {**fields, **changes}


def ops_in(html: str, section: str) -> set[tuple[str, str, str]]:
    part = html.split(f'id="{section}"', 1)[1].split("</ul>", 1)[0]
    return set(_OP.findall(part))


def dry_run_of(service: LiveService, keep: str, **changes: str) -> set[tuple[str, str, str]]:
    """What a dry run with the same draft and choice would write (computed here)."""
    runtime = service.runtime
    form = read_form(runtime.rules_text, NEXT_WEEK)
    for name, value in changes.items():
        setattr(form, name, value)
    rules = parse_draft(runtime, write_form(runtime.rules_text, form, NEXT_WEEK))
    state = state_for(runtime, "local", NEXT_WEEK, keep)
    outcome = runtime.sync(
        rules, "local", NEXT_WEEK, trigger="preview", dry_run=True, record=False, state=state
    )
    out = set()
    for op in outcome.ops:
        target: Any = op.block or op.current
        out.add((op.action, op.key, target.start.isoformat()))
    return out


def versions(service: LiveService) -> int:
    return len(service.client.get("/api/rules/versions").json())


def test_preview_then_apply_writes_exactly_what_was_previewed(app_service: LiveService) -> None:
    with signed_in(app_service) as client:
        token = csrf_of(client.get(f"/?week={NEXT_WEEK}&calendar=local").text)
        client.post("/sync", data={"csrf": token, "week": NEXT_WEEK, "calendar": "local"})
        before_text = app_service.client.get("/api/rules").text
        expected = dry_run_of(app_service, "none", focus_window="13:00-17:00")
        assert expected, "moving focus to the afternoon must change the calendar"
        preview = client.post(
            "/settings",
            data=posted(client, focus_window="13:00-17:00", step="preview", keep="none"),
        )
        assert preview.status_code == 200
        assert ops_in(preview.text, "preview-ops") == expected
        # the after grid shows each moved or new block at its new place
        after = preview.text.split('id="after"', 1)[1]
        for action, key, start in expected:
            if action != "delete":
                assert (
                    f'data-key="{key}" data-state="' in after and f'data-start="{start}"' in after
                )
        assert versions(app_service) == 1
        assert app_service.client.get("/api/rules").text == before_text

        applied = client.post(
            "/settings",
            data=posted(client, focus_window="13:00-17:00", step="apply", keep="none"),
        )
        assert applied.status_code == 303 and "saved=2" in applied.headers["location"]
        saved = client.get(applied.headers["location"]).text
        assert ops_in(saved, "saved-ops") == expected
        assert versions(app_service) == 2
        text = app_service.client.get("/api/rules").text
        assert '    preferred: "13:00-17:00"   # or a list, most preferred first:' in text
        assert text.replace('"13:00-17:00"', '"09:30-12:00"', 1) == before_text
        run = app_service.runtime.store.runs("local", 1)[0]
        assert run.trigger == "rules"
        assert {(op.action, op.key) for op in run.ops} == {(a, k) for a, k, _ in expected}
        events = on_calendar(app_service)
        for action, key, start in expected:
            if action != "delete":
                assert events[key].start.isoformat() == start or (
                    events[key].start.timestamp() == _ts(start)
                )


def _ts(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


def test_a_preview_says_why_a_preferred_window_cannot_be_honoured(
    app_service: LiveService,
) -> None:
    with signed_in(app_service) as client:
        # 45 minutes a day, half of it the stand-ups and 1:1s: 4 h of focus cannot fit
        answer = client.post(
            "/settings", data=posted(client, focus_window="11:00-11:45", step="preview")
        )
        assert answer.status_code == 200
        notes = re.findall(r'<p class="notice" data-note>(.*?)</p>', answer.text)
        focus = [n for n in notes if n.startswith("Focus time:")]
        assert len(focus) == 1, notes
        said = re.fullmatch(
            r"Focus time: you asked for 4 h in 11:00–11:45; (.+) fits there this week\. "
            r"Meetings take (.+) of those hours\. (.+) is placed elsewhere in your working "
            r"hours\.(?: .+ finds no place at all this week\.)?",
            focus[0],
        )
        assert said is not None, focus[0]
        assert versions(app_service) == 1


def test_an_invalid_draft_shows_its_error_at_the_field_and_saves_nothing(
    app_service: LiveService,
) -> None:
    with signed_in(app_service) as client:
        before_text = app_service.client.get("/api/rules").text
        shape = client.post(
            "/settings", data=posted(client, focus_window="afternoons", step="apply")
        )
        assert shape.status_code == 422
        assert 'data-field="focus_window"' in shape.text and 'aria-invalid="true"' in shape.text
        loader = client.post("/settings", data=posted(client, focus_hours="50", step="apply"))
        assert loader.status_code == 422
        assert re.search(r'<li data-field="focus_(hours|window)">', loader.text)
        assert "nothing was saved" in loader.text
        assert versions(app_service) == 1
        assert app_service.client.get("/api/rules").text == before_text


def test_a_draft_of_rules_that_changed_meanwhile_is_refused(app_service: LiveService) -> None:
    with signed_in(app_service) as client:
        form = posted(client, focus_window="13:00-17:00", step="apply")
        text = app_service.client.get("/api/rules").text
        edited = text.replace("    at: 12:00\n    minutes: 45", "    at: 12:00\n    minutes: 30")
        assert app_service.client.put("/api/rules", content=edited).status_code == 200
        stale = client.post("/settings", data=form)
        assert stale.status_code == 409 and "changed since this form was opened" in stale.text
        assert app_service.client.get("/api/rules").text == edited
