"""The planner places blocks for the owner's own book only (issue 20.4).

Two CSMs share one accounts file; each plans a week from the same file with their
own ``owner.email``. No account gets blocks on both calendars, the unowned account
is everyone's, and handing an account over moves its blocks with it.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

from blocker.core.models import Plan
from blocker.planner import plan_week
from rules import expand_week, parse_rules

TZ = ZoneInfo("America/New_York")
WEEK = "2026-W49"
BEFORE = datetime(2026, 11, 27, 15, 0, tzinfo=TZ)

RULES = """\
timezone: America/New_York
owner: {{email: {me}, email_domains: [corp.example]}}
tiers:
  high: {{min_arr: 100000, share: [55, 65], cadence: weekly}}
  low: {{min_arr: 0, max_arr: 100000, share: [35, 45], cadence: weekly}}
accounts:
  - {{name: Acme, arr: 200000, owner: dana@corp.example, renewal_date: 2026-12-31}}
  - {{name: Globex, arr: 150000, owner: {globex}, renewal_date: 2027-01-01}}
  - {{name: Hooli, arr: 150000, owner: sam@corp.example}}
  - {{name: Initech, arr: 50000}}
  - {{name: Umbrella, arr: 40000, owner: sam@corp.example, health: 40, previous_health: 80}}
rules:
  - kind: renewal_prep
  - kind: health_drop
  - kind: account_time
"""


def plan_for(me: str, globex: str = "sam@corp.example") -> Plan:
    rules = parse_rules(textwrap.dedent(RULES.format(me=me, globex=globex)))
    spec = expand_week(rules, WEEK, today=BEFORE.date())
    return plan_week(spec, now=BEFORE)


def accounts(plan: Plan) -> set[str]:
    return {b.account for b in plan.blocks if b.account}


def test_each_csm_plans_their_own_book_and_the_unowned_account() -> None:
    dana, sam = plan_for("dana@corp.example"), plan_for("sam@corp.example")
    assert accounts(dana) == {"Acme", "Initech"}
    assert accounts(sam) == {"Globex", "Hooli", "Initech", "Umbrella"}
    assert "renewal_prep" in {b.kind for b in sam.blocks if b.account == "Globex"}


def test_handing_an_account_over_moves_its_blocks() -> None:
    dana = plan_for("dana@corp.example", globex="dana@corp.example")
    sam = plan_for("sam@corp.example", globex="dana@corp.example")
    assert "Globex" in accounts(dana) and "Globex" not in accounts(sam)
    kinds = {b.kind for b in dana.blocks if b.account == "Globex"}
    assert "renewal_prep" in kinds
