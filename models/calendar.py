"""The holiday and peak calendar (pure): Chinese statutory holidays with their official
dates and make-up working days from `chinese-calendar` for the years it has; for a later year,
provisional dates in the usual pattern from `holidays`, marked provisional until an operator
loads the official schedule; and station-defined peak periods, which override a computed
holiday of the same name and dates."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

import holidays as rule_based
from chinese_calendar import constants as official_data

from models.errors import DomainError


class Level(StrEnum):
    BUSY = "busy"
    VERY_BUSY = "very_busy"


class HolidayKey(StrEnum):
    NEW_YEAR = "new_year"
    SPRING_FESTIVAL = "spring_festival"
    TOMB_SWEEPING = "tomb_sweeping"
    LABOUR_DAY = "labour_day"
    DRAGON_BOAT = "dragon_boat"
    MID_AUTUMN = "mid_autumn"
    NATIONAL_DAY = "national_day"


# chinese-calendar's English names -> our keys
_OFFICIAL_NAMES = {
    "New Year's Day": HolidayKey.NEW_YEAR,
    "Spring Festival": HolidayKey.SPRING_FESTIVAL,
    "Tomb-sweeping Day": HolidayKey.TOMB_SWEEPING,
    "Labour Day": HolidayKey.LABOUR_DAY,
    "Dragon Boat Festival": HolidayKey.DRAGON_BOAT,
    "Mid-autumn Festival": HolidayKey.MID_AUTUMN,
    "National Day": HolidayKey.NATIONAL_DAY,
}
# `holidays` names (first day of each) -> our keys
_RULE_NAMES = {
    "New Year's Day": HolidayKey.NEW_YEAR,
    "Chinese New Year (Spring Festival)": HolidayKey.SPRING_FESTIVAL,
    "Tomb-Sweeping Day": HolidayKey.TOMB_SWEEPING,
    "Labor Day": HolidayKey.LABOUR_DAY,
    "Dragon Boat Festival": HolidayKey.DRAGON_BOAT,
    "Mid-Autumn Festival": HolidayKey.MID_AUTUMN,
    "National Day": HolidayKey.NATIONAL_DAY,
}
# the long holidays fill the tourist spots most
DEFAULT_LEVEL = {
    HolidayKey.SPRING_FESTIVAL: Level.VERY_BUSY,
    HolidayKey.NATIONAL_DAY: Level.VERY_BUSY,
}
MAX_PERIOD_DAYS = 31


@dataclass(frozen=True)
class Holiday:
    key: HolidayKey
    start: date
    end: date
    workdays: tuple[date, ...] = ()
    provisional: bool = False

    @property
    def level(self) -> Level:
        return DEFAULT_LEVEL.get(self.key, Level.BUSY)


@dataclass(frozen=True)
class Peak:
    """A holiday or a station's own period, as the alerts and the planner see it."""

    name: str  # a HolidayKey value, or the station's own name
    start: date
    end: date
    level: Level
    hot_spots: tuple[int, ...] | None  # None: every hot spot of the station
    provisional: bool = False
    period_id: int | None = None  # set for a station-defined period
    workdays: tuple[date, ...] = field(default=())

    @property
    def is_holiday(self) -> bool:
        return self.name in HolidayKey.__members__.values()

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


def official_years() -> set[int]:
    return {d.year for d in official_data.holidays}


def holidays_for(
    year: int,
    loaded: Mapping[int, Sequence[Holiday]] | None = None,
    complete: Collection[int] = (),
) -> list[Holiday]:
    """A year's holidays, each one as an operator loaded it, else as the package's official
    schedule has it, else provisional dates — holiday by holiday, so loading one holiday
    changes only that one. A year an operator replaced whole (`complete`) is exactly what
    was loaded. A year nothing covers is a DomainError."""
    own = list(loaded.get(year, ())) if loaded else []
    if year in complete:
        return sorted(own, key=lambda h: h.start)
    try:
        base = _official(year) if year in official_years() else _provisional(year)
    except DomainError:
        if not own:
            raise
        base = []
    named = {h.key for h in own}
    return sorted(own + [h for h in base if h.key not in named], key=lambda h: h.start)


def _official(year: int) -> list[Holiday]:
    days = sorted((d, name) for d, name in official_data.holidays.items() if d.year == year)
    work = sorted(d for d in official_data.workdays if d.year in (year, year + 1))
    periods: list[Holiday] = []
    for day, name in days:
        key = _OFFICIAL_NAMES.get(name)
        if key is None:
            continue
        last = periods[-1] if periods else None
        if last is not None and last.key is key and day == last.end + timedelta(days=1):
            periods[-1] = Holiday(key, last.start, day)
        elif last is not None and day == last.end + timedelta(days=1):
            # two holidays back to back (Mid-autumn into National Day): one period, the
            # longer holiday's name
            periods[-1] = Holiday(
                HolidayKey.NATIONAL_DAY if HolidayKey.NATIONAL_DAY in (key, last.key) else key,
                last.start,
                day,
            )
        else:
            periods.append(Holiday(key, day, day))
    return [
        Holiday(
            p.key,
            p.start,
            p.end,
            tuple(
                d for d in work if p.start - timedelta(days=14) <= d <= p.end + timedelta(days=14)
            ),
        )
        for p in periods
    ]


def _provisional(year: int) -> list[Holiday]:
    try:
        table = rule_based.country_holidays("CN", years=year)
    except (NotImplementedError, KeyError):
        raise DomainError("calendar_year_unknown", year=year) from None
    firsts: dict[HolidayKey, date] = {}
    for day, name in sorted(table.items()):
        key = _RULE_NAMES.get(name)
        if key is not None and key not in firsts:
            firsts[key] = day
    if not firsts:
        raise DomainError("calendar_year_unknown", year=year)
    result = []
    for key, day in firsts.items():
        if key is HolidayKey.NATIONAL_DAY:
            start, end = date(year, 10, 1), date(year, 10, 7)
        elif key is HolidayKey.LABOUR_DAY:
            start, end = date(year, 5, 1), date(year, 5, 5)
        elif key is HolidayKey.SPRING_FESTIVAL:
            start = day - timedelta(days=1)  # from the eve
            end = start + timedelta(days=8)
        else:
            start, end = _with_weekend(day)
        result.append(Holiday(key, start, end, (), provisional=True))
    return sorted(result, key=lambda h: h.start)


def _with_weekend(day: date) -> tuple[date, date]:
    """Three days including the holiday and as much of the weekend next to it as fits."""
    blocks = [
        (day - timedelta(days=n), day - timedelta(days=n) + timedelta(days=2)) for n in (1, 2, 0)
    ]

    def weekend_days(block: tuple[date, date]) -> int:
        return sum((block[0] + timedelta(days=i)).weekday() >= 5 for i in range(3))

    return max(blocks, key=weekend_days)


def parse_official(text: str) -> dict[int, list[Holiday]]:
    """An official schedule as an operator pastes it, one holiday a line:
    `national_day 2027-10-01 2027-10-07 2027-09-26 2027-10-09` (key, first day, last day,
    then the make-up working days)."""
    loaded: dict[int, list[Holiday]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.replace(",", " ").split()
        try:
            key = HolidayKey(parts[0])
            start, end = date.fromisoformat(parts[1]), date.fromisoformat(parts[2])
            workdays = tuple(date.fromisoformat(p) for p in parts[3:])
        except (ValueError, IndexError):
            raise DomainError("official_line_invalid", line=number) from None
        if end < start or (end - start).days + 1 > MAX_PERIOD_DAYS:
            raise DomainError("official_line_invalid", line=number)
        loaded.setdefault(start.year, []).append(Holiday(key, start, end, workdays))
    if not loaded:
        raise DomainError("official_empty")
    return {year: sorted(items, key=lambda h: h.start) for year, items in loaded.items()}


def peaks_between(
    first: date,
    last: date,
    station_periods: Iterable[Peak],
    loaded: Mapping[int, Sequence[Holiday]] | None = None,
    complete: Collection[int] = (),
) -> list[Peak]:
    """Holidays and the station's periods that touch [first, last]; a station period with
    the same name and dates as a holiday replaces it. Years nothing covers are left out."""
    own = list(station_periods)
    peaks: list[Peak] = []
    for year in range(first.year, last.year + 1):
        try:
            found = holidays_for(year, loaded, complete)
        except DomainError:
            continue
        for h in found:
            if h.end < first or h.start > last:
                continue
            if any(p.name == h.key.value and p.start == h.start and p.end == h.end for p in own):
                continue
            peaks.append(
                Peak(h.key.value, h.start, h.end, h.level, None, h.provisional, None, h.workdays)
            )
    peaks += [p for p in own if not (p.end < first or p.start > last)]
    return sorted(peaks, key=lambda p: (p.start, p.name))


def level_on(day: date, hot_spot: int, peaks: Iterable[Peak]) -> Level | None:
    """The busiest level any peak gives this hot spot on this day."""
    levels = [
        p.level
        for p in peaks
        if p.covers(day) and (p.hot_spots is None or hot_spot in p.hot_spots)
    ]
    if Level.VERY_BUSY in levels:
        return Level.VERY_BUSY
    return Level.BUSY if levels else None
