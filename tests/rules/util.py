"""Small helpers for the rules tests: build rules from a few YAML lines."""

from __future__ import annotations

import textwrap
from pathlib import Path

from blocker.core.errors import Problem, RulesError
from rules import Rules, parse_rules

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config.example.yaml"

BASE = """\
timezone: America/New_York
holidays: {country: US, subdivision: NY}
accounts:
  - {name: Acme Corp, arr: 250000, renewal_date: 2027-01-01, health: 80,
     last_contact: 2026-11-25, domains: acme.example}
  - {name: Globex, arr: 60000, health: 40, last_contact: 2026-11-01}
  - {name: Initech, arr: 10000, health: 70, previous_health: 90, go_live: 2026-12-03}
"""


def rules_from(body: str, *, base: str = BASE, base_dir: Path | None = None) -> Rules:
    """Parse ``base`` + ``body`` (both dedented YAML)."""
    text = textwrap.dedent(base) + textwrap.dedent(body)
    return parse_rules(text, filename="t.yaml", base_dir=base_dir)


def problems_of(text: str, *, base_dir: Path | None = None) -> list[Problem]:
    try:
        parse_rules(textwrap.dedent(text), filename="t.yaml", base_dir=base_dir)
    except RulesError as exc:
        return exc.problems
    raise AssertionError("expected a RulesError")
