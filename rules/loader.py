"""Load a rules file, or raise ``RulesError`` listing every problem with file:line:col.

Validation runs in pieces (each rule, each account, the top-level sections, then
the cross-section checks) so one broken section does not hide the problems of the
others: the user fixes the file in one pass, not one error per run.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from blocker.core.errors import Problem, RulesError
from blocker.core.files import UnsafePath, check_regular, inside, read_limited, shown
from rules import checks
from rules.accounts import CsvAccounts, read_accounts_csv
from rules.books import colleagues_goals, in_book, owner_warnings, tiers_outside_book
from rules.limits import RulesLimits
from rules.money import usable_currency, usable_number_format
from rules.registry import KINDS, kind_names
from rules.source import Document, floats_as_written, locate, parse_yaml
from rules.spec import Account, Rules, RuleSpec

Position = tuple[str, int, int]

_SALVAGE = frozenset({"working_hours"})
"""Sections whose valid keys still feed the cross checks when other keys are broken."""


def load_rules(path: str | Path, *, limits: RulesLimits | None = None) -> Rules:
    """Read and validate a rules file; files named in it resolve in the data
    directory (``limits.data_dir``, default: the rules file's folder)."""
    file = Path(path)
    limits = limits or RulesLimits()
    try:
        data = read_limited(file, limits.max_rules_bytes)
    except UnsafePath as exc:
        message = f"cannot read rules file: {exc}"
        raise RulesError([Problem(shown(file), 1, 1, message)]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RulesError(
            [Problem(shown(file), line, 1, "the rules file is not UTF-8 text")]
        ) from None
    return parse_rules(text, filename=str(file), base_dir=file.parent, limits=limits)


def parse_rules(
    text: str,
    *,
    filename: str = "rules.yaml",
    base_dir: Path | None = None,
    limits: RulesLimits | None = None,
) -> Rules:
    """Validate rules YAML text. Files named in it resolve in ``limits.data_dir``,
    else ``base_dir`` (the rules file's folder), else the working directory."""
    return _Load(text, filename, base_dir, limits or RulesLimits()).run()


_SUGGEST_MAX = 64
"""Longer unknown names get no "did you mean" (difflib is quadratic in length)."""


def _suggest(word: str, options: typing.Iterable[str]) -> str:
    if len(word) > _SUGGEST_MAX:
        return ""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unwrap(tp: Any) -> list[Any]:
    """Member types of Optional/Union/Annotated, flattened."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return [m for arg in typing.get_args(tp) for m in _unwrap(arg)]
    return [tp]


def _step(tp: Any, part: Any) -> Any:
    """The type one ``loc`` step below ``tp`` (model field, list item, dict value)."""
    for member in _unwrap(tp):
        if isinstance(member, type) and issubclass(member, BaseModel):
            field = member.model_fields.get(str(part))
            if field is not None:
                return field.annotation
            continue
        origin = typing.get_origin(member)
        args = typing.get_args(member)
        if origin in (list, tuple, set, frozenset) and args and isinstance(part, int):
            return args[0]
        if origin is dict and len(args) == 2:
            return args[1]
    return None


def _fields_at(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    tp: Any = model
    for part in path:
        tp = _step(tp, part)
        if tp is None:
            return []
    for member in _unwrap(tp):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return list(member.model_fields)
    return []


MAX_PROBLEMS = 200
"""Problems listed for one load; beyond them one line says how many more there are."""

_MAX_SUGGESTIONS = 100
""""Did you mean" for the first unknown keys only: a typo comes alone, not by thousands."""


def _message(
    error: ErrorDetails, model: type[BaseModel], loc: tuple[Any, ...], *, suggest: bool = True
) -> str:
    where = ".".join(str(p) for p in loc)
    if error["type"] == "extra_forbidden":
        name = str(loc[-1]) if loc else "?"
        suggestion = _suggest(name, _fields_at(model, loc[:-1])) if suggest else ""
        return f"unknown key {shown(name)!r}{suggestion}"
    text = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "literal_error" and isinstance(error.get("input"), str) and suggest:
        # "Input should be 'a' or 'b'" -> the same, plus the closest of 'a', 'b'
        expected = str(error.get("ctx", {}).get("expected", ""))
        options = [part.strip("'") for part in re.findall(r"'[^']*'", expected)]
        text = f"{text}, got {shown(error['input'])!r}{_suggest(error['input'], options)}"
    if error["type"] == "missing":
        return f"{where}: required key is missing"
    return f"{where}: {text}" if where else text


_AMOUNTS = (("accounts", "*", "arr"), ("tiers", "*", "min_arr"), ("tiers", "*", "max_arr"))
"""Where the rules hold amounts: read as written (``512.000``), not as YAML floats."""


class _Load:
    """One load: collects problems from every stage, raises them all at the end."""

    def __init__(
        self, text: str, filename: str, base_dir: Path | None, limits: RulesLimits
    ) -> None:
        self.text = text
        self.filename = filename
        self.limits = limits
        self.base_dir = limits.data_dir or (base_dir if base_dir is not None else Path.cwd())
        """The data directory: every file the rules name resolves in it."""
        self.problems: list[Problem] = []
        self.suggestions = 0
        self.doc = Document(None, None)
        self.csv: CsvAccounts | None = None
        self.csv_name = ""
        self.context: dict[str, str | None] = {"number_format": None, "currency": None}
        """Validation context: how amounts are written (``rules.money``)."""
        self.rule_positions: list[int] = []
        """File position of each valid rule (the rules' goals are located by it)."""
        self.account_positions: list[int] = []
        """File position of each valid inline account (checks count valid ones only)."""

    # -- locating -------------------------------------------------------------------
    def position(self, loc: tuple[Any, ...], *, at_key: bool = False) -> Position:
        if self.csv is not None and len(loc) >= 2 and loc[0] == "accounts":
            index = loc[1]
            if isinstance(index, int) and index < len(self.csv.cells):
                line, cols = self.csv.cells[index]
                column = cols.get(str(loc[2]), 1) if len(loc) > 2 else 1
                return self.csv_name, line, column
            loc = ("accounts_file",)
        line, column = locate(self.doc.root, loc, at_key=at_key)
        return self.filename, line, column

    def add(self, loc: tuple[Any, ...], message: str, *, at_key: bool = False) -> None:
        file, line, column = self.position(loc, at_key=at_key)
        self.problems.append(Problem(file, line, column, message))

    def add_errors(
        self, exc: ValidationError, model: type[BaseModel], prefix: tuple[Any, ...] = ()
    ) -> None:
        for error in exc.errors():
            loc = tuple(error["loc"])
            at_key = error["type"] == "extra_forbidden"
            self.suggestions += at_key
            message = _message(error, model, loc, suggest=self.suggestions <= _MAX_SUGGESTIONS)
            self.add(prefix + loc, message, at_key=at_key)

    # -- stages ---------------------------------------------------------------------
    def fail(self, message: str, line: int = 1, column: int = 1) -> RulesError:
        return RulesError([Problem(self.filename, line, column, message)])

    def run(self) -> Rules:
        limit = self.limits.max_rules_bytes
        if len(self.text) > limit or len(self.text.encode("utf-8", "replace")) > limit:
            raise self.fail(
                f"the rules are larger than {limit} bytes "
                "(BLOCKER_MAX_RULES_BYTES; a rules file is a few kilobytes)"
            )
        try:
            self.doc = parse_yaml(self.text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            problem = getattr(exc, "problem", None) or str(exc)
            raise self.fail(f"invalid YAML: {problem}", line, column) from None
        except RecursionError:
            raise self.fail("invalid YAML: nested too deeply") from None
        data = self.doc.data
        for path in _AMOUNTS:
            data = floats_as_written(data, self.doc.root, path)
        if not isinstance(data, dict):
            raise RulesError(
                [
                    Problem(
                        self.filename,
                        1,
                        1,
                        "the rules file must be a mapping "
                        "of sections (timezone:, tiers:, rules: ...)",
                    )
                ]
            )
        self.context = {
            "number_format": usable_number_format(data.get("number_format")),
            "currency": usable_currency(data.get("currency")),
        }
        rules = self.rules_section(data.get("rules"))
        self.rule_positions = [index for index, _ in rules]
        accounts = self.accounts_section(data)
        self.calendar_files(data.get("calendars"))
        candidate = {**data, "rules": [r for _, r in rules], "accounts": accounts}
        result: Rules | None = None
        try:
            result = Rules.model_validate(candidate, context=self.context)
        except ValidationError as exc:
            self.add_errors(exc, Rules)
        result = self.cross_checks(result, candidate, rules, accounts)
        if self.problems or result is None:
            ordered = sorted(
                set(self.problems), key=lambda p: (p.file, p.line, p.column, p.message)
            )
            if len(ordered) > MAX_PROBLEMS:
                last = ordered[MAX_PROBLEMS - 1]
                more = len(ordered) - MAX_PROBLEMS + 1
                ordered = ordered[: MAX_PROBLEMS - 1]
                ordered.append(
                    Problem(last.file, last.line, last.column, f"... and {more} more problems")
                )
            raise RulesError(ordered)
        result = self.books(result)
        result._base_dir = self.base_dir
        return result

    def books(self, rules: Rules) -> Rules:
        """The owner's book as ``accounts``, the others aside (``rules.books``), and
        the warnings about owners. Keys were assigned over the whole file already."""
        emails = rules.owner.email
        owners = []
        for index, account in enumerate(rules.accounts):
            loc: tuple[Any, ...] = ("accounts", index, "owner")
            if self.csv is None and index < len(self.account_positions):
                loc = ("accounts", self.account_positions[index], "owner")
            owners.append((account.owner, self.position(loc)))
        owner_at = self.position(("owner", "email") if emails else ("owner",), at_key=True)
        warnings = owner_warnings(owners, emails, rules.owner.email_domains, owner_at)
        book = tuple(a for a in rules.accounts if in_book(a, emails))
        others = tuple(a for a in rules.accounts if not in_book(a, emails))
        for loc in colleagues_goals(rules.rules, self.rule_positions, book, others):
            file, line, column = self.position(loc)
            message = "goal account: in another owner's book; planned without the account"
            warnings.append(Problem(file, line, column, message))
        if others and book:  # the file's check named tiers empty in every book; none: warned
            for name in tiers_outside_book(tuple(rules.tiers), book, others):
                file, line, column = self.position(("tiers", name), at_key=True)
                message = (
                    f"tier {name!r} has no accounts in your book: "
                    "your scorecard targets none of its time and scales the other tiers up"
                )
                warnings.append(Problem(file, line, column, message))
        out = rules.model_copy(update={"accounts": book})
        out._colleagues = others
        out._warnings = tuple(warnings)
        return out

    def rules_section(self, raw: Any) -> list[tuple[int, RuleSpec]]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.add(("rules",), "rules: expected a list of rules (- kind: ...)")
            return []
        valid: list[tuple[int, RuleSpec]] = []
        for index, item in enumerate(raw):
            prefix = ("rules", index)
            if not isinstance(item, dict):
                self.add(prefix, "a rule must be a mapping with a 'kind'")
                continue
            kind = item.get("kind")
            if kind is None:
                self.add(prefix, f"rule has no 'kind' (one of: {', '.join(kind_names())})")
                continue
            info = KINDS.get(str(kind))
            if info is None:
                self.add(
                    (*prefix, "kind"),
                    f"unknown rule kind {kind!r}"
                    f"{_suggest(str(kind), kind_names())}; known: {', '.join(kind_names())}",
                )
                continue
            if item.get("disabled") is False:
                # an overlay's "keep this rule": the rule itself, as written
                item = {k: v for k, v in item.items() if k != "disabled"}
            try:
                valid.append((index, info.model.model_validate(item)))
            except ValidationError as exc:
                self.add_errors(exc, info.model, prefix)
        return valid

    def accounts_section(self, data: dict[str, Any]) -> list[Account]:
        file_name = data.get("accounts_file")
        if file_name is not None:
            if data.get("accounts"):
                self.add(("accounts_file",), "give either 'accounts' or 'accounts_file', not both")
            if not isinstance(file_name, str):
                return []  # the model reports the wrong type
            # Never echo what the file holds: it may be any file of the data directory.
            try:
                path = inside(self.base_dir, file_name)
                raw_bytes = read_limited(path, self.limits.max_file_bytes)
            except UnsafePath as exc:
                self.add(("accounts_file",), f"cannot read accounts file: {exc}")
                return []
            try:
                text = raw_bytes.decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add(("accounts_file",), f"accounts file {shown(path)} is not UTF-8 text")
                return []
            self.csv_name = shown(path)
            self.csv = read_accounts_csv(
                text,
                self.csv_name,
                max_rows=self.limits.max_accounts,
                context=self.context,
            )
            self.problems.extend(self.csv.problems)
            return self.csv.accounts
        raw = data.get("accounts")
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.add(("accounts",), "accounts: expected a list of accounts (- name: ...)")
            return []
        if len(raw) > self.limits.max_accounts:
            self.add(
                ("accounts", self.limits.max_accounts),
                f"more than {self.limits.max_accounts} accounts (BLOCKER_MAX_ACCOUNTS)",
            )
            return []
        valid: list[Account] = []
        for index, item in enumerate(raw):
            try:
                valid.append(Account.model_validate(item, context=self.context))
            except ValidationError as exc:
                self.add_errors(exc, Account, ("accounts", index))
                continue
            self.account_positions.append(index)
        return valid

    def calendar_files(self, raw: Any) -> None:
        """Each calendar's ``path`` and ``busy`` files: inside the data directory and,
        when they exist, regular files. Nothing is opened or created here."""
        if not isinstance(raw, list):
            return  # the model reports the wrong type
        for index, cal in enumerate(raw):
            if not isinstance(cal, dict):
                continue
            names: list[tuple[tuple[Any, ...], Any]] = [((index, "path"), cal.get("path"))]
            busy = cal.get("busy")
            if isinstance(busy, list):
                names += [((index, "busy", i), name) for i, name in enumerate(busy)]
            for loc, name in names:
                if not isinstance(name, str) or len(name) > 1024:
                    continue  # the model reports it
                try:
                    check_regular(inside(self.base_dir, name), missing_ok=True)
                except UnsafePath as exc:
                    self.add(("calendars", *loc), str(exc))

    def section(self, candidate: dict[str, Any], name: str) -> Any:
        """One top-level section validated alone (or None), for checks on a broken file."""
        field = Rules.model_fields[name]
        if name not in candidate:
            return field.get_default(call_default_factory=True)
        if field.annotation is None:
            return None
        adapter: TypeAdapter[Any] = TypeAdapter(field.annotation)
        raw = candidate[name]
        try:
            return adapter.validate_python(raw, context=self.context)
        except ValidationError as exc:
            if name not in _SALVAGE or not isinstance(raw, dict):
                return None
            broken = {error["loc"][0] for error in exc.errors() if error["loc"]}
        try:  # keep the days that are valid so the overlap check can still run
            kept = {k: v for k, v in raw.items() if k not in broken}
            return adapter.validate_python(kept, context=self.context)
        except ValidationError:
            return None

    def cross_checks(
        self,
        result: Rules | None,
        candidate: dict[str, Any],
        rules: list[tuple[int, RuleSpec]],
        accounts: list[Account],
    ) -> Rules | None:
        def get(name: str) -> Any:
            return getattr(result, name) if result is not None else self.section(candidate, name)

        issues: list[checks.Issue] = checks.duplicate_rule_ids(rules)
        hours = get("working_hours")
        if hours is not None:
            issues += checks.fixed_windows(rules, hours)
        tiers = get("tiers")
        resolved: list[Account] = []
        book: str | None = None
        if tiers is not None:
            issues += checks.tier_shares(tiers)
            issues += checks.rule_tier_names(rules, tiers)
            book, currency_issues = checks.book_currency(accounts, tiers, get("currency"))
            resolved, account_issues = checks.account_tiers(accounts, tiers, book)
            issues += self.remap_accounts(account_issues + currency_issues)
        if accounts or "accounts_file" not in candidate:  # an unreadable file is reported once
            issues += checks.goals(rules, accounts)
        steps: list[tuple[str, Callable[[Any], list[checks.Issue]]]] = [
            ("categories", checks.categories_total),
            ("calendars", checks.calendars),
            ("schedule", checks.schedule),
        ]
        for name, check in steps:
            value = get(name)
            if value is not None:
                issues += check(value)
        for issue in issues:
            message = issue.message
            if issue.loc[:1] == ("tiers",) and "tiers" not in candidate:
                message += " (the default tiers; define 'tiers:' to change them)"
            self.add(issue.loc, message, at_key=issue.at_key)
        if result is None:
            return None
        return result.model_copy(update={"accounts": tuple(resolved), "currency": book})

    def remap_accounts(self, issues: list[checks.Issue]) -> list[checks.Issue]:
        """Account indexes count valid accounts; map them back to file positions."""
        positions = self.account_positions
        if self.csv is not None:
            return issues
        out: list[checks.Issue] = []
        for issue in issues:
            loc = issue.loc
            if loc[0] == "accounts" and isinstance(loc[1], int) and loc[1] < len(positions):
                loc = ("accounts", positions[loc[1]], *loc[2:])
            out.append(checks.Issue(loc, issue.message, issue.at_key))
        return out
