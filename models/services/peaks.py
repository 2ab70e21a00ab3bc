"""Peaks for a station: holidays (computed or loaded) and its own periods; adding, editing
and removing periods with their checks; loading the official schedule."""

from __future__ import annotations

from datetime import date, timedelta

from models.calendar import (
    MAX_PERIOD_DAYS,
    Holiday,
    HolidayKey,
    Level,
    Peak,
    holidays_for,
    parse_official,
    peaks_between,
)
from models.clock import Clock
from models.errors import DomainError
from models.org import Person, Role
from models.rules import can_manage_station
from models.services.org import clean_name
from models.store.db import Database
from models.store.org_repo import OrgRepository
from models.store.peaks_repo import PeakRepository

LOOKAHEAD_DAYS = 90


class PeakService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.repo = PeakRepository(db)
        self.org = OrgRepository(db)

    async def hot_spots(self, station_id: int) -> list[int]:
        spots = []
        for office in await self.org.offices(station_id):
            spots += [p.id for p in await self.org.places(office.id) if p.is_hot_spot]
        return spots

    async def peaks(self, station_id: int, first: date, last: date) -> list[Peak]:
        """Every peak touching [first, last]; a holiday's hot spots are the station's."""
        own = await self.repo.of_station(station_id)
        loaded, complete = await self.repo.loaded(), await self.repo.complete_years()
        found = peaks_between(first, last, own, loaded, complete)
        spots = tuple(await self.hot_spots(station_id))
        return [
            p
            if p.hot_spots is not None
            else Peak(
                p.name, p.start, p.end, p.level, spots, p.provisional, p.period_id, p.workdays
            )
            for p in found
        ]

    async def add_period(
        self,
        actor: Person,
        station_id: int,
        name: str,
        start: date,
        end: date,
        level: Level,
        hot_spots: list[int],
        today: date,
        allow_overlap: bool = False,
    ) -> int:
        if not can_manage_station(actor, station_id):
            raise DomainError("not_allowed")
        name = clean_name(name)
        check_range(start, end, today)
        if not hot_spots:
            raise DomainError("peak_no_hot_spot")
        known = set(await self.hot_spots(station_id))
        if not set(hot_spots) <= known:
            raise DomainError("peak_hot_spot_unknown")
        if not allow_overlap:
            for other in await self.repo.of_station(station_id):
                overlaps = other.start <= end and start <= other.end
                if overlaps and set(other.hot_spots or ()) & set(hot_spots):
                    raise DomainError("peak_overlap", name=other.name)
        async with self.db.write():
            return await self.repo.add(
                station_id, name, start, end, level, hot_spots, actor.id, self.clock.now()
            )

    async def change_dates(
        self, actor: Person, period_id: int, start: date, end: date, today: date
    ) -> None:
        await self._managed(actor, period_id)
        check_range(start, end, today)
        async with self.db.write():
            await self.repo.set_dates(period_id, start, end)

    async def remove(self, actor: Person, period_id: int) -> None:
        await self._managed(actor, period_id)
        async with self.db.write():
            await self.repo.remove(period_id)

    async def load_official(self, actor: Person, text: str) -> dict[int, list[HolidayKey]]:
        """An operator pastes the State Council's schedule (all of it, or one holiday): each
        holiday named replaces only its own dates; returns what was loaded, per year."""
        self._operator(actor)
        loaded = parse_official(text)
        async with self.db.write():
            for year, items in loaded.items():
                await self.repo.load_official(year, items, actor.id, self.clock.now())
        return {year: [h.key for h in items] for year, items in loaded.items()}

    async def year_holidays(self, year: int) -> list[Holiday]:
        """A year's holidays as the alerts see them (loaded, official, provisional)."""
        loaded, complete = await self.repo.loaded(), await self.repo.complete_years()
        try:
            return holidays_for(year, loaded, complete)
        except DomainError:
            return []

    async def replace_year(self, actor: Person, year: int, keep: set[HolidayKey]) -> None:
        """Make the year exactly the loaded holidays in `keep` (an explicit, confirmed
        choice: the caller has shown what goes). Those kept must have been loaded."""
        self._operator(actor)
        loaded = {h.key for h in (await self.repo.loaded()).get(year, [])}
        if not keep or not keep <= loaded:
            raise DomainError("stale")
        async with self.db.write():
            await self.repo.replace_year(year, {k.value for k in keep}, actor.id, self.clock.now())

    def _operator(self, actor: Person) -> None:
        if actor.role is not Role.OPERATOR or not actor.active:
            raise DomainError("not_allowed")

    async def _managed(self, actor: Person, period_id: int) -> int:
        found = await self.repo.get(period_id)
        if found is None:
            raise DomainError("stale")
        station_id, _peak = found
        if not can_manage_station(actor, station_id):
            raise DomainError("not_allowed")
        return station_id


def check_range(start: date, end: date, today: date) -> None:
    if end < start:
        raise DomainError("leave_end_before_start")
    if end < today:
        raise DomainError("leave_in_past")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise DomainError("peak_too_long", limit=MAX_PERIOD_DAYS)


def horizon(today: date) -> tuple[date, date]:
    return today, today + timedelta(days=LOOKAHEAD_DAYS)
