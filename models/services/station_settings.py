"""Reading and changing a station's settings (declared in `models.station_settings`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.clock import Clock
from models.config import Settings
from models.errors import DomainError
from models.org import Person, Place
from models.rules import can_manage_station
from models.station_settings import SETTINGS, ShiftRenumbering, shift_templates, spec_for
from models.store.db import Database
from models.store.misc_repo import AuditRepository, StationSettingsRepository
from models.store.org_repo import OrgRepository

SHIFTS = "shifts"  # the setting whose positions the station's places store


@dataclass(frozen=True)
class SettingChange:
    """A stored change: the setting's new value, and how many of the station's places had
    their shifts moved to other positions (a changed shift list; see `ShiftRenumbering`)."""

    value: Any
    renumbered: int = 0


class StationSettingsService:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.repo = StationSettingsRepository(db)
        self.audit = AuditRepository(db)
        self.org = OrgRepository(db)

    async def all(self, station_id: int) -> list[tuple[str, Any, bool]]:
        """Each setting as (key, value, set at this station?) in declaration order."""
        stored = await self.repo.values(station_id)
        result = []
        for spec in SETTINGS:
            if spec.key in stored:
                result.append((spec.key, spec.parse(stored[spec.key]), True))
            else:
                result.append((spec.key, spec.default(self.settings), False))
        return result

    async def value(self, station_id: int, key: str) -> Any:
        spec = spec_for(key)
        stored = (await self.repo.values(station_id)).get(key)
        if stored is None:
            return spec.default(self.settings)
        try:
            return spec.parse(stored)
        except DomainError:
            return spec.default(self.settings)

    async def change(self, actor: Person, station_id: int, key: str, text: str) -> SettingChange:
        """Validate and store a person's input. A new shift list keeps every place of the
        station at its hours; it is refused if an active patrol area would have no shift."""
        if not can_manage_station(actor, station_id):
            raise DomainError("not_allowed")
        spec = spec_for(key)
        value = spec.parse(text)
        async with self.db.write():
            before = await self.value(station_id, key)
            renumbered = await self._renumber(actor, station_id, key, before, value)
            await self.repo.put(station_id, key, spec.dump(value), actor.id, self.clock.now())
            await self.audit.record(
                at=self.clock.now(),
                actor_id=actor.id,
                action=f"setting:{key}",
                subject_type="station",
                subject_id=station_id,
                before=spec.dump(before),
                after=spec.dump(value),
            )
        return SettingChange(value, renumbered)

    async def reset(self, actor: Person, station_id: int, key: str) -> SettingChange:
        """Back to the deployment's default (renumbering places as `change` does)."""
        if not can_manage_station(actor, station_id):
            raise DomainError("not_allowed")
        spec = spec_for(key)
        value = spec.default(self.settings)
        async with self.db.write():
            before = await self.value(station_id, key)
            renumbered = await self._renumber(actor, station_id, key, before, value)
            await self.repo.delete(station_id, key)
            await self.audit.record(
                at=self.clock.now(),
                actor_id=actor.id,
                action=f"setting:{key}",
                subject_type="station",
                subject_id=station_id,
                before=spec.dump(before),
                after=None,
            )
        return SettingChange(value, renumbered)

    async def _renumber(
        self, actor: Person, station_id: int, key: str, before: Any, after: Any
    ) -> int:
        """Places store their shifts as positions in the station's shift list: when the list
        changes, give every place of the station (of every office, removed ones too) the new
        positions of its hours; a shift no longer in the list is dropped. Refused, before
        anything is written, if an active patrol area would be left with no shift. Days
        already planned keep their concrete times and are not touched. Returns how many
        places changed."""
        if key != SHIFTS:
            return 0
        renumbering = ShiftRenumbering(shift_templates(before), shift_templates(after))
        if renumbering.old == renumbering.new:
            return 0
        moves: list[tuple[Place, tuple[int, ...]]] = []
        stranded: list[tuple[str, str]] = []  # (office, place) of patrol areas left shiftless
        for office in await self.org.offices(station_id, active_only=False):
            for place in await self.org.places(office.id, active_only=False):
                shifts = renumbering.indices(place.shifts)
                if shifts == tuple(sorted(set(place.shifts))):
                    continue
                walked = office.active and place.active and place.is_patrol_area
                if walked and renumbering.names(place.shifts) and not shifts:
                    stranded.append((office.name, place.name))
                moves.append((place, shifts))
        if stranded:
            raise DomainError("shifts_leave_area_empty", areas=_place_names(stranded))
        now = self.clock.now()
        for place, shifts in moves:
            await self.org.set_patrol(place.id, shifts, place.patrol_need)
            await self.audit.record(
                at=now,
                actor_id=actor.id,
                action="place:renumber",
                subject_type="place",
                subject_id=place.id,
                before={
                    "shifts": sorted(set(place.shifts)),
                    "hours": list(renumbering.names(place.shifts)),
                },
                after={
                    "shifts": list(shifts),
                    "hours": [renumbering.new[i] for i in shifts],
                },
            )
        return len(moves)


def _place_names(places: list[tuple[str, str]]) -> tuple[str, ...]:
    """Place names, with the office where two offices have a place of that name."""
    names = [place for _, place in places]
    return tuple(
        f"{office}/{place}" if names.count(place) > 1 else place for office, place in places
    )
