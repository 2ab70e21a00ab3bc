"""The holiday calendar, pure: official dates, provisional years, loaded schedules, overrides."""

from __future__ import annotations

from datetime import date

import pytest

from models.calendar import (
    HolidayKey,
    Level,
    Peak,
    holidays_for,
    level_on,
    official_years,
    parse_official,
    peaks_between,
)
from models.errors import DomainError


def by_key(year: int) -> dict[HolidayKey, object]:
    return {h.key: h for h in holidays_for(year)}


def test_national_day_2026_with_make_up_days() -> None:
    national = by_key(2026)[HolidayKey.NATIONAL_DAY]
    assert (national.start, national.end) == (date(2026, 10, 1), date(2026, 10, 7))  # type: ignore[attr-defined]
    assert national.workdays == (date(2026, 9, 20), date(2026, 10, 10))  # type: ignore[attr-defined]
    assert not national.provisional  # type: ignore[attr-defined]


def test_spring_festival_2026() -> None:
    spring = by_key(2026)[HolidayKey.SPRING_FESTIVAL]
    assert (spring.start, spring.end) == (date(2026, 2, 15), date(2026, 2, 23))  # type: ignore[attr-defined]
    assert spring.level is Level.VERY_BUSY  # type: ignore[attr-defined]


def test_first_missing_year_is_provisional() -> None:
    year = max(official_years()) + 1
    found = by_key(year)
    national = found[HolidayKey.NATIONAL_DAY]
    assert national.provisional  # type: ignore[attr-defined]
    assert (national.start, national.end) == (date(year, 10, 1), date(year, 10, 7))  # type: ignore[attr-defined]
    labour = found[HolidayKey.LABOUR_DAY]
    assert (labour.start, labour.end) == (date(year, 5, 1), date(year, 5, 5))  # type: ignore[attr-defined]
    spring = found[HolidayKey.SPRING_FESTIVAL]
    assert (spring.end - spring.start).days == 8  # type: ignore[attr-defined]
    for key in (HolidayKey.DRAGON_BOAT, HolidayKey.MID_AUTUMN):
        h = found[key]
        assert (h.end - h.start).days == 2  # type: ignore[attr-defined]


def test_loading_the_official_schedule_replaces_the_provisional_one() -> None:
    year = max(official_years()) + 1
    loaded = parse_official(
        f"# published by the State Council\nnational_day {year}-10-01 {year}-10-08 "
        f"{year}-09-26 {year}-10-09\n"
    )
    national = {h.key: h for h in holidays_for(year, loaded)}[HolidayKey.NATIONAL_DAY]
    assert not national.provisional and national.end == date(year, 10, 8)
    assert national.workdays == (date(year, 9, 26), date(year, 10, 9))


def test_malformed_official_schedule_names_the_line() -> None:
    with pytest.raises(DomainError) as caught:
        parse_official("national_day 2027-10-01 2027-10-07\nnot a line\n")
    assert caught.value.code == "official_line_invalid" and caught.value.params == {"line": 2}
    with pytest.raises(DomainError):
        parse_official("labour_day 2027-05-05 2027-05-01")


def test_station_period_overrides_the_holiday_and_levels() -> None:
    own = Peak("national_day", date(2026, 10, 1), date(2026, 10, 7), Level.BUSY, (7,), period_id=1)
    fair = Peak("庙会", date(2026, 10, 20), date(2026, 10, 22), Level.VERY_BUSY, (8,), period_id=2)
    peaks = peaks_between(date(2026, 9, 28), date(2026, 10, 31), [own, fair])
    assert [p.name for p in peaks] == ["national_day", "庙会"]
    assert peaks[0].period_id == 1 and peaks[0].hot_spots == (7,)
    assert level_on(date(2026, 10, 3), 7, peaks) is Level.BUSY
    assert level_on(date(2026, 10, 3), 8, peaks) is None
    assert level_on(date(2026, 10, 21), 8, peaks) is Level.VERY_BUSY


def test_a_year_nothing_covers_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        holidays_for(1900)
    assert caught.value.code == "calendar_year_unknown"


def test_a_loaded_holiday_replaces_only_itself_unless_the_year_was_replaced_whole() -> None:
    year = max(official_years()) + 1
    loaded = parse_official(f"labour_day {year}-05-01 {year}-05-05 {year}-04-25 {year}-05-08\n")
    found = {h.key: h for h in holidays_for(year, loaded)}
    assert not found[HolidayKey.LABOUR_DAY].provisional
    assert found[HolidayKey.DRAGON_BOAT].provisional  # the others stay, provisional
    assert HolidayKey.NATIONAL_DAY in found
    whole = holidays_for(year, loaded, complete={year})
    assert [h.key for h in whole] == [HolidayKey.LABOUR_DAY]
