"""Station peak periods and operator-loaded official holiday schedules."""

from __future__ import annotations

import json
from datetime import date, datetime

from aiosqlite import Row

from models.calendar import Holiday, HolidayKey, Level, Peak
from models.clock import to_db
from models.store.db import Database


class PeakRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        station_id: int,
        name: str,
        start: date,
        end: date,
        level: Level,
        hot_spots: list[int],
        by: int,
        at: datetime,
    ) -> int:
        return await self.db.execute(
            "INSERT INTO peak_periods (station_id, name, start_day, end_day, level, hot_spots,"
            " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                station_id,
                name,
                start.isoformat(),
                end.isoformat(),
                level.value,
                json.dumps(sorted(hot_spots)),
                by,
                to_db(at),
            ),
        )

    async def get(self, period_id: int) -> tuple[int, Peak] | None:
        row = await self.db.fetch_one(
            "SELECT * FROM peak_periods WHERE id = ? AND active = 1", (period_id,)
        )
        return (int(row["station_id"]), _peak(row)) if row else None

    async def of_station(self, station_id: int) -> list[Peak]:
        rows = await self.db.fetch_all(
            "SELECT * FROM peak_periods WHERE station_id = ? AND active = 1 ORDER BY start_day",
            (station_id,),
        )
        return [_peak(r) for r in rows]

    async def set_dates(self, period_id: int, start: date, end: date) -> None:
        await self.db.execute(
            "UPDATE peak_periods SET start_day = ?, end_day = ? WHERE id = ?",
            (start.isoformat(), end.isoformat(), period_id),
        )

    async def remove(self, period_id: int) -> None:
        await self.db.execute("UPDATE peak_periods SET active = 0 WHERE id = ?", (period_id,))

    async def load_official(self, year: int, items: list[Holiday], by: int, at: datetime) -> None:
        """Each named holiday of the year, replacing only its own earlier entry."""
        for h in items:
            await self.db.execute(
                "INSERT OR REPLACE INTO official_holidays (year, key, start_day, end_day,"
                " workdays, loaded_by, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    year,
                    h.key.value,
                    h.start.isoformat(),
                    h.end.isoformat(),
                    json.dumps([d.isoformat() for d in h.workdays]),
                    by,
                    to_db(at),
                ),
            )

    async def replace_year(self, year: int, keep: set[str], by: int, at: datetime) -> None:
        """The year is exactly its loaded holidays named in `keep`: the others go."""
        rows = await self.db.fetch_all("SELECT key FROM official_holidays WHERE year = ?", (year,))
        for row in rows:
            if row["key"] not in keep:
                await self.db.execute(
                    "DELETE FROM official_holidays WHERE year = ? AND key = ?", (year, row["key"])
                )
        await self.db.execute(
            "INSERT OR REPLACE INTO official_complete_years (year, set_by, set_at)"
            " VALUES (?, ?, ?)",
            (year, by, to_db(at)),
        )

    async def complete_years(self) -> set[int]:
        rows = await self.db.fetch_all("SELECT year FROM official_complete_years")
        return {int(r["year"]) for r in rows}

    async def loaded(self) -> dict[int, list[Holiday]]:
        rows = await self.db.fetch_all("SELECT * FROM official_holidays ORDER BY start_day")
        result: dict[int, list[Holiday]] = {}
        for r in rows:
            result.setdefault(int(r["year"]), []).append(
                Holiday(
                    HolidayKey(r["key"]),
                    date.fromisoformat(r["start_day"]),
                    date.fromisoformat(r["end_day"]),
                    tuple(date.fromisoformat(d) for d in json.loads(r["workdays"])),
                )
            )
        return result


def _peak(row: Row) -> Peak:
    return Peak(
        name=row["name"],
        start=date.fromisoformat(row["start_day"]),
        end=date.fromisoformat(row["end_day"]),
        level=Level(row["level"]),
        hot_spots=tuple(json.loads(row["hot_spots"])),
        period_id=row["id"],
    )
