"""The scorecard as files a browser downloads: HTML, CSV, JSON.

All three are drawn from the one report dict (``Runtime.report``) and, for HTML
and CSV, the one judged view (:func:`scorecard_view`), so a downloaded file says
exactly what the page says. Nothing here computes a figure.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from blocker.web.report_html import Row, render_report_html, scorecard_view

__all__ = ["FORMATS", "render_report_file"]

FORMATS = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
_COLUMNS = (
    "section",
    "name",
    "planned_hours",
    "planned_share_percent",
    "target",
    "planned_status",
    "actual_hours",
    "actual_share_percent",
    "actual_status",
)


def _status(ok: bool | None, no_data: bool) -> str:
    if ok is None:
        return "no data" if no_data else ""
    return "on target" if ok else "off target"


def _row(section: str, row: Row, no_data: bool) -> list[str]:
    def num(value: float | None, scale: float) -> str:
        return "" if value is None else f"{value * scale:.1f}"

    return [
        section,
        row.label,
        num(row.minutes, 1 / 60),
        num(row.share, 100),
        row.target,
        _status(row.ok, no_data),
        num(row.actual_minutes, 1 / 60),
        num(row.actual_share, 100),
        _status(row.actual_ok, no_data) if row.actual_minutes is not None else "",
    ]


def _csv(week: str, card: dict[str, Any]) -> str:
    view = scorecard_view(week, card)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180 line ends
    writer.writerow(_COLUMNS)
    no_data = view.no_data is not None
    for section, rows in (
        ("tier", view.tiers),
        ("quadrant", view.quadrants),
        ("category", view.categories),
    ):
        for row in rows:
            writer.writerow(_row(section, row, no_data))
    for flag in view.flags:
        writer.writerow(["flag", flag, "", "", "", "", "", "", ""])
    return out.getvalue()


def render_report_file(week: str, calendar: str, card: dict[str, Any], fmt: str) -> bytes:
    """The week's scorecard in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "json":
        return json.dumps({**card, "week": week, "calendar": calendar}, indent=2).encode()
    if fmt == "csv":
        return _csv(week, card).encode("utf-8")
    if fmt == "html":
        return render_report_html(week, card).encode("utf-8")
    raise ValueError(f"unknown report format {fmt!r}; use one of {sorted(FORMATS)}")
