"""The ``owner`` section: one or more own addresses and how a tentative answer counts."""

from __future__ import annotations

from rules import load_rules
from tests.rules.util import EXAMPLE, problems_of, rules_from


def test_a_config_without_the_new_owner_fields_keeps_its_meaning() -> None:
    rules = rules_from("owner: {name: Jordan, email_domains: ['@BrightPath.example']}\n")
    assert rules.owner.email == ()
    assert rules.owner.email_domains == ("brightpath.example",)
    assert rules.owner.tentative == "busy"
    example = load_rules(EXAMPLE)
    assert (example.owner.email, example.owner.tentative) == ((), "busy")


def test_one_address_or_a_list_normalised() -> None:
    one = rules_from("owner: {email: Jordan@BrightPath.example}\n")
    assert one.owner.email == ("jordan@brightpath.example",)
    many = rules_from(
        """\
        owner:
          email: [jordan@brightpath.example, 'mailto:JL@brightpath.example',
                  JORDAN@brightpath.example]
          tentative: free
        """
    )
    assert many.owner.email == ("jordan@brightpath.example", "jl@brightpath.example")
    assert many.owner.tentative == "free"


def test_a_bad_address_or_policy_is_a_located_problem() -> None:
    problems = problems_of(
        """\
        timezone: UTC
        owner:
          email: [jordan@brightpath.example, jordan]
          tentative: maybe
        """
    )
    lines = {p.line: p.message for p in problems}
    assert set(lines) == {3, 4}, problems
    assert "email address" in lines[3] and "'jordan'" in lines[3]
    assert "busy" in lines[4] and "free" in lines[4]
