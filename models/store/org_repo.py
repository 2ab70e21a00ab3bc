"""Stations, offices and places."""

from __future__ import annotations

from datetime import datetime

from aiosqlite import Row

from models.clock import to_db
from models.org import Office, Place, PlaceKind, Station
from models.store.db import Database

_PLACE_FLAG = {
    PlaceKind.VILLAGE: "is_village",
    PlaceKind.PATROL_AREA: "is_patrol_area",
    PlaceKind.HOT_SPOT: "is_hot_spot",
}


class OrgRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # stations
    async def add_station(self, name: str, at: datetime, code: str | None = None) -> Station:
        sid = await self.db.execute(
            "INSERT INTO stations (name, code, created_at) VALUES (?, ?, ?)",
            (name, code, to_db(at)),
        )
        return Station(id=sid, name=name, code=code)

    async def station(self, station_id: int) -> Station | None:
        row = await self.db.fetch_one("SELECT * FROM stations WHERE id = ?", (station_id,))
        return _station(row) if row else None

    async def stations(self, active_only: bool = True) -> list[Station]:
        rows = await self.db.fetch_all(
            "SELECT * FROM stations WHERE active >= ? ORDER BY name, id", (int(active_only),)
        )
        return [_station(r) for r in rows]

    async def rename_station(self, station_id: int, name: str) -> None:
        await self.db.execute("UPDATE stations SET name = ? WHERE id = ?", (name, station_id))

    # offices
    async def add_office(self, station_id: int, name: str, at: datetime) -> Office:
        oid = await self.db.execute(
            "INSERT INTO offices (station_id, name, created_at) VALUES (?, ?, ?)",
            (station_id, name, to_db(at)),
        )
        return Office(id=oid, station_id=station_id, name=name)

    async def office(self, office_id: int) -> Office | None:
        row = await self.db.fetch_one("SELECT * FROM offices WHERE id = ?", (office_id,))
        return _office(row) if row else None

    async def offices(self, station_id: int, active_only: bool = True) -> list[Office]:
        rows = await self.db.fetch_all(
            "SELECT * FROM offices WHERE station_id = ? AND active >= ? ORDER BY name, id",
            (station_id, int(active_only)),
        )
        return [_office(r) for r in rows]

    async def rename_office(self, office_id: int, name: str) -> None:
        await self.db.execute("UPDATE offices SET name = ? WHERE id = ?", (name, office_id))

    async def locate_office(self, office_id: int, latitude: float, longitude: float) -> None:
        await self.db.execute(
            "UPDATE offices SET latitude = ?, longitude = ? WHERE id = ?",
            (latitude, longitude, office_id),
        )

    # places
    async def add_place(
        self, office_id: int, name: str, kinds: set[PlaceKind], at: datetime
    ) -> Place:
        pid = await self.db.execute(
            "INSERT INTO places (office_id, name, is_village, is_patrol_area, is_hot_spot,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                office_id,
                name,
                int(PlaceKind.VILLAGE in kinds),
                int(PlaceKind.PATROL_AREA in kinds),
                int(PlaceKind.HOT_SPOT in kinds),
                to_db(at),
            ),
        )
        place = await self.place(pid)
        assert place is not None
        return place

    async def place(self, place_id: int) -> Place | None:
        row = await self.db.fetch_one("SELECT * FROM places WHERE id = ?", (place_id,))
        return _place(row) if row else None

    async def places(self, office_id: int, active_only: bool = True) -> list[Place]:
        rows = await self.db.fetch_all(
            "SELECT * FROM places WHERE office_id = ? AND active >= ? ORDER BY name, id",
            (office_id, int(active_only)),
        )
        return [_place(r) for r in rows]

    async def toggle_place_kind(self, place_id: int, kind: PlaceKind) -> None:
        column = _PLACE_FLAG[kind]
        await self.db.execute(
            f"UPDATE places SET {column} = 1 - {column} WHERE id = ?", (place_id,)
        )

    async def set_patrol(self, place_id: int, shifts: tuple[int, ...], need: int) -> None:
        await self.db.execute(
            "UPDATE places SET shifts = ?, patrol_need = ? WHERE id = ?",
            (",".join(str(s) for s in sorted(set(shifts))), need, place_id),
        )

    async def locate_place(self, place_id: int, latitude: float, longitude: float) -> None:
        await self.db.execute(
            "UPDATE places SET latitude = ?, longitude = ? WHERE id = ?",
            (latitude, longitude, place_id),
        )

    async def set_place_active(self, place_id: int, active: bool) -> None:
        await self.db.execute("UPDATE places SET active = ? WHERE id = ?", (int(active), place_id))


def _station(row: Row) -> Station:
    return Station(id=row["id"], name=row["name"], code=row["code"], active=bool(row["active"]))


def _office(row: Row) -> Office:
    return Office(
        id=row["id"],
        station_id=row["station_id"],
        name=row["name"],
        code=row["code"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        active=bool(row["active"]),
    )


def _place(row: Row) -> Place:
    return Place(
        id=row["id"],
        office_id=row["office_id"],
        name=row["name"],
        is_village=bool(row["is_village"]),
        is_patrol_area=bool(row["is_patrol_area"]),
        is_hot_spot=bool(row["is_hot_spot"]),
        latitude=row["latitude"],
        longitude=row["longitude"],
        patrol_need=row["patrol_need"],
        shifts=tuple(int(x) for x in str(row["shifts"]).split(",") if x.strip().isdigit()),
        active=bool(row["active"]),
    )
