"""The HTTP API against a real server, store, scheduler and local .ics calendar."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from icalendar import Calendar

from tests.service.conftest import NEXT_WEEK, TOKEN, LiveService, rules_yaml


def _owned_uids(ics: Path) -> set[str]:
    if not ics.exists():  # the local provider may create an empty calendar file
        return set()
    cal = Calendar.from_ical(ics.read_bytes())
    return {
        str(ev.get("UID")) for ev in cal.walk("VEVENT") if ev.get("X-CSM-BLOCKER-KEY") is not None
    }


def test_health_and_readiness_are_public(service: LiveService) -> None:
    bare = httpx.get(f"{service.base_url}/healthz")
    assert bare.status_code == 200 and bare.json() == {"status": "ok"}
    ready = httpx.get(f"{service.base_url}/readyz").json()
    assert ready == {
        "status": "ready",
        "store": "ok",
        "scheduler": "running",
        "rules_loaded": True,
    }


def test_api_requires_the_bearer_token(service: LiveService) -> None:
    for path in ("/api/rules", "/api/runs", f"/api/plan?week={NEXT_WEEK}"):
        missing = httpx.get(service.base_url + path)
        assert missing.status_code == 401, path
        assert missing.headers["www-authenticate"] == "Bearer"
        wrong = httpx.get(service.base_url + path, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401, path
    assert service.client.get("/api/rules").status_code == 200


def test_bad_rules_are_refused_with_every_location_and_old_rules_stay(
    service: LiveService, workdir: Path
) -> None:
    before = service.client.get("/api/rules").text
    bad = before.replace("timezone: America/New_York", "timezone: Mars/Olympus").replace(
        "  - kind: wrap_up\n", "  - kind: wrap_up\n    colour: red\n"
    )
    response = service.client.put(
        "/api/rules", content=bad, headers={"Content-Type": "application/yaml"}
    )
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert len(problems) >= 2
    by_line = {p["line"]: p for p in problems}
    assert 1 in by_line and "Mars/Olympus" in by_line[1]["message"]
    colour_line = bad.splitlines().index("    colour: red") + 1
    assert colour_line in by_line and by_line[colour_line]["column"] == 5
    assert all(p["file"].endswith("rules.yaml") for p in problems)
    # Nothing changed: the API, the file and the stored versions all keep the old rules.
    assert service.client.get("/api/rules").text == before
    assert (workdir / "rules.yaml").read_text() == before
    assert len(service.client.get("/api/rules/versions").json()) == 1


def test_good_rules_make_a_new_version_and_an_old_one_can_be_restored(
    service: LiveService, workdir: Path
) -> None:
    original = service.client.get("/api/rules").text
    edited = rules_yaml(lunch_at="12:30")
    saved = service.client.put(
        "/api/rules", content=edited, headers={"Content-Type": "application/yaml"}
    )
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["calendars"] == ["local"]
    assert service.client.get("/api/rules").text == edited
    assert (workdir / "rules.yaml").read_text() == edited

    versions = service.client.get("/api/rules/versions").json()
    assert [v["is_current"] for v in versions] == [True, False]
    assert versions[0]["id"] == body["version"]
    first = versions[1]["id"]

    restored = service.client.post(f"/api/rules/versions/{first}/restore")
    assert restored.status_code == 200, restored.text
    assert service.client.get("/api/rules").text == original
    assert (workdir / "rules.yaml").read_text() == original
    current = [v["id"] for v in service.client.get("/api/rules/versions").json() if v["is_current"]]
    assert current == [first]
    assert service.client.post("/api/rules/versions/9999/restore").status_code == 404


def test_plan_preview_writes_nothing(service: LiveService, workdir: Path) -> None:
    response = service.client.get("/api/plan", params={"week": NEXT_WEEK})
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["week"] == NEXT_WEEK and plan["timezone"] == "America/New_York"
    titles = {b["title"] for b in plan["blocks"]}
    assert any("Deep work" in t for t in titles)
    lunch = [b for b in plan["blocks"] if b["kind"] == "lunch"]
    assert len(lunch) == 5 and all("T12:00:00-05:00" in b["start"] for b in lunch)
    assert set(plan["scorecard"]) >= {"tiers", "quadrants", "flags"}
    assert isinstance(plan["shortfall"], list)
    # No block written to the calendar, no run recorded.
    assert _owned_uids(workdir / "out" / "calendar.ics") == set()
    assert service.client.get("/api/runs").json() == []
    assert service.client.get("/api/plan", params={"week": "2026-W99"}).status_code == 422


def test_sync_writes_blocks_to_the_ics_and_explains_each_op(
    service: LiveService, workdir: Path
) -> None:
    dry = service.client.post("/api/sync", json={"dry_run": True, "week": NEXT_WEEK}).json()
    [dry_result] = dry["results"]
    assert dry_result["dry_run"] and dry_result["ops"]
    assert _owned_uids(workdir / "out" / "calendar.ics") == set()

    response = service.client.post("/api/sync", json={"week": NEXT_WEEK, "calendar": "local"})
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert result["errors"] == []
    ops = result["ops"]
    assert ops and {op["action"] for op in ops} == {"create"}
    assert all(op["reason"] for op in ops)
    ics = workdir / "out" / "calendar.ics"
    assert len(_owned_uids(ics)) == len(ops)
    # The standup from busy.ics (Monday 10:00) is planned around, not overwritten.
    monday_focus = [
        op for op in ops if "Deep work" in (op["title"] or "") and "2026-11-30T10" in op["start"]
    ]
    assert monday_focus == []

    again = service.client.post("/api/sync", json={"week": NEXT_WEEK}).json()
    assert again["results"][0]["ops"] == []

    runs = service.client.get("/api/runs", params={"calendar": "local"}).json()
    assert [r["trigger"] for r in runs] == ["api", "api", "api"]
    assert runs[0]["ops"] == [] and runs[1]["ops"] and runs[2]["dry_run"]
    assert {op["reason"] for op in runs[1]["ops"]} == {op["reason"] for op in ops}

    assert service.client.post("/api/sync", json={"calendar": "nope"}).status_code == 404
    assert service.client.post("/api/sync", json={"week": "soon"}).status_code == 422


def test_report_and_metrics(service: LiveService) -> None:
    report = service.client.get("/api/report", params={"week": NEXT_WEEK})
    assert report.status_code == 200, report.text
    card = report.json()
    assert card["week"] == NEXT_WEEK and card["calendar"] == "local"
    assert set(card["quadrants"]) <= {"1", "2", "3", "4"}

    service.client.post("/api/sync", json={"week": NEXT_WEEK})
    text = httpx.get(f"{service.base_url}/metrics").text
    assert 'blocker_runs_total{calendar="local",outcome="ok",trigger="api"} 1.0' in text
    assert 'blocker_ops_total{action="create",calendar="local",dry_run="false"}' in text
    assert 'blocker_provider_requests_total{method="read",provider=' in text
    assert "blocker_run_duration_seconds_count" in text


def test_openapi_names_every_route_with_its_models(service: LiveService) -> None:
    assert httpx.get(f"{service.base_url}/openapi.json").status_code == 401
    schema = service.client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/rules",
        "/api/rules/versions",
        "/api/rules/versions/{version_id}/restore",
        "/api/plan",
        "/api/report",
        "/api/sync",
        "/api/runs",
    ):
        assert path in paths, path
    models = schema["components"]["schemas"]
    assert {"PlanOut", "SyncRequest", "SyncResponse", "RunOut", "RulesProblems"} <= set(models)
    put = paths["/api/rules"]["put"]
    assert "application/yaml" in put["requestBody"]["content"]
    assert "422" in put["responses"]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_a_run_tells_notices_apart_from_errors(service: LiveService, workdir: Path) -> None:
    """An event the calendar cannot read is left out and said: a notice, not an error,
    in the sync answer and in the run history (the page lists them apart too)."""
    busy = workdir / "busy.ics"
    bad = "BEGIN:VEVENT\r\nUID:no-start@x\r\nSUMMARY:Broken invite\r\nEND:VEVENT\r\n"
    busy.write_text(busy.read_text().replace("END:VCALENDAR", bad + "END:VCALENDAR"))
    answer = service.client.post("/api/sync", json={"week": NEXT_WEEK, "calendar": "local"})
    [result] = answer.json()["results"]
    assert result["errors"] == [] and result["ops"]
    assert [n for n in result["notices"] if "Broken invite" in n] == result["notices"] != []
    [run] = service.client.get("/api/runs", params={"calendar": "local"}).json()
    assert run["errors"] == [] and run["notices"] == result["notices"]
    assert not any(n.startswith("notice: ") for n in run["notices"])
    with httpx.Client(base_url=service.base_url, timeout=30) as browser:
        browser.post("/login", data={"token": TOKEN, "next": "/"})
        page = browser.get("/", params={"week": NEXT_WEEK})
    assert page.status_code == 200
    [run_item] = re.findall(r'<li class="">.*?</li>\s*</ul>\s*</li>', page.text, re.S)
    assert '<ul class="notices"><li>skipped an event it cannot read' in run_item
    assert 'class="errors"' not in run_item and "run-bad" not in page.text
