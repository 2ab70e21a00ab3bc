"""Patrol days: leave, assignments, check-ins, swaps. Plain models and parsing rules."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from models.errors import DomainError

MAX_LEAVE_DAYS = 31
LOG_FIELDS = ("households", "publicity", "hazards", "disputes")
MAX_LOG_NUMBER = 999


class Leave(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    person_id: int
    start_day: date
    end_day: date
    reason: str | None = None
    status: str = "approved"

    def covers(self, day: date) -> bool:
        return self.status == "approved" and self.start_day <= day <= self.end_day


class Assignment(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    office_id: int
    day: date
    member_id: int
    area_id: int
    shift: int
    starts_at: datetime
    ends_at: datetime
    officer_id: int | None
    status: str = "planned"


class CheckIn(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    person_id: int
    assignment_id: int | None
    office_id: int | None
    started_at: datetime
    latitude: float | None = None
    longitude: float | None = None
    ended_at: datetime | None = None
    auto_closed: bool = False
    households: int | None = None
    publicity: int | None = None
    hazards: int | None = None
    disputes: int | None = None
    note: str | None = None


# a day (`2026-12-05`, `12-05`, `12月5日`) and what separates two days of a range
DAY_PATTERN = r"^(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})日?$"
RANGE_SEPARATOR = r"\s*(?:\.\.|—|–|~|～|至|到|-\s|\s-|\s+to\s+)\s*"
_DAY = re.compile(DAY_PATTERN)
_RANGE = re.compile(RANGE_SEPARATOR)


def parse_day(text: str, today: date) -> date:
    """`2026-12-05`, `12-05`, `12月5日`: a year left out means the next such date."""
    match = _DAY.match(text.strip())
    if not match:
        raise DomainError("leave_dates_invalid")
    year, month, day = match.groups()
    try:
        if year:
            return date(int(year), int(month), int(day))
        candidate = date(today.year, int(month), int(day))
        if candidate < today and (today - candidate).days > 183:
            # "01-05" typed in December is next January; "11-30" typed on 12-01 is the past
            candidate = date(today.year + 1, int(month), int(day))
    except ValueError:
        raise DomainError("leave_dates_invalid") from None
    return candidate


def parse_leave(text: str, today: date) -> tuple[date, date]:
    """A day or a range of days, today or later, at most 31 days long."""
    parts = [p for p in _RANGE.split(text.strip(), maxsplit=1) if p.strip()]
    if not parts or len(parts) > 2:
        raise DomainError("leave_dates_invalid")
    start = parse_day(parts[0], today)
    end = parse_day(parts[1], start) if len(parts) == 2 else start
    if start < today:
        raise DomainError("leave_in_past")
    if end < start:
        raise DomainError("leave_end_before_start")
    if (end - start).days + 1 > MAX_LEAVE_DAYS:
        raise DomainError("leave_too_long", limit=MAX_LEAVE_DAYS)
    return start, end


def shift_times(day: date, shift: tuple[time, time], zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A shift's start and end on a local day, as aware datetimes."""
    start = datetime.combine(day, shift[0], tzinfo=zone)
    end = datetime.combine(day, shift[1], tzinfo=zone)
    if end <= start:
        end += timedelta(days=1)
    return start, end


def parse_log_number(text: str) -> int:
    cleaned = text.strip()
    if not cleaned.isdigit() or int(cleaned) > MAX_LOG_NUMBER:
        raise DomainError("log_number_invalid", limit=MAX_LOG_NUMBER)
    return int(cleaned)
