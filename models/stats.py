"""Statistics, the pure part: the period a person asks about, how times are summarised
(median and 90th percentile), the figures of one scope and period, and the five zeros.

Queries live in `models/store/stats_repo.py`, the service in `models/services/stats.py`.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from models.errors import DomainError
from models.patrol import DAY_PATTERN, RANGE_SEPARATOR

MAX_RANGE_DAYS = 366
CROSSING_DAYS = 183  # a year-less range that wraps into the next year is at most this long


class Period(StrEnum):
    THIS_WEEK = "tw"
    LAST_WEEK = "lw"
    THIS_MONTH = "tm"
    LAST_MONTH = "lm"


def period_days(period: Period, today: date) -> tuple[date, date]:
    """The local days of a named period; "this" periods end today, not in the future."""
    monday = today - timedelta(days=today.weekday())
    if period is Period.THIS_WEEK:
        return monday, today
    if period is Period.LAST_WEEK:
        return monday - timedelta(days=7), monday - timedelta(days=1)
    first_of_month = today.replace(day=1)
    if period is Period.THIS_MONTH:
        return first_of_month, today
    last_month_end = first_of_month - timedelta(days=1)
    return last_month_end.replace(day=1), last_month_end


MIN_YEAR = 2000  # nothing the bot recorded is older; earlier dates are typing slips


def parse_month(text: str, today: date) -> str:
    """A month from button data (`2026-11`), no earlier than 2000 nor after next year;
    anything else raises ValueError (a forged or stale button)."""
    if not re.fullmatch(r"\d{4}-\d{2}", text):
        raise ValueError(text)
    if not MIN_YEAR <= int(text[:4]) <= today.year + 1:
        raise ValueError(text)
    month_days(text)  # a real month (13 raises ValueError)
    return text


def month_days(month: str) -> tuple[date, date]:
    """`2026-11` -> its first and last day."""
    first = date.fromisoformat(f"{month}-01")
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def month_of(day: date) -> str:
    return f"{day:%Y-%m}"


def previous_month(month: str) -> str:
    first, _ = month_days(month)
    return month_of(first - timedelta(days=1))


def _day(text: str, today: date, after: date | None = None) -> date:
    """`2026-11-02`, `11-02`, `11月2日`. Without a year: the latest such day up to today
    (statistics look back); for the end of a range, in the start's year, or the next year
    when that is still not in the future (`12-20 01-05` typed in January)."""
    match = re.match(DAY_PATTERN, text.strip())
    if not match:
        raise DomainError("stats_range_invalid")
    year, month, day = match.groups()
    if year and int(year) < MIN_YEAR:
        raise DomainError("stats_range_invalid")
    try:
        if year:
            return date(int(year), int(month), int(day))
        if after is not None:
            found = date(after.year, int(month), int(day))
            if found < after:
                # `12-20 01-05` crosses a new year; `11-20 11-10` is a slip (end first)
                following = date(found.year + 1, found.month, found.day)
                crossing = following <= today and (following - after).days <= CROSSING_DAYS
                return following if crossing else found
            return found
        found = date(today.year, int(month), int(day))
        return found if found <= today else date(found.year - 1, found.month, found.day)
    except ValueError:
        raise DomainError("stats_range_invalid") from None


def parse_range(text: str, today: date) -> tuple[date, date]:
    """A typed day or range of days to report on: not starting in the future, the end not
    before the start, at most a year; an end after today is cut to today."""
    parts = [p for p in re.split(RANGE_SEPARATOR, text.strip(), maxsplit=1) if p.strip()]
    if not parts or len(parts) > 2:
        raise DomainError("stats_range_invalid")
    first = _day(parts[0], today)
    last = _day(parts[1], today, after=first) if len(parts) == 2 else first
    return check_range(first, last, today)


def check_range(first: date, last: date, today: date) -> tuple[date, date]:
    if first > today:
        raise DomainError("stats_range_future")
    if last < first:
        raise DomainError("stats_range_backwards")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise DomainError("stats_range_too_long", limit=MAX_RANGE_DAYS)
    return first, min(last, today)


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None if empty."""
    return float(statistics.median(values)) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile: the smallest observed value with at least q% of the values at
    or below it ("90% were acknowledged within ..."); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


class UnitTimes(BaseModel):
    """One office (or station, for the county) in the response-time picture."""

    name: str
    reports: int
    ack_median: float | None
    resolve_median: float | None


class Figures(BaseModel):
    """Everything `/stats` shows for one scope and period. Times are in seconds."""

    first: date
    last: date
    reports: int = 0
    by_category: dict[str, int] = Field(default_factory=dict)
    by_status: dict[str, int] = Field(default_factory=dict)
    ack_median: float | None = None
    ack_p90: float | None = None
    resolve_median: float | None = None
    resolve_p90: float | None = None
    backup: int = 0
    claim_median: float | None = None
    arrival_median: float | None = None
    reached_step2: int = 0
    reached_step3: int = 0
    slots_planned: int = 0
    slots_checked_in: int = 0
    slots_missed: int = 0
    patrol_seconds: float = 0
    households: int = 0
    publicity: int = 0
    hazards: int = 0
    disputes: int = 0
    tips: int = 0
    broadcasts: int = 0
    scam_checks: int = 0
    daily: dict[str, dict[str, int]] = Field(default_factory=dict)  # day -> category -> n
    units: list[UnitTimes] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing at all happened in the range."""
        return not any(
            (
                self.reports,
                sum(self.by_status.values()),
                self.backup,
                self.slots_planned,
                self.patrol_seconds,
                self.tips,
                self.broadcasts,
                self.scam_checks,
            )
        )

    @property
    def has_chart(self) -> bool:
        """The picture shows reports; without any there is nothing to draw."""
        return self.reports > 0


class FiveZero(StrEnum):
    """The "five zeros" a township station reports on every month."""

    CRIMINAL = "criminal"
    DISPUTES_UPWARD = "disputes_upward"
    FRAUD = "fraud"
    DRUG_GROWTH = "drug_growth"
    SAFETY = "safety"


MAX_ZERO_COUNT = 9999
MAX_ZERO_NOTE = 200


def parse_zero_entry(text: str) -> tuple[int, str | None]:
    """`0`, `2 两起宅基地纠纷上报镇里`: a count, then an optional note."""
    match = re.match(r"^\s*(\d{1,4})(?:\s+(.*))?$", text, re.DOTALL)
    if not match:
        raise DomainError("zero_entry_invalid", limit=MAX_ZERO_COUNT)
    note = (match.group(2) or "").strip() or None
    if note is not None and len(note) > MAX_ZERO_NOTE:
        raise DomainError("zero_note_too_long", limit=MAX_ZERO_NOTE)
    return int(match.group(1)), note


@dataclass(frozen=True)
class Scope:
    """The whole county (no station), one station, or one office of a station."""

    station_id: int | None = None
    office_id: int | None = None
