"""The rules side of a crowded week (issue 15.6): `reserve`, `alerts_max_hours`, and
an urgent renewal prep that outranks the other alerts and escapes the cap."""

from __future__ import annotations

from datetime import date

from rules.engine import expand_week
from tests.rules.util import rules_from

TODAY = date(2026, 11, 27)


def test_triggers_are_alerts_and_template_rules_are_not() -> None:
    rules = rules_from(
        """\
        rules:
          - {kind: lunch}
          - {kind: renewal_prep}
          - {kind: go_live_prep}
        """
    )
    spec = expand_week(rules, "2026-W49", today=TODAY)
    alerts = {r.kind for r in spec.requests if r.alert}
    assert alerts == {"renewal_prep", "go_live_prep"}
    assert not any(r.alert for r in spec.requests if r.kind == "lunch")


def test_reserve_marks_a_rules_requests() -> None:
    rules = rules_from("rules:\n  - {kind: lunch, reserve: true}\n  - {kind: email_batches}\n")
    spec = expand_week(rules, "2026-W49", today=TODAY)
    assert {r.kind for r in spec.requests if r.reserved} == {"lunch"}


def test_the_30_day_renewal_prep_outranks_and_escapes_the_cap_the_90_day_one_does_not() -> None:
    rules = rules_from("rules:\n  - {kind: renewal_prep}\n")
    [urgent] = expand_week(rules, "2026-W49", today=TODAY).requests  # 30 days before 1 Jan
    assert (urgent.priority, urgent.cap_exempt, urgent.quadrant) == (95, True, 1)
    [early] = expand_week(rules, "2026-W40", today=TODAY).requests  # 90 days before
    assert (early.priority, early.cap_exempt) == (75, False)
    ranked = rules_from("rules:\n  - {kind: renewal_prep, priority: 60}\n")
    [own] = expand_week(ranked, "2026-W49", today=TODAY).requests
    assert own.priority == 60  # what the user wrote on the rule still wins


def test_the_alert_cap_is_pro_rata_to_the_working_days() -> None:
    rules = rules_from("alerts_max_hours: 5\nrules:\n  - {kind: lunch}\n")
    assert expand_week(rules, "2026-W49", today=TODAY).alerts_max_minutes == 300
    # Thanksgiving week in New York: four working days
    assert expand_week(rules, "2026-W48", today=TODAY).alerts_max_minutes == 240
    assert (
        expand_week(rules_from("rules: []\n"), "2026-W49", today=TODAY).alerts_max_minutes is None
    )
