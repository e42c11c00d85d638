"""The markdown of section 5 from :mod:`benchmarks.scale`'s figures."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

Table = Callable[[list[str], list[list[str]]], str]


def _store_rows(figures: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for f in figures:
        first = f["runs"][0]
        rows.append(
            [
                f"{f['users']:,}",
                f"{f['setup_s']:.0f} s",
                f"{f['members_db_mb'] - f['empty_db_mb']:.1f} MB",
                f"{first['schedule']['schedule_s']:.1f} s",
                f"{first['schedule_peak_mb']:.0f} MB",
                f"{first['schedule']['dispatch_s']:.1f} s",
                f"{first['db_mb'] - f['empty_db_mb']:.1f} MB",
                f"{(first['db_mb'] - f['empty_db_mb']) * 1024 / f['users']:.0f} kB",
            ]
        )
    return rows


def _run_rows(figures: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for f in figures:
        for r in f["runs"]:
            rows.append(
                [
                    f"{f['users']:,}",
                    str(r["workers"]),
                    f"{r['span_s']:.0f} s",
                    f"{r['per_s']:.1f}",
                    f"{1000 * r['span_s'] * r['workers'] / f['users']:.0f} ms",
                    f"{r['wall_s']:.0f} s",
                    " / ".join(f"{mb:.0f}" for mb in r["peak_mb"]) + " MB",
                    str(r["errors"]),
                    f"{r['writes']:,}",
                ]
            )
    return rows


def markdown(figures: list[dict[str, Any]], *, quick: bool, table: Table) -> str:
    sizes = ", ".join(f"{f['users']:,}" for f in figures)
    return "\n".join(
        [
            "## 5. Scale: every member's weekly generation through the job path",
            "",
            f"Members: {sizes} (one fresh PostgreSQL database each). Each is a team user "
            "(`store.add_team_user`) with their own overlay saved in the store: a generated "
            "crowded CSM week (60-100 accounts, 16 rules), one of 7 time zones with its "
            "holidays and working days, one of 5 `schedule.generate_at` times, and one local "
            "calendar `work` (their 10-35 meetings in `busy.ics`, our blocks written to "
            "`work.ics`). Path: `schedule_members` (each member's generation time from "
            "their own rules, in their zone) -> the dispatcher (`dispatch_once`, the pinned "
            "clock past everyone's Friday) -> `blocker worker` processes (`run_worker`, "
            f"{4} threads each) running `blocker:generate`: scope from the store key, "
            "`generate_next_week` -> `Runtime.sync` (read, expand, plan, diff, write the "
            "`.ics`, record). "
            f"{os.cpu_count()} cores, shared with PostgreSQL and other jobs.",
            "",
            "Store and scheduling:",
            "",
            table(
                [
                    "members",
                    "add users + overlays + files",
                    "store: members",
                    "schedule members",
                    "peak, scheduling process",
                    "dispatch",
                    "store after one generation",
                    "per member",
                ],
                _store_rows(figures),
            ),
            "",
            "Weekly generation by the workers (span: first job taken to queue empty, "
            "polled every 0.2 s; wall: workers started to queue empty, start-up "
            "included; per member: span x workers / members, i.e. process-seconds):",
            "",
            table(
                [
                    "members",
                    "workers",
                    "span",
                    "members/s",
                    "per member",
                    "wall",
                    "peak RSS per worker",
                    "runs with errors",
                    "writes",
                ],
                _run_rows(figures),
            ),
            "",
            "A `--quick` run (a few members): a smoke run, not figures."
            if quick
            else "Read with the notes on section 5 below (what differs from production).",
        ]
    )


__all__ = ["markdown"]
