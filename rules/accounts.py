"""Accounts from a CSV export (or inline YAML) and their tier by ARR.

CSV is what CSMs get out of their CRM, so bad rows are reported at ``file:line:col``
of the CSV itself, all of them at once, like the YAML problems.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from blocker.errors import Problem
from rules.spec import Account, Tier

CSV_COLUMNS = (
    "name",
    "arr",
    "tier",
    "renewal_date",
    "health",
    "previous_health",
    "last_contact",
    "go_live",
    "domains",
)
REQUIRED_COLUMNS = ("name", "arr")


@dataclass
class CsvAccounts:
    """What a CSV gave: the valid accounts, every problem, and where each cell sits."""

    accounts: list[Account] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    cells: list[tuple[int, dict[str, int]]] = field(default_factory=list)
    """Per valid account: (line, column of each field) for later checks (tier)."""


def _field_columns(raw: str) -> list[int]:
    """1-based start column of each field of one CSV line (quotes respected)."""
    columns = [1]
    quoted = False
    for index, char in enumerate(raw):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            columns.append(index + 2)
    return columns


def _pydantic_message(error: Mapping[str, Any]) -> str:
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def read_accounts_csv(text: str, filename: str) -> CsvAccounts:
    """Parse accounts CSV text; blank cells are "unknown", not errors."""
    result = CsvAccounts()
    lines = text.splitlines()
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in (reader.fieldnames or [])]
    if not header:
        result.problems.append(Problem(filename, 1, 1, "empty accounts file (expected a header)"))
        return result
    header_cols = _field_columns(lines[0]) if lines else [1]
    for position, name in enumerate(header):
        if name not in CSV_COLUMNS:
            col = header_cols[position] if position < len(header_cols) else 1
            result.problems.append(
                Problem(
                    filename, 1, col, f"unknown column {name!r}; expected {', '.join(CSV_COLUMNS)}"
                )
            )
    for name in REQUIRED_COLUMNS:
        if name not in header:
            result.problems.append(Problem(filename, 1, 1, f"missing column {name!r}"))
    if result.problems:
        return result
    reader.fieldnames = header
    start_line = 2
    for row in reader:
        line = start_line
        start_line = reader.line_num + 1
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        raw = lines[line - 1] if line - 1 < len(lines) else ""
        cols = _field_columns(raw)
        col_of = {name: cols[i] if i < len(cols) else 1 for i, name in enumerate(header)}
        if None in row:
            result.problems.append(Problem(filename, line, 1, "more cells than header columns"))
            continue
        values = {k: v.strip() for k, v in row.items() if isinstance(v, str) and v.strip()}
        try:
            account = Account.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                field_name = str(error["loc"][0]) if error["loc"] else "name"
                result.problems.append(
                    Problem(
                        filename,
                        line,
                        col_of.get(field_name, 1),
                        f"{field_name}: {_pydantic_message(error)}",
                    )
                )
            continue
        result.accounts.append(account)
        result.cells.append((line, col_of))
    return result


def tier_for_arr(tiers: Mapping[str, Tier], arr: float) -> str | None:
    """The tier whose ARR band holds ``arr``; the highest ``min_arr`` wins a tie."""
    best: tuple[float, str] | None = None
    for name, tier in tiers.items():
        if arr < tier.min_arr or (tier.max_arr is not None and arr >= tier.max_arr):
            continue
        if best is None or tier.min_arr > best[0]:
            best = (tier.min_arr, name)
    return None if best is None else best[1]


def resolve_tier(account: Account, tiers: Mapping[str, Tier]) -> str | None:
    """The account's tier: its explicit override, else its ARR band."""
    if account.tier is not None:
        return account.tier if account.tier in tiers else None
    return tier_for_arr(tiers, account.arr)
