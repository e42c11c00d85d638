"""An account handed from one CSM to another mid-week (issue 20.4), lived through the CLI.

Dana and Sam share one accounts CSV, each with their own rules file, calendar and
state. The week is generated on Friday and rebalanced on Monday and Tuesday; on
Wednesday before the 07:00 run Globex's ``owner`` changes from Sam to Dana. That
run is the cause: Sam's Globex blocks not begun yet leave his calendar, the ones
already past stay as the record, nothing else of his moves; Dana gets Globex's
renewal prep and account time, later than now only. The same runs ten minutes
later write nothing, and the scorecards attribute Globex to its new owner.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import icalendar
import pytest

BLOCKER = Path(sys.executable).parent / "blocker"
WEEK = "2026-W49"
GENERATE = "2026-11-27T15:00:00-05:00"
MORNINGS = ["2026-11-30T07:00:00-05:00", "2026-12-01T07:00:00-05:00"]
HANDOVER = "2026-12-02T07:00:00-05:00"
LATER = "2026-12-02T07:10:00-05:00"

ACCOUNTS = """\
name,arr,owner,renewal_date,health,last_contact,domains
Acme,200000,dana@corp.example,,80,2026-11-25,acme.example
Initech,60000,dana@corp.example,,75,2026-11-20,initech.example
Globex,150000,sam@corp.example,2027-01-01,80,2026-11-25,globex.example
Hooli,180000,sam@corp.example,,85,2026-11-25,hooli.example
Umbrella,40000,sam@corp.example,,70,2026-11-10,umbrella.example
Soylent,20000,,,90,2026-11-01,soylent.example
"""

RULES = """\
timezone: America/New_York
owner: {{name: {who}, email: {who}@corp.example, email_domains: [corp.example]}}
tiers:
  high: {{min_arr: 100000, share: [50, 65], cadence: weekly}}
  mid: {{min_arr: 25000, max_arr: 100000, share: [25, 40], cadence: monthly}}
  low: {{min_arr: 0, max_arr: 25000, share: [5, 15], cadence: quarterly}}
accounts_file: accounts.csv
rules:
  - kind: focus_time
  - kind: renewal_prep
  - kind: account_time
  - kind: weekly_review
calendars:
  - {{id: local, provider: local, path: {who}/calendar.ics}}
"""

Events = dict[str, tuple[datetime, datetime, str]]


def blocker(root: Path, who: str, *args: str, stderr: bool = False) -> str:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BLOCKER_")},
        "BLOCKER_DATABASE_URL": f"sqlite:///{root / f'{who}.db'}",
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    result = subprocess.run(
        [str(BLOCKER), *args, "--config", f"{who}.yaml"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + (result.stderr if stderr else "")


def sync(root: Path, who: str, now: str) -> list[str]:
    out = blocker(root, who, "sync", "--week", WEEK, "--now", now)
    return [
        line.strip()
        for line in out.splitlines()
        if line.strip().startswith(("create ", "update ", "delete "))
    ]


def events(root: Path, who: str) -> Events:
    cal = icalendar.Calendar.from_ical((root / who / "calendar.ics").read_bytes())
    return {
        str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"]))
        for e in cal.walk("VEVENT")
    }


def globex(found: Events) -> Events:
    return {uid: e for uid, e in found.items() if "Globex" in e[2]}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("books")
    (root / "accounts.csv").write_text(ACCOUNTS)
    for who in ("dana", "sam"):
        (root / f"{who}.yaml").write_text(RULES.format(who=who))
        (root / who).mkdir()
    lived: dict[str, object] = {"root": root}
    for who in ("dana", "sam"):
        lived[f"{who}-generated"] = sync(root, who, GENERATE)
        lived[f"{who}-mornings"] = [sync(root, who, m) for m in MORNINGS]
        lived[f"{who}-before"] = events(root, who)
    csv = root / "accounts.csv"
    csv.write_text(csv.read_text().replace("Globex,150000,sam@", "Globex,150000,dana@"))
    for who in ("dana", "sam"):
        lived[f"{who}-handover"] = sync(root, who, HANDOVER)
        lived[f"{who}-after"] = events(root, who)
        lived[f"{who}-again"] = sync(root, who, LATER)
    return lived


def test_before_the_handover_each_plans_their_own_book(world: dict[str, object]) -> None:
    sam, dana = world["sam-before"], world["dana-before"]
    assert isinstance(sam, dict) and isinstance(dana, dict)
    assert len(globex(sam)) >= 2 and globex(dana) == {}
    assert all("Acme" not in title for _, _, title in sam.values())
    assert world["sam-mornings"] == [[], []] and world["dana-mornings"] == [[], []]


def test_the_handover_moves_only_the_accounts_blocks_not_begun(world: dict[str, object]) -> None:
    moment = datetime.fromisoformat(HANDOVER)
    before, after = world["sam-before"], world["sam-after"]
    assert isinstance(before, dict) and isinstance(after, dict)
    past = {uid: e for uid, e in globex(before).items() if e[0] < moment}
    future = {uid: e for uid, e in globex(before).items() if e[0] >= moment}
    assert past and future, before  # the scenario has both
    assert globex(after) == past  # the record stays exactly as it was
    assert {uid: e for uid, e in after.items() if "Globex" not in e[2]} == {
        uid: e for uid, e in before.items() if "Globex" not in e[2]
    }
    handover = world["sam-handover"]
    assert isinstance(handover, list) and len(handover) == len(future)
    assert all(line.startswith("delete ") and "Globex" in line for line in handover)


def test_the_new_owner_gets_the_account_from_now_on(world: dict[str, object]) -> None:
    moment = datetime.fromisoformat(HANDOVER)
    before, after = world["dana-before"], world["dana-after"]
    assert isinstance(before, dict) and isinstance(after, dict)
    new = globex(after)
    assert {t.split(":")[0] for _, _, t in new.values()} >= {
        "Busy · Renewal prep",
        "Busy · Account time",
    }
    assert all(start >= moment for start, _, _ in new.values())
    handover = world["dana-handover"]
    assert isinstance(handover, list) and handover
    assert all(line.startswith("create ") and "Globex" in line for line in handover)


def test_the_runs_after_the_handover_write_nothing(world: dict[str, object]) -> None:
    assert world["sam-again"] == [] and world["dana-again"] == []


def test_the_scorecards_follow_the_books(world: dict[str, object]) -> None:
    root = world["root"]
    assert isinstance(root, Path)

    def report(who: str) -> dict[str, object]:
        text = blocker(root, who, "report", "--week", WEEK, "--format", "json", "--now", LATER)
        actual = json.loads(text)["actual"]
        listed = [a["account"] for part in ("top", "bottom") for a in actual["accounts"][part]]
        missed = [m["account"] for m in actual["missed_touchpoints"]]
        return {"listed": set(listed), "missed": set(missed)}

    sam, dana = report("sam"), report("dana")
    assert "Globex" not in sam["listed"] | sam["missed"]  # type: ignore[operator]
    assert "Globex" in dana["listed"]  # type: ignore[operator]
    assert sam["listed"] == {"Hooli", "Umbrella", "Soylent"}


def test_validate_counts_the_book_and_the_file(world: dict[str, object]) -> None:
    root = world["root"]
    assert isinstance(root, Path)
    out = blocker(root, "sam", "validate", "--now", LATER)
    assert "6 accounts (3 in your book)" in out


def test_validate_warns_about_an_owner_outside_your_domains(world: dict[str, object]) -> None:
    root = world["root"]
    assert isinstance(root, Path)
    (root / "typo.csv").write_text("name,arr,owner\nAcme,200000,sam@corp.exmaple\n")
    rules = RULES.format(who="sam").replace("accounts.csv", "typo.csv")
    rules = rules.replace("share: [50, 65]", "share: 100")
    (root / "typo.yaml").write_text(rules.replace("  mid:", "  #mid:").replace("  low:", "  #low:"))
    out = blocker(root, "typo", "validate", "--now", LATER, stderr=True)
    assert "typo.csv:2:13: owner: the address is outside owner.email_domains" in out
    assert "none of the 1 accounts is yours" in out
