"""The writes of `bot.py apply` that the app's own screens do not make: whole rows with their
codes and coordinates, reactivation, peak periods and settings without a person behind them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from aiosqlite import Row

from models.calendar import Level
from models.clock import to_db
from models.org import PlaceKind
from models.store.db import Database


@dataclass(frozen=True)
class StoredPeak:
    """A station's own peak period as stored, removed ones included."""

    id: int
    name: str
    start: date
    end: date
    level: Level
    hot_spots: frozenset[int]
    active: bool


class OrgFileRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_station(
        self, station_id: int, *, name: str, code: str | None, active: bool
    ) -> None:
        await self.db.execute(
            "UPDATE stations SET name = ?, code = ?, active = ? WHERE id = ?",
            (name, code, int(active), station_id),
        )

    async def add_office(
        self,
        station_id: int,
        *,
        name: str,
        code: str | None,
        latitude: float | None,
        longitude: float | None,
        at: datetime,
    ) -> int:
        return await self.db.execute(
            "INSERT INTO offices (station_id, name, code, latitude, longitude, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (station_id, name, code, latitude, longitude, to_db(at)),
        )

    async def set_office(
        self,
        office_id: int,
        *,
        name: str,
        code: str | None,
        latitude: float | None,
        longitude: float | None,
        active: bool,
    ) -> None:
        await self.db.execute(
            "UPDATE offices SET name = ?, code = ?, latitude = ?, longitude = ?, active = ?"
            " WHERE id = ?",
            (name, code, latitude, longitude, int(active), office_id),
        )

    async def add_place(
        self,
        office_id: int,
        *,
        name: str,
        kinds: frozenset[PlaceKind],
        latitude: float | None,
        longitude: float | None,
        shifts: tuple[int, ...],
        need: int,
        at: datetime,
    ) -> int:
        return await self.db.execute(
            "INSERT INTO places (office_id, name, is_village, is_patrol_area, is_hot_spot,"
            " latitude, longitude, shifts, patrol_need, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                office_id,
                name,
                *_flags(kinds),
                latitude,
                longitude,
                _shifts(shifts),
                need,
                to_db(at),
            ),
        )

    async def set_place(
        self,
        place_id: int,
        *,
        kinds: frozenset[PlaceKind],
        latitude: float | None,
        longitude: float | None,
        shifts: tuple[int, ...],
        need: int,
        active: bool,
    ) -> None:
        await self.db.execute(
            "UPDATE places SET is_village = ?, is_patrol_area = ?, is_hot_spot = ?,"
            " latitude = ?, longitude = ?, shifts = ?, patrol_need = ?, active = ? WHERE id = ?",
            (*_flags(kinds), latitude, longitude, _shifts(shifts), need, int(active), place_id),
        )

    async def peaks(self, station_id: int) -> list[StoredPeak]:
        rows = await self.db.fetch_all(
            "SELECT * FROM peak_periods WHERE station_id = ? ORDER BY id", (station_id,)
        )
        return [_peak(r) for r in rows]

    async def add_peak(
        self,
        station_id: int,
        *,
        name: str,
        start: date,
        end: date,
        level: Level,
        hot_spots: frozenset[int],
        at: datetime,
    ) -> int:
        return await self.db.execute(
            "INSERT INTO peak_periods (station_id, name, start_day, end_day, level, hot_spots,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                station_id,
                name,
                start.isoformat(),
                end.isoformat(),
                level.value,
                json.dumps(sorted(hot_spots)),
                to_db(at),
            ),
        )

    async def set_peak(
        self,
        period_id: int,
        *,
        start: date,
        end: date,
        level: Level,
        hot_spots: frozenset[int],
        active: bool,
    ) -> None:
        await self.db.execute(
            "UPDATE peak_periods SET start_day = ?, end_day = ?, level = ?, hot_spots = ?,"
            " active = ? WHERE id = ?",
            (
                start.isoformat(),
                end.isoformat(),
                level.value,
                json.dumps(sorted(hot_spots)),
                int(active),
                period_id,
            ),
        )

    async def put_setting(self, station_id: int, key: str, value: str, at: datetime) -> None:
        """Store a setting with no person behind it (`updated_by` stays empty)."""
        self.db.txn_cache.pop(("station_settings", station_id), None)
        await self.db.execute(
            "INSERT INTO station_settings (station_id, key, value, updated_by, updated_at)"
            " VALUES (?, ?, ?, NULL, ?) ON CONFLICT(station_id, key) DO UPDATE SET"
            " value = excluded.value, updated_by = NULL, updated_at = excluded.updated_at",
            (station_id, key, value, to_db(at)),
        )

    async def people_in_offices(self, office_ids: list[int]) -> int:
        """How many active people belong to these offices (told before they are removed)."""
        if not office_ids:
            return 0
        marks = ",".join("?" * len(office_ids))
        row = await self.db.fetch_one(
            f"SELECT COUNT(*) FROM people WHERE active = 1 AND office_id IN ({marks})",
            office_ids,
        )
        return int(row[0]) if row else 0

    async def people_of_station(self, station_id: int) -> int:
        row = await self.db.fetch_one(
            "SELECT COUNT(*) FROM people WHERE active = 1 AND station_id = ?", (station_id,)
        )
        return int(row[0]) if row else 0


def _peak(row: Row) -> StoredPeak:
    return StoredPeak(
        id=row["id"],
        name=row["name"],
        start=date.fromisoformat(row["start_day"]),
        end=date.fromisoformat(row["end_day"]),
        level=Level(row["level"]),
        hot_spots=frozenset(json.loads(row["hot_spots"])),
        active=bool(row["active"]),
    )


def _flags(kinds: frozenset[PlaceKind]) -> tuple[int, int, int]:
    return (
        int(PlaceKind.VILLAGE in kinds),
        int(PlaceKind.PATROL_AREA in kinds),
        int(PlaceKind.HOT_SPOT in kinds),
    )


def _shifts(shifts: tuple[int, ...]) -> str:
    """The stored form, as `OrgRepository.set_patrol` writes it."""
    return ",".join(str(s) for s in sorted(set(shifts)))
