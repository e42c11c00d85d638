"""The trend's focus rows (issue 19): planned for every week read, and the actual
(protected blocks on the calendar less the meetings on them) for weeks that ended;
a week under way is "not yet", an ended week without a figure "no data"."""

from __future__ import annotations

from blocker.web.trend import NO_DATA, NOT_YET, build_trend


def test_focus_kept_has_an_actual_row_for_ended_weeks_only() -> None:
    weeks = ["2026-W47", "2026-W48", "2026-W49"]
    trend = build_trend(
        weeks,
        [None, None, None],
        focus=[0.9, 1.0, 0.8],
        ended=[True, True, False],
        focus_actual=[0.75, None, 0.5],  # a figure for a week under way is not shown
    )
    rows = {s.name: s for s in trend.series}
    actual = rows["Focus kept, actual"]
    assert actual.values == (0.75, None, None)
    assert actual.shown() == [None, NO_DATA, NOT_YET]
    assert rows["Focus kept, planned"].values == (0.9, 1.0, 0.8)
    assert actual.colour == rows["Focus kept, planned"].colour and actual.dash


def test_without_actual_figures_every_week_is_a_gap() -> None:
    trend = build_trend(["2026-W48", "2026-W49"], [None, None], [None, None], [True, False])
    actual = {s.name: s for s in trend.series}["Focus kept, actual"]
    assert actual.shown() == [NO_DATA, NOT_YET]
