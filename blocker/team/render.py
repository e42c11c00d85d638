"""The lead's summary as JSON, a terminal table or a self-contained HTML page.

Every renderer reads a :class:`~blocker.team.summary.TeamSummary` and nothing
else, so it can show no more than the summary holds (no meeting ever).
"""

from __future__ import annotations

from html import escape
from io import StringIO
from typing import Any

from rich.console import Console
from rich.table import Table

from blocker.team.summary import MemberSummary, TeamSummary


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def member_to_dict(m: MemberSummary) -> dict[str, Any]:
    return {
        "member": m.member,
        "week": m.week,
        "basis": m.basis,
        "no_data": m.note,
        "tiers": {
            t.name: {
                "share": round(t.share, 4),
                "target_min": t.target_min,
                "target_max": t.target_max,
                "ok": t.ok,
            }
            for t in m.tiers
        },
        "q2_share": m.q2,
        "q1_q2_share": m.q1_q2,
        "focus": {"asked_minutes": m.focus_asked, "kept_minutes": m.focus_kept},
        "split": {s.name: {"share": round(s.share, 4), "target": s.target} for s in m.split},
        "flags": list(m.flags),
        "missed_touchpoints": [
            {
                "account": t.account,
                "tier": t.tier,
                "cadence": t.cadence,
                "last_contact": t.last_contact,
            }
            for t in m.missed
        ],
        "trend": [
            {
                "week": p.week,
                "basis": p.basis,
                "tiers": dict(p.tiers),
                "q2_share": p.q2,
                "focus_kept": p.focus_kept,
            }
            for p in m.trend
        ],
    }


def team_to_dict(team: TeamSummary) -> dict[str, Any]:
    return {
        "team": team.name or None,
        "week": team.week,
        "members_flagged": team.flagged,
        "missed_touchpoints": team.missed,
        "focus_kept_share": team.focus_kept_share,
        "members": [member_to_dict(m) for m in team.members],
    }


def _member_lines(m: MemberSummary) -> list[str]:
    tiers = ", ".join(
        f"{t.name} {_pct(t.share)} ({_pct(t.target_min)}-{_pct(t.target_max)})" for t in m.tiers
    )
    split = ", ".join(f"{s.name} {_pct(s.share)} (target {_pct(s.target)})" for s in m.split)
    lines = [
        f"{m.member} — week {m.week} ({m.basis})" + (f": no data, {m.note}" if m.note else ""),
        f"  tiers: {tiers or '-'}",
        f"  Q2 {_pct(m.q2)}, Q1+Q2 {_pct(m.q1_q2)}; split: {split or '-'}",
        f"  focus kept {m.focus_kept / 60:.1f} h of {m.focus_asked / 60:.1f} h asked",
        "  red flags: " + ("; ".join(m.flags) if m.flags else "none"),
        f"  no touchpoint this cadence ({len(m.missed)}):",
    ]
    lines += [
        f"    {t.account} ({t.tier}, {t.cadence}; last contact {t.last_contact or 'never'})"
        for t in m.missed
    ]
    return lines


def team_table(team: TeamSummary, width: int = 120) -> str:
    """The team at a glance, then each member, then the eight-week trend of Q2."""
    out = StringIO()
    console = Console(file=out, width=width, no_color=True, highlight=False)
    title = f"Team {team.name}, week {team.week}" if team.name else f"Team, week {team.week}"
    table = Table(title=title, title_justify="left")
    for col in ("member", "basis", "Q2", "Q1+Q2", "focus kept", "flags", "missed"):
        table.add_column(col)
    for m in team.members:
        kept = f"{m.focus_kept / m.focus_asked:.0%}" if m.focus_asked else "-"
        table.add_row(
            m.member,
            f"no data: {m.note}" if m.note else m.basis,
            _pct(m.q2),
            _pct(m.q1_q2),
            kept,
            str(len(m.flags)),
            str(len(m.missed)),
        )
    console.print(table)
    for m in team.members:
        for line in _member_lines(m):
            console.print(line, markup=False)
        trend = "  Q2 trend: " + " ".join(f"{p.week[-3:]} {_pct(p.q2)}" for p in m.trend)
        console.print(trend, markup=False)
    return out.getvalue()


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#1f1f1f}"
    "table{border-collapse:collapse;margin:.5rem 0 1.5rem}"
    "th,td{border:1px solid #c4c7c5;padding:.25rem .6rem;text-align:left}"
    ".flag{color:#b3261e}"
)


def _row(cells: list[str], head: bool = False) -> str:
    tag = "th" if head else "td"
    return "<tr>" + "".join(f"<{tag}>{escape(c)}</{tag}>" for c in cells) + "</tr>"


def _member_html(m: MemberSummary) -> str:
    parts = [f"<section><h2>{escape(m.member)}</h2><p>Week {escape(m.week)} ({m.basis})</p>"]
    if m.note:
        parts.append(f"<p>No data: {escape(m.note)}.</p>")
    parts.append("<table>" + _row(["tier", "share", "target", "ok"], True))
    for t in m.tiers:
        ok = "" if t.ok is None else ("yes" if t.ok else "no")
        target = f"{_pct(t.target_min)}-{_pct(t.target_max)}"
        parts.append(_row([t.name, _pct(t.share), target, ok]))
    parts.append("</table><table>" + _row(["figure", "share", "target"], True))
    parts.append(_row(["Q2", _pct(m.q2), "40% or more"]))
    parts.append(_row(["Q1+Q2", _pct(m.q1_q2), "70% or more"]))
    parts.extend(_row([s.name, _pct(s.share), _pct(s.target)]) for s in m.split)
    parts.append(
        _row(["focus kept", f"{m.focus_kept / 60:.1f} h", f"{m.focus_asked / 60:.1f} h asked"])
    )
    parts.append("</table><h3>Red flags</h3><ul>")
    parts.extend(f'<li class="flag">{escape(f)}</li>' for f in m.flags or ("none",))
    parts.append("</ul><h3>No touchpoint this cadence</h3><ul>")
    parts.extend(
        f"<li>{escape(t.account)} ({escape(t.tier)}, {escape(t.cadence)}; "
        f"last contact {escape(t.last_contact or 'never')})</li>"
        for t in m.missed
    )
    parts.append(
        "</ul><h3>Eight weeks</h3><table>" + _row(["week", "basis", "Q2", "focus kept"], True)
    )
    parts.extend(_row([p.week, p.basis, _pct(p.q2), _pct(p.focus_kept)]) for p in m.trend)
    parts.append("</table></section>")
    return "".join(parts)


def team_html(team: TeamSummary) -> str:
    body = "".join(_member_html(m) for m in team.members)
    named = f"Team {team.name}" if team.name else "Team summary"
    title = f"{escape(named)}, week {escape(team.week)}"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{title}</h1>"
        f"<p>{team.flagged} member(s) with red flags; {team.missed} missed touchpoint(s); "
        f"focus kept {_pct(team.focus_kept_share)}.</p>{body}</body></html>\n"
    )


__all__ = ["member_to_dict", "team_html", "team_table", "team_to_dict"]
