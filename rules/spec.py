"""The rules file as pydantic models: every section, every field, its default.

``extra="forbid"`` everywhere so a typo is a located error instead of a silently
ignored setting. Cross-section checks (overlaps, tier shares, duplicate ids) live in
``rules.checks`` because they need the whole file and its YAML positions.
"""

from __future__ import annotations

import re
import string
import unicodedata
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from blocker.core.errors import Problem
from blocker.core.files import inside
from blocker.core.models import Category, ConflictPolicy, Quadrant, ShowAs, TentativeAs
from rules.books import normal_address
from rules.eisenhower import EisenhowerSpec
from rules.keys import account_key
from rules.limits import MAX_CALENDAR_REF_LENGTH, MAX_ID_LENGTH, MAX_NAME_LENGTH
from rules.money import amount_value, check_currency, check_number_format, split_currency
from rules.timeparse import (
    TimeRange,
    Weekday,
    WeeklyTime,
    parse_hhmm,
    parse_range,
    parse_weekday,
    parse_weekly_time,
    parse_windows,
)

HHMM = Annotated[time, BeforeValidator(parse_hhmm)]
Window = Annotated[TimeRange, BeforeValidator(parse_range)]
Windows = Annotated[tuple[TimeRange, ...], BeforeValidator(parse_windows)]
"""One window or a list in order of preference (``preferred:`` of flexible rules)."""
Day = Annotated[Weekday, BeforeValidator(parse_weekday)]
Cadence = Literal["weekly", "biweekly", "monthly", "quarterly"]

_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


def _hex_color(value: object) -> str:
    if not isinstance(value, str) or not _HEX.match(value):
        raise ValueError(f"expected a hex colour like '#4285F4', got {value!r}")
    return value.upper()


Color = Annotated[str, BeforeValidator(_hex_color)]
Currency = Annotated[str | None, AfterValidator(check_currency)]
"""An ISO 4217 code (``EUR``); amounts say theirs with a symbol or code (``15.000 €``)."""


def _context(info: ValidationInfo, name: str) -> str | None:
    """A setting the loader passes as validation context: ``number_format``, and the
    declared ``currency`` (what a bare ``$`` means when it is a dollar)."""
    value = info.context.get(name) if isinstance(info.context, dict) else None
    return value if isinstance(value, str) else None


def slugify(text: str) -> str:
    """Key-safe lower-case form of a name or title ('' if nothing is left)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Strict(BaseModel):
    """Base of every rules model: unknown keys are errors, values are immutable,
    numbers are finite (``.inf`` and ``.nan`` would poison every share and sum)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


FIRST_YEAR, LAST_YEAR = 1900, 2999
"""Dates in the rules (renewals, go-lives, contacts) lie in these years, so that
date arithmetic on them (90 days before a renewal) can never leave the calendar."""


def _sane_date(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"expected a date between {FIRST_YEAR} and {LAST_YEAR}, got {value}")
    return value


SaneDate = Annotated[date, AfterValidator(_sane_date)]


_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def plain_text(value: str) -> str:
    """A name or title shown in tables and calendars: no control characters (an
    ANSI escape from a rules or accounts file must never reach a terminal), no
    bidi overrides."""
    for char in value:
        if char in _BIDI or unicodedata.category(char) == "Cc":
            raise ValueError(
                f"control character U+{ord(char):04X} is not allowed in a name or title"
            )
    return value


PlainText = Annotated[str, AfterValidator(plain_text)]


def check_title(value: str | None) -> str | None:
    """A title template: literal text and plain ``{name}`` placeholders only.

    A format spec (``{account:>999999999}``) could allocate gigabytes per block and
    an unbalanced brace fails every plan, so both are refused when the rules load.
    """
    if value is None:
        return None
    plain_text(value)
    try:
        parts = list(string.Formatter().parse(value))
    except ValueError as exc:
        raise ValueError(f"{exc} (write '{{{{' for a literal brace)") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(
                "title placeholders are plain names like {account}; "
                "no format specs, conversions, indexes or attributes"
            )
    return value


Title = Annotated[str, AfterValidator(check_title)]


def _one_or_many(value: Any) -> Any:
    if isinstance(value, str):
        return (value,)
    return value


_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Owner(Strict):
    """The calendar owner.

    ``email_domains`` mark internal meetings. ``email`` (one address or a list) is
    how a local .ics calendar finds the owner's own ATTENDEE line, whose PARTSTAT
    decides whether a meeting is busy (Google and Outlook say which answer is the
    owner's themselves). ``tentative`` says how a tentative answer counts.
    """

    name: PlainText = ""
    email: Annotated[tuple[str, ...], BeforeValidator(_one_or_many)] = ()
    email_domains: tuple[str, ...] = ()
    tentative: TentativeAs = "busy"

    @field_validator("email")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        for raw in value:
            address = raw.strip().lower().removeprefix("mailto:")
            if not _ADDRESS.match(address):
                raise ValueError(f"expected an email address like 'me@example.com', got {raw!r}")
            if address not in out:
                out.append(address)
        return tuple(out)

    @field_validator("email_domains")
    @classmethod
    def _lower(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(d.strip().lower().lstrip("@") for d in value)


class WorkingHours(Strict):
    """Working window per weekday; ``null`` is a day off."""

    mon: Window | None = TimeRange(time(8, 30), time(17, 30))
    tue: Window | None = TimeRange(time(8, 30), time(17, 30))
    wed: Window | None = TimeRange(time(8, 30), time(17, 30))
    thu: Window | None = TimeRange(time(8, 30), time(17, 30))
    fri: Window | None = TimeRange(time(8, 30), time(17, 30))
    sat: Window | None = None
    sun: Window | None = None

    def for_day(self, day: Weekday) -> TimeRange | None:
        value: TimeRange | None = getattr(self, day)
        return value


class HolidaySpec(Strict):
    """Public holidays from the ``holidays`` package remove whole working days."""

    country: str
    subdivision: str | None = None

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        import holidays

        code = value.strip().upper()
        if code not in holidays.list_supported_countries():
            raise ValueError(f"unknown holiday country {value!r} (use an ISO code like 'US')")
        return code


class Tier(Strict):
    """An ARR band with its share (percent) of account time and its touch cadence."""

    min_arr: float = Field(default=0, ge=0)
    max_arr: float | None = Field(default=None, gt=0)
    currency: Currency = None
    """Of the thresholds (from their marker, ``min_arr: ¥15,000,000``): the book's."""
    share: tuple[float, float]
    cadence: Cadence = "monthly"
    color: Color = "#4285F4"
    label: PlainText | None = Field(default=None, max_length=MAX_NAME_LENGTH)

    @model_validator(mode="before")
    @classmethod
    def _currency(cls, data: Any, info: ValidationInfo) -> Any:
        return split_currency(
            data,
            ("min_arr", "max_arr"),
            _context(info, "number_format"),
            _context(info, "currency"),
        )

    @field_validator("min_arr", "max_arr", mode="before")
    @classmethod
    def _money(cls, value: Any, info: ValidationInfo) -> Any:
        return amount_value(value, _context(info, "number_format"))

    @field_validator("share", mode="before")
    @classmethod
    def _share_pair(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (value, value)
        return value

    @field_validator("share")
    @classmethod
    def _share_order(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0 <= low <= high <= 100:
            raise ValueError(
                f"share must be [low, high] percent with 0 <= low <= high <= 100, got {list(value)}"
            )
        return value

    @property
    def mid_share(self) -> float:
        """Mid-point of the share range, as a fraction (the planning target)."""
        return (self.share[0] + self.share[1]) / 200


class Categories(Strict):
    """The proactive / reactive / admin split of the week, in percent."""

    proactive: float = Field(default=50, ge=0, le=100)
    reactive: float = Field(default=30, ge=0, le=100)
    admin: float = Field(default=20, ge=0, le=100)
    margin: float = Field(default=10, ge=0, le=100)
    """Percentage points a share may stray from its target before it is a red flag."""


def _split_domains(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part for part in re.split(r"[\s;,]+", value) if part)
    return value


class Account(Strict):
    """One customer account of the book of business."""

    name: PlainText = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    arr: float = Field(ge=0)
    currency: Currency = None
    """Of ``arr`` (from its marker, ``£40K``, or a ``currency`` column); None: the book's."""
    tier: PlainText | None = Field(default=None, max_length=MAX_ID_LENGTH)
    renewal_date: SaneDate | None = None
    health: int | None = Field(default=None, ge=0, le=100)
    previous_health: int | None = Field(default=None, ge=0, le=100)
    last_contact: SaneDate | None = None
    go_live: SaneDate | None = None
    domains: Annotated[tuple[str, ...], BeforeValidator(_split_domains)] = ()
    owner: str | None = Field(default=None, max_length=320)
    """The CSM whose book it is in (an address); None: everyone's (``rules.books``)."""

    _key: str | None = PrivateAttr(default=None)
    """The key the loader gave it among the whole book (``rules.keys.assign_keys``)."""

    @model_validator(mode="before")
    @classmethod
    def _currency(cls, data: Any, info: ValidationInfo) -> Any:
        return split_currency(
            data, ("arr",), _context(info, "number_format"), _context(info, "currency")
        )

    @field_validator("arr", mode="before")
    @classmethod
    def _money(cls, value: Any, info: ValidationInfo) -> Any:
        return amount_value(value, _context(info, "number_format"))

    @field_validator("domains")
    @classmethod
    def _lower(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(d.strip().lower().lstrip("@") for d in value)

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str | None) -> str | None:
        return None if value is None else normal_address(value)

    @property
    def slug(self) -> str:
        """Stable, key-safe form of the name (block keys use it, not a list position):
        the one the loader gave it in its book, else the name's own (``rules.keys``)."""
        return self._key if self._key is not None else account_key(self.name)

    def with_key(self, key: str, **update: Any) -> Account:
        """A copy carrying its book-wide key (and ``update``d fields): one copy, as
        a book has thousands of accounts."""
        copy = self.model_copy(update=update or None)
        copy._key = key
        return copy


class Schedule(Strict):
    """When the service plans and re-plans (all times in the rules' time zone)."""

    generate_at: Annotated[WeeklyTime, BeforeValidator(parse_weekly_time)] = WeeklyTime(
        "fri", time(15, 0)
    )
    poll_minutes: int = Field(default=5, ge=1, le=24 * 60)
    debounce_seconds: int = Field(default=20, ge=0, le=3600)
    max_wait_seconds: int = Field(default=120, ge=0, le=24 * 3600)
    daily_rebalance_at: HHMM = time(7, 0)


class CalendarSpec(Strict):
    """One calendar to keep blocks on. Credentials live in settings, never here."""

    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=r"^[A-Za-z0-9_.-]+$")
    provider: Literal["local", "google", "outlook", "memory"]
    path: str | None = Field(default=None, max_length=1024)
    busy: tuple[Annotated[str, Field(max_length=1024)], ...] = Field(default=(), max_length=50)
    calendar: str = Field(default="primary", min_length=1, max_length=MAX_CALENDAR_REF_LENGTH)
    private_titles: bool = False


class RuleSpec(Strict):
    """Fields every rule kind shares; each kind module subclasses it with its params."""

    kind: str
    id: str | None = Field(
        default=None, min_length=1, max_length=MAX_ID_LENGTH, pattern=r"^[A-Za-z0-9_.-]+$"
    )
    title: Title | None = None
    color: Color | None = None
    show_as: ShowAs | None = None
    quadrant: Quadrant | None = None
    category: Category | None = None
    priority: int | None = Field(default=None, ge=0, le=100)
    reserve: bool = False
    """Hold this rule's time against alerts: triggers never take it (issue 15.6)."""

    @property
    def rule_id(self) -> str:
        return self.id or self.kind


class ProtectedSpec(RuleSpec):
    """A rule whose blocks defend themselves against meetings."""

    conflict_policy: ConflictPolicy = "keep"


def _default_tiers() -> dict[str, Tier]:
    return {
        "high": Tier(min_arr=100_000, share=(50, 60), cadence="weekly", color="#D50000"),
        "mid": Tier(min_arr=25_000, max_arr=100_000, share=(30, 35), color="#F4B400"),
        "low": Tier(
            min_arr=0, max_arr=25_000, share=(10, 15), cadence="quarterly", color="#0B8043"
        ),
    }


class Rules(Strict):
    """A whole, validated rules file (accounts loaded, each with its tier resolved)."""

    timezone: str
    owner: Owner = Owner()
    working_hours: WorkingHours = WorkingHours()
    holidays: HolidaySpec | None = None
    tiers: dict[Annotated[PlainText, Field(max_length=MAX_ID_LENGTH)], Tier] = Field(
        default_factory=_default_tiers
    )
    number_format: Annotated[str | None, AfterValidator(check_number_format)] = None
    """How the amounts are written (``1.234,56``); default ``1,234.56`` (rules.money)."""
    currency: Currency = None
    """The book's currency; without it, the one the amounts are marked with."""
    account_hours_per_week: float = Field(default=6, ge=0, le=80)
    alerts_max_hours: float | None = Field(default=None, ge=0, le=80)
    """At most this much alert (trigger) time a week; urgent renewal preps are exempt."""
    categories: Categories = Categories()
    eisenhower: EisenhowerSpec = EisenhowerSpec()
    """How real meetings map to quadrants in the report (rules.eisenhower)."""
    accounts: tuple[Account, ...] = ()
    """Once loaded: the owner's book only (``rules.books``); the rest are
    :attr:`colleague_accounts`."""
    accounts_file: str | None = None
    rules: tuple[RuleSpec, ...] = ()
    schedule: Schedule = Schedule()
    calendars: tuple[CalendarSpec, ...] = ()

    _base_dir: Path | None = PrivateAttr(default=None)
    """The data directory the files named here resolve in (see ``RulesLimits``)."""
    _colleagues: tuple[Account, ...] = PrivateAttr(default=())
    _warnings: tuple[Problem, ...] = PrivateAttr(default=())

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name like 'America/New_York')"
            ) from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def colleague_accounts(self) -> tuple[Account, ...]:
        """The file's accounts owned by someone else: never planned nor attributed
        here, known so their meetings are customer time (``rules.books``)."""
        return self._colleagues

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """What ``validate`` warns about; the rules load and plan all the same."""
        return self._warnings

    @property
    def base_dir(self) -> Path | None:
        """The data directory (default: the rules file's folder); names resolve in it."""
        return self._base_dir

    def resolve_path(self, path: str) -> Path:
        """A path from the rules file (calendar ``path``, ``busy``) inside the data
        directory (:func:`blocker.core.files.inside`; :class:`~blocker.core.files.UnsafePath`
        when it leaves it). The loader has checked every one already."""
        return inside(self._base_dir or Path.cwd(), path)

    def tier_label(self, name: str) -> str:
        tier = self.tiers.get(name)
        if tier is not None and tier.label:
            return tier.label
        return f"{name.capitalize()}-touch"
