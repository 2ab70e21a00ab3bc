"""Pending people: roster rows waiting for their person to join, and their matches."""

from __future__ import annotations

from datetime import datetime

from aiosqlite import Row

from models.clock import from_db, to_db
from models.org import PartnerType, Role
from models.roster import PendingPerson
from models.store.db import Database


class RosterRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        *,
        station_id: int,
        office_id: int | None,
        name: str,
        name_key: str,
        phone: str | None,
        role: Role,
        partner_type: PartnerType | None,
        source: str,
        source_row: int,
        imported_by: int | None,
        at: datetime,
    ) -> int:
        return await self.db.execute(
            "INSERT INTO pending_people (station_id, office_id, name, name_key, phone, role,"
            " partner_type, source, source_row, imported_by, imported_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                station_id,
                office_id,
                name,
                name_key,
                phone,
                role.value,
                partner_type.value if partner_type else None,
                source,
                source_row,
                imported_by,
                to_db(at),
            ),
        )

    async def get(self, pending_id: int) -> PendingPerson | None:
        row = await self.db.fetch_one("SELECT * FROM pending_people WHERE id = ?", (pending_id,))
        return _pending(row) if row else None

    async def waiting(
        self, station_id: int, office_id: int | None, key: str | None = None
    ) -> list[PendingPerson]:
        """Unmatched rows of an office (of the station itself when `office_id` is None),
        with this name key when given."""
        sql = (
            "SELECT * FROM pending_people WHERE matched_at IS NULL AND station_id = ?"
            " AND office_id IS ?"
        )
        params: list[object] = [station_id, office_id]
        if key is not None:
            sql += " AND name_key = ?"
            params.append(key)
        rows = await self.db.fetch_all(sql + " ORDER BY id", params)
        return [_pending(r) for r in rows]

    async def waiting_in(self, station_id: int | None = None) -> list[PendingPerson]:
        """Every unmatched row (of one station), by station, office and name."""
        sql = "SELECT * FROM pending_people WHERE matched_at IS NULL"
        params: list[object] = []
        if station_id is not None:
            sql += " AND station_id = ?"
            params.append(station_id)
        sql += " ORDER BY station_id, office_id IS NOT NULL, office_id, name_key, id"
        return [_pending(r) for r in await self.db.fetch_all(sql, params)]

    async def mark_matched(self, pending_id: int, person_id: int, at: datetime) -> bool:
        """The row became this person; its phone now lives on the person's record, so the
        row's copy goes. False when the row was matched already."""
        changed = await self.db.execute_count(
            "UPDATE pending_people SET matched_person_id = ?, matched_at = ?, phone = NULL"
            " WHERE id = ? AND matched_at IS NULL",
            (person_id, to_db(at), pending_id),
        )
        return changed > 0


def _pending(row: Row) -> PendingPerson:
    return PendingPerson(
        id=row["id"],
        station_id=row["station_id"],
        office_id=row["office_id"],
        name=row["name"],
        name_key=row["name_key"],
        phone=row["phone"],
        role=Role(row["role"]),
        partner_type=PartnerType(row["partner_type"]) if row["partner_type"] else None,
        source=row["source"],
        source_row=row["source_row"],
        imported_at=from_db(row["imported_at"]),
        matched_person_id=row["matched_person_id"],
        matched_at=from_db(row["matched_at"]) if row["matched_at"] else None,
    )
