"""Managing stations, offices and places."""

from __future__ import annotations

import unicodedata

from models.clock import Clock
from models.errors import DomainError
from models.org import Office, Person, Place, PlaceKind, Role, Station
from models.rules import can_manage_station
from models.store.db import Database
from models.store.misc_repo import AuditRepository
from models.store.org_repo import OrgRepository

MAX_NAME = 64
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs"})


def clean_name(text: str | None) -> str:
    """A name for a station, office, place or person: one line, 1-64 characters, with no
    invisible control or format characters (zero-width spaces, direction marks)."""
    visible = "".join(
        c for c in (text or "") if c.isspace() or unicodedata.category(c) not in _INVISIBLE
    )
    name = " ".join(visible.split())
    if not name:
        raise DomainError("name_empty")
    if len(name) > MAX_NAME:
        raise DomainError("name_too_long", limit=MAX_NAME)
    return name


class OrgService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.repo = OrgRepository(db)
        self.audit = AuditRepository(db)

    async def stations_for(self, actor: Person) -> list[Station]:
        """The stations a person may manage or look at."""
        if actor.role is Role.OPERATOR:
            return await self.repo.stations()
        if actor.station_id is None:
            return []
        station = await self.repo.station(actor.station_id)
        return [station] if station else []

    async def add_station(self, actor: Person, name: str) -> Station:
        if actor.role is not Role.OPERATOR or not actor.active:
            raise DomainError("not_allowed")
        name = clean_name(name)
        async with self.db.write():
            station = await self.repo.add_station(name, self.clock.now())
            await self._audit(actor, "station:add", "station", station.id, after={"name": name})
        return station

    async def rename_station(self, actor: Person, station_id: int, name: str) -> None:
        if actor.role is not Role.OPERATOR:
            raise DomainError("not_allowed")
        station = await self._station(actor, station_id)
        name = clean_name(name)
        async with self.db.write():
            await self.repo.rename_station(station_id, name)
            await self._audit(
                actor,
                "station:rename",
                "station",
                station_id,
                {"name": station.name},
                {"name": name},
            )

    async def add_office(self, actor: Person, station_id: int, name: str) -> Office:
        await self._station(actor, station_id)
        name = clean_name(name)
        async with self.db.write():
            office = await self.repo.add_office(station_id, name, self.clock.now())
            await self._audit(actor, "office:add", "office", office.id, after={"name": name})
        return office

    async def rename_office(self, actor: Person, office_id: int, name: str) -> None:
        office = await self.office_for(actor, office_id)
        name = clean_name(name)
        async with self.db.write():
            await self.repo.rename_office(office_id, name)
            await self._audit(
                actor, "office:rename", "office", office_id, {"name": office.name}, {"name": name}
            )

    async def locate_office(self, actor: Person, office_id: int, lat: float, lon: float) -> None:
        await self.office_for(actor, office_id)
        _check_coordinates(lat, lon)
        async with self.db.write():
            await self.repo.locate_office(office_id, lat, lon)
            await self._audit(
                actor, "office:locate", "office", office_id, after={"lat": lat, "lon": lon}
            )

    async def add_place(
        self, actor: Person, office_id: int, name: str, kinds: set[PlaceKind]
    ) -> Place:
        await self.office_for(actor, office_id)
        name = clean_name(name)
        async with self.db.write():
            place = await self.repo.add_place(office_id, name, kinds, self.clock.now())
            await self._audit(
                actor, "place:add", "place", place.id, after={"name": name, "kinds": sorted(kinds)}
            )
        return place

    async def toggle_place_kind(self, actor: Person, place_id: int, kind: PlaceKind) -> Place:
        place = await self.place_for(actor, place_id)
        async with self.db.write():
            await self.repo.toggle_place_kind(place_id, kind)
            await self._audit(
                actor,
                "place:kind",
                "place",
                place_id,
                {kind.value: place.has_kind(kind)},
                {kind.value: not place.has_kind(kind)},
            )
        updated = await self.repo.place(place_id)
        assert updated is not None
        return updated

    async def locate_place(self, actor: Person, place_id: int, lat: float, lon: float) -> None:
        await self.place_for(actor, place_id)
        _check_coordinates(lat, lon)
        async with self.db.write():
            await self.repo.locate_place(place_id, lat, lon)
            await self._audit(
                actor, "place:locate", "place", place_id, after={"lat": lat, "lon": lon}
            )

    async def set_patrol(
        self, actor: Person, place_id: int, shifts: tuple[int, ...], need: int
    ) -> Place:
        """Which shifts a patrol area is walked in, and by how many members."""
        place = await self.place_for(actor, place_id)
        if not 0 <= need <= 10:
            raise DomainError("setting_out_of_range", minimum=0, maximum=10)
        async with self.db.write():
            await self.repo.set_patrol(place_id, shifts, need)
            await self._audit(
                actor,
                "place:patrol",
                "place",
                place_id,
                {"shifts": list(place.shifts), "need": place.patrol_need},
                {"shifts": sorted(set(shifts)), "need": need},
            )
        updated = await self.repo.place(place_id)
        assert updated is not None
        return updated

    async def remove_place(self, actor: Person, place_id: int) -> None:
        place = await self.place_for(actor, place_id)
        async with self.db.write():
            await self.repo.set_place_active(place_id, False)
            await self._audit(actor, "place:remove", "place", place_id, {"name": place.name})

    async def office_for(self, actor: Person, office_id: int) -> Office:
        """The office, if `actor` may manage it (its station's chief, or an operator)."""
        office = await self.repo.office(office_id)
        if office is None or not can_manage_station(actor, office.station_id):
            raise DomainError("not_allowed")
        return office

    async def place_for(self, actor: Person, place_id: int) -> Place:
        place = await self.repo.place(place_id)
        if place is None:
            raise DomainError("not_allowed")
        await self.office_for(actor, place.office_id)
        return place

    async def _station(self, actor: Person, station_id: int) -> Station:
        station = await self.repo.station(station_id)
        if station is None or not can_manage_station(actor, station_id):
            raise DomainError("not_allowed")
        return station

    async def _audit(
        self,
        actor: Person,
        action: str,
        subject_type: str,
        subject_id: int,
        before: object = None,
        after: object = None,
    ) -> None:
        await self.audit.record(
            at=self.clock.now(),
            actor_id=actor.id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            before=before,
            after=after,
        )


def _check_coordinates(lat: float, lon: float) -> None:
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise DomainError("location_invalid")
