"""Accounts from a CSV export (or inline YAML) and their tier by ARR.

CSV is what CSMs get out of their CRM, so bad rows are reported at ``file:line:col``
of the CSV itself, all of them at once, like the YAML problems. Those messages say
which cell is wrong and why, never what it holds: the file named may be anything
in the data directory (a ``.env`` beside the rules), and an error must not show it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from blocker.core.errors import Problem
from rules.spec import Account, Tier

CSV_COLUMNS = (
    "name",
    "arr",
    "currency",
    "tier",
    "renewal_date",
    "health",
    "previous_health",
    "last_contact",
    "go_live",
    "domains",
    "owner",
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


_ECHO = re.compile(r",? got .*$", re.DOTALL)


def _pydantic_message(error: Mapping[str, Any]) -> str:
    """Pydantic's message without the value it quotes ("..., got 'x'")."""
    message = str(error["msg"]).removeprefix("Value error, ")
    return _ECHO.sub("", message)


def read_accounts_csv(
    text: str,
    filename: str,
    *,
    max_rows: int | None = None,
    context: Mapping[str, str | None] | None = None,
) -> CsvAccounts:
    """Parse accounts CSV text; blank cells are "unknown", not errors.

    More than ``max_rows`` accounts is one problem at the first row too many. Amounts
    are read in the rules' ``number_format`` and ``currency`` (the validation
    ``context``; ``rules.money``).
    """
    result = CsvAccounts()
    try:
        _read(text, filename, max_rows, dict(context or {}), result)
    except csv.Error as exc:  # a field over csv's size limit, a NUL byte, ...
        line = _line_of(exc)
        result.problems.append(Problem(filename, line, 1, "not a readable CSV row"))
        result.accounts.clear()
        result.cells.clear()
    return result


def _line_of(exc: csv.Error) -> int:
    match = re.search(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else 1


def _read(
    text: str,
    filename: str,
    max_rows: int | None,
    context: dict[str, str | None],
    result: CsvAccounts,
) -> None:
    lines = text.splitlines()
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in (reader.fieldnames or [])]
    if not header:
        result.problems.append(Problem(filename, 1, 1, "empty accounts file (expected a header)"))
        return
    header_cols = _field_columns(lines[0]) if lines else [1]
    for position, name in enumerate(header):
        if name not in CSV_COLUMNS:
            col = header_cols[position] if position < len(header_cols) else 1
            result.problems.append(
                Problem(
                    filename,
                    1,
                    col,
                    f"header cell {position + 1} is not a known column; "
                    f"expected {', '.join(CSV_COLUMNS)}",
                )
            )
    for name in REQUIRED_COLUMNS:
        if name not in header:
            result.problems.append(Problem(filename, 1, 1, f"missing column {name!r}"))
    if result.problems:
        return
    reader.fieldnames = header
    start_line = 2
    rows = 0
    for row in reader:
        line = start_line
        start_line = reader.line_num + 1
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        rows += 1
        if max_rows is not None and rows > max_rows:
            result.problems.append(
                Problem(filename, line, 1, f"more than {max_rows} accounts (BLOCKER_MAX_ACCOUNTS)")
            )
            return
        raw = lines[line - 1] if line - 1 < len(lines) else ""
        cols = _field_columns(raw)
        col_of = {name: cols[i] if i < len(cols) else 1 for i, name in enumerate(header)}
        if None in row:
            result.problems.append(Problem(filename, line, 1, "more cells than header columns"))
            continue
        values = {k: v.strip() for k, v in row.items() if isinstance(v, str) and v.strip()}
        try:
            account = Account.model_validate(values, context=context)
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
