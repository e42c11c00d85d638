"""Issue 15.5 in the scorecard partial: shortfall and conflicts are named by block
title, never by key, and a displacer is named only if its block is on the week shown
(the template rendered directly, with a hand-made week grid)."""

from __future__ import annotations

from types import SimpleNamespace

from blocker.web.report_html import jinja_env, scorecard_view

WEEK = "2026-W49"
FOCUS_KEY = "focus_time/2026-11-30/0"
BATCH_KEY = "email_batches/2026-12-01/1"


def _item(key: str | None, title: str) -> SimpleNamespace:
    return SimpleNamespace(key=key, title=title)


def _render(with_grid: bool) -> str:
    grid = SimpleNamespace(
        days=[
            SimpleNamespace(
                items=[
                    _item(f"{FOCUS_KEY}#1", "Busy · Focus time"),
                    _item("health_drop/2026-12-01/0", "Busy · Health drop: Acme"),
                    _item(None, "Vendor demo"),
                ],
                all_day=[],
            )
        ]
    )
    shortfall = [
        {
            "rule": "focus_time",
            "key": FOCUS_KEY,
            "requested_minutes": 240,
            "placed_minutes": 225,
            "reason": "only 225 of 240 min fit",
        },
        {
            "rule": "email_batches",
            "key": BATCH_KEY,
            "requested_minutes": 20,
            "placed_minutes": 0,
            "reason": "its time went to 'Ghost' (higher priority); "
            "its time went to 'Busy · Health drop: Acme' (higher priority)",
        },
    ]
    conflicts = [{"meeting": "Exec escalation", "key": f"{FOCUS_KEY}#1", "when": "Fri 11:00"}]
    sc = scorecard_view(WEEK, {}, conflicts=conflicts, shortfall=shortfall)
    context = {"sc": sc, "grid": grid} if with_grid else {"sc": sc}
    return jinja_env().get_template("_scorecard.html").render(**context)


def test_shortfall_and_conflicts_are_named_by_title() -> None:
    html = _render(with_grid=True)
    assert FOCUS_KEY not in html and BATCH_KEY not in html
    assert "<strong>Busy · Focus time</strong>: 225 of 240 min — only 225 of 240 min fit" in html
    assert "<strong>Exec escalation</strong> — Fri 11:00, on Busy · Focus time (kept)" in html
    # the unplaced batch: its rule; the ghost displacer dropped, the real one kept
    assert (
        "<strong>rule email_batches</strong>: 0 of 20 min — "
        "its time went to &#39;Busy · Health drop: Acme&#39; (higher priority)</li>"
    ) in html
    assert "Ghost" not in html


def test_without_a_grid_no_key_either() -> None:
    html = _render(with_grid=False)
    assert FOCUS_KEY not in html and BATCH_KEY not in html
    assert "<strong>rule focus_time</strong>: 225 of 240 min" in html
    assert "on a protected block (kept)" in html
