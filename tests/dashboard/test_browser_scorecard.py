"""Did last week go to plan? The scorecard's trend, flag links and downloads (issue 19.4).

Every figure the browser shows or downloads is compared with ``GET /api/report``
for the same week, so the page and the files cannot drift from the report.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.conftest import ARTIFACTS, signed_in_page
from tests.dashboard.helpers import number
from tests.service.conftest import NEXT_WEEK, LiveService

pytestmark = pytest.mark.browser

THIS_WEEK = "2026-W48"  # the service clock's week: mostly past, with red flags


@pytest.fixture
def page(browser: Any, shared_service: LiveService) -> Iterator[Any]:
    with signed_in_page(browser, shared_service.base_url) as tab:
        yield tab


def _report(service: LiveService, week: str) -> dict[str, Any]:
    answer = service.client.get("/api/report", params={"week": week})
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


def test_the_trend_shows_eight_weeks_of_the_report(page: Any, shared_service: LiveService) -> None:
    page.goto(f"{shared_service.base_url}/?week={NEXT_WEEK}")
    page.get_by_role("link", name="Last 8 weeks").click()
    page.locator("#trend-table").wait_for()
    weeks = page.eval_on_selector_all(
        "#trend-table thead th[scope=col]", "els => els.slice(1).map(e => e.textContent)"
    )
    assert len(weeks) == 8 and weeks[-1] == NEXT_WEEK
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "trend.png"), full_page=True)
    points = actuals = 0
    for week in weeks:
        report = _report(shared_service, week)
        planned = sum(c["minutes"] for c in report["categories"].values())
        cells = page.locator(f'#trend-table td[data-week="{week}"]')
        texts = dict(
            zip(
                page.eval_on_selector_all(
                    "#trend-table tbody tr", "els => els.map(e => e.dataset.series)"
                ),
                cells.all_inner_texts(),
                strict=True,
            )
        )
        # a week that has ended shows what the calendar held (the report's actual
        # side); one still ahead or under way has no actual figure yet
        actual = report["actual"]
        for name, text in texts.items():
            if not name.endswith(", actual"):
                continue
            if week >= THIS_WEEK:
                assert text == "not yet", (week, name)
            elif actual["state"] != "complete":
                assert text == "no data", (week, name)
            elif name == "Focus kept, actual":  # protected time the calendar kept
                requests = shared_service.runtime.expand(week).requests
                asked = sum(r.minutes for r in requests if r.protected and not r.all_day)
                want = min(1.0, actual["protected_minutes"] / asked) * 100
                assert number(text) == pytest.approx(want, abs=0.051), (week, name)
            else:
                group, key = (
                    ("quadrants", "2") if name.startswith("Q2") else ("tiers", name.split()[1])
                )
                want = actual[group][key]["actual_share"] * 100
                assert number(text) == pytest.approx(want, abs=0.051), (week, name)
                actuals += 1
        if not planned:
            assert texts["Q2 share, planned"] == "no data"
            continue
        q2 = report["quadrants"]["2"] * 100
        assert number(texts["Q2 share, planned"]) == pytest.approx(q2, abs=0.051)
        for tier, row in report["tiers"].items():
            shown = number(texts[f"Tier {tier} share, planned"])
            assert shown == pytest.approx(row["share"] * 100, abs=0.051), (week, tier)
        points += sum(text not in ("no data", "not yet") for text in texts.values())
    assert actuals > 0, "the example's recurring meetings make ended weeks' actuals"
    # The chart draws one point per figure the table has, one line group per series.
    assert page.locator("#trend-chart circle").count() == points > 0
    series = page.locator("#trend-table tbody tr").count()
    assert page.locator("#trend-chart g.series").count() == series


def test_each_red_flag_links_to_its_blocks(page: Any, shared_service: LiveService) -> None:
    report = _report(shared_service, THIS_WEEK)
    plan = shared_service.client.get("/api/plan", params={"week": THIS_WEEK}).json()
    assert report["flags"], "the example's current week should have red flags"
    page.goto(f"{shared_service.base_url}/?week={THIS_WEEK}")
    links = page.locator("#sc-flags a")
    assert links.count() == len(report["flags"])
    for i, flag in enumerate(report["flags"]):
        page.goto(f"{shared_service.base_url}/?week={THIS_WEEK}")
        link = page.locator("#sc-flags a").nth(i)
        assert link.inner_text() == flag
        link.click()
        page.locator("#showing").wait_for()
        assert flag in page.locator("#showing").inner_text()
        shown = set(
            page.eval_on_selector_all("details.ev.block.hl", "els => els.map(e => e.dataset.key)")
        )
        if flag.startswith("tier "):
            tier = flag.split()[1]
            want = {b["key"] for b in plan["blocks"] if b["tier"] == tier}
        elif flag.startswith("Q"):
            q = 2 if flag.startswith("Q1+Q2") else int(flag[1])
            want = {b["key"] for b in plan["blocks"] if b["quadrant"] == q}
        else:
            category = flag.split()[0]
            want = {b["key"] for b in plan["blocks"] if b["category"] == category}
        assert shown == want, flag
        dimmed = page.locator("details.ev.block.dim").count()
        assert dimmed == len(plan["blocks"]) - len(want), flag


@pytest.mark.parametrize("fmt", ["json", "csv", "html"])
def test_the_report_downloads_as_the_page_shows_it(
    page: Any, shared_service: LiveService, fmt: str
) -> None:
    report = _report(shared_service, THIS_WEEK)
    page.goto(f"{shared_service.base_url}/?week={THIS_WEEK}")
    with page.expect_download() as info:
        page.locator(f'.sc-links a[data-format="{fmt}"]').click()
    download = info.value
    assert download.suggested_filename == f"scorecard-{THIS_WEEK}-local.{fmt}"
    body = Path(download.path()).read_text(encoding="utf-8")
    if fmt == "json":
        data = json.loads(body)
        assert data["week"] == THIS_WEEK and data["calendar"] == "local"
        assert data == report
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body)))
        tiers = {r["name"]: r for r in rows if r["section"] == "tier"}
        assert set(tiers) == set(report["tiers"])
        for name, row in report["tiers"].items():
            assert float(tiers[name]["planned_share_percent"]) == pytest.approx(
                row["share"] * 100, abs=0.051
            )
            assert tiers[name]["planned_status"] == ("on target" if row["ok"] else "off target")
        assert [r["name"] for r in rows if r["section"] == "flag"] == report["flags"]
    else:
        assert body.startswith("<!doctype html>") and THIS_WEEK in body
        for flag in report["flags"]:
            assert html.escape(flag, quote=False) in body
