"""The small rules file the service, end-to-end and distributed suites all run on.

One week: lunch, two hours of deep work, a daily wrap-up, three accounts. Each
suite varies only the calendars and the schedule's timings.
"""

from __future__ import annotations


def rules_yaml(
    calendars: list[str],
    *,
    timezone: str = "America/New_York",
    lunch_at: str = "12:00",
    extra_rules: str = "",
    poll: int = 60,
    debounce: int = 1,
    max_wait: int = 5,
) -> str:
    """The rules YAML; ``calendars`` are flow mappings (``{id: c, provider: memory}``).

    ``extra_rules`` is YAML text appended to the ``rules:`` list (each line indented).
    """
    lines = "\n".join(f"  - {c}" for c in calendars)
    return f"""\
timezone: {timezone}
owner:
  name: Test CSM
  email_domains: [mycorp.example]
accounts:
  - {{name: Acme, arr: 150000, domains: acme.example}}
  - {{name: Globex, arr: 50000, domains: globex.example}}
  - {{name: Initech, arr: 10000, domains: initech.example}}
rules:
  - kind: lunch
    at: "{lunch_at}"
  - kind: block
    id: focus
    title: Deep work
    per: week
    minutes: 120
    window: "09:00-12:00"
  - kind: wrap_up
{extra_rules}schedule:
  generate_at: "fri 15:00"
  poll_minutes: {poll}
  debounce_seconds: {debounce}
  max_wait_seconds: {max_wait}
  daily_rebalance_at: "07:00"
calendars:
{lines}
"""
