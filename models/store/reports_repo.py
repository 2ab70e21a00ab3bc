"""Reports, their attachments and their timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiosqlite import Row

from models.clock import from_db, to_db
from models.reports import (
    OPEN_STATUSES,
    Category,
    EventKind,
    Outcome,
    Report,
    ReportEvent,
    ReportStatus,
)
from models.store.db import Database

_OPEN = ",".join(f"'{s.value}'" for s in OPEN_STATUSES)


class ReportRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def next_seq(self, station_id: int, year: int) -> int:
        await self.db.execute(
            "INSERT INTO report_counters (station_id, year, last_seq) VALUES (?, ?, 1)"
            " ON CONFLICT(station_id, year) DO UPDATE SET last_seq = last_seq + 1",
            (station_id, year),
        )
        row = await self.db.fetch_one(
            "SELECT last_seq FROM report_counters WHERE station_id = ? AND year = ?",
            (station_id, year),
        )
        assert row is not None
        return int(row["last_seq"])

    async def add(self, fields: dict[str, Any]) -> int:
        columns = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        return await self.db.execute(
            f"INSERT INTO reports ({columns}) VALUES ({marks})", tuple(fields.values())
        )

    async def get(self, report_id: int) -> Report | None:
        row = await self.db.fetch_one("SELECT * FROM reports WHERE id = ?", (report_id,))
        return _report(row) if row else None

    async def by_number(self, station_id: int | None, year: int, seq: int) -> list[Report]:
        if station_id is None:
            rows = await self.db.fetch_all(
                "SELECT * FROM reports WHERE year = ? AND seq = ? ORDER BY id", (year, seq)
            )
        else:
            rows = await self.db.fetch_all(
                "SELECT * FROM reports WHERE station_id = ? AND year = ? AND seq = ?",
                (station_id, year, seq),
            )
        return [_report(r) for r in rows]

    async def set_status(
        self, report_id: int, status: ReportStatus, owner_id: int | None, at: datetime
    ) -> None:
        stamps = {
            ReportStatus.ACKNOWLEDGED: "acknowledged_at = COALESCE(acknowledged_at, :at),",
            ReportStatus.EN_ROUTE: "acknowledged_at = COALESCE(acknowledged_at, :at),",
            ReportStatus.ON_SITE: "acknowledged_at = COALESCE(acknowledged_at, :at),",
            ReportStatus.RESOLVED: "resolved_at = :at,",
            ReportStatus.NEW: "resolved_at = NULL,",
        }
        await self.db.execute(
            f"UPDATE reports SET {stamps.get(status, '')} status = :status, owner_id = :owner"
            " WHERE id = :id",
            {"at": to_db(at), "status": status.value, "owner": owner_id, "id": report_id},
        )

    async def set_outcome(self, report_id: int, outcome: Outcome, note: str | None) -> None:
        await self.db.execute(
            "UPDATE reports SET outcome = ?, outcome_note = ? WHERE id = ?",
            (outcome.value, note, report_id),
        )

    async def set_merged_into(self, report_id: int, into: int) -> None:
        await self.db.execute("UPDATE reports SET merged_into = ? WHERE id = ?", (into, report_id))

    async def set_owner(self, report_id: int, owner_id: int | None) -> None:
        await self.db.execute(
            "UPDATE reports SET owner_id = ? WHERE id = ?", (owner_id, report_id)
        )

    async def open_in_office(self, office_id: int, since: datetime) -> list[Report]:
        rows = await self.db.fetch_all(
            f"SELECT * FROM reports WHERE office_id = ? AND status IN ({_OPEN})"
            " AND created_at >= ? ORDER BY id",
            (office_id, to_db(since)),
        )
        return [_report(r) for r in rows]

    async def open_owned_by(self, person_id: int) -> list[Report]:
        rows = await self.db.fetch_all(
            f"SELECT * FROM reports WHERE owner_id = ? AND status IN ({_OPEN}) ORDER BY id",
            (person_id,),
        )
        return [_report(r) for r in rows]

    async def listing(
        self,
        *,
        reporter_id: int | None = None,
        office_id: int | None = None,
        station_id: int | None = None,
        owner_id: int | None = None,
        open_only: bool = False,
        limit: int = 10,
        offset: int = 0,
    ) -> tuple[list[Report], int]:
        """A page of reports (open ones first, then newest) and how many there are."""
        where, params = ["1 = 1"], []
        for column, value in (
            ("reporter_id", reporter_id),
            ("office_id", office_id),
            ("station_id", station_id),
            ("owner_id", owner_id),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if open_only:
            where.append(f"status IN ({_OPEN})")
        clause = " AND ".join(where)
        total = await self.db.fetch_one(f"SELECT COUNT(*) FROM reports WHERE {clause}", params)
        rows = await self.db.fetch_all(
            f"SELECT * FROM reports WHERE {clause}"
            f" ORDER BY status IN ({_OPEN}) DESC, id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_report(r) for r in rows], int(total[0]) if total else 0

    # attachments and events
    async def add_attachment(
        self, report_id: int, kind: str, file_id: str, by: int | None, at: datetime
    ) -> None:
        await self.db.execute(
            "INSERT INTO report_attachments (report_id, kind, file_id, added_by, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (report_id, kind, file_id, by, to_db(at)),
        )

    async def attachments(self, report_id: int, kind: str) -> list[str]:
        rows = await self.db.fetch_all(
            "SELECT file_id FROM report_attachments WHERE report_id = ? AND kind = ? ORDER BY id",
            (report_id, kind),
        )
        return [r["file_id"] for r in rows]

    async def add_event(
        self,
        report_id: int,
        kind: EventKind,
        actor_id: int | None,
        at: datetime,
        detail: str | None = None,
    ) -> None:
        await self.db.execute(
            "INSERT INTO report_events (report_id, at, actor_id, kind, detail)"
            " VALUES (?, ?, ?, ?, ?)",
            (report_id, to_db(at), actor_id, kind.value, detail),
        )

    async def events(self, report_id: int) -> list[ReportEvent]:
        rows = await self.db.fetch_all(
            "SELECT * FROM report_events WHERE report_id = ? ORDER BY id", (report_id,)
        )
        return [
            ReportEvent(
                id=r["id"],
                report_id=r["report_id"],
                at=from_db(r["at"]),
                actor_id=r["actor_id"],
                kind=EventKind(r["kind"]),
                detail=r["detail"],
            )
            for r in rows
        ]


def _report(row: Row) -> Report:
    return Report(
        id=row["id"],
        station_id=row["station_id"],
        office_id=row["office_id"],
        year=row["year"],
        seq=row["seq"],
        reporter_id=row["reporter_id"],
        category=Category(row["category"]),
        urgent=bool(row["urgent"]),
        danger=bool(row["danger"]),
        money_lost=None if row["money_lost"] is None else bool(row["money_lost"]),
        loss_amount=row["loss_amount"],
        description=row["description"],
        voice_file_id=row["voice_file_id"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        place_id=row["place_id"],
        address=row["address"],
        status=ReportStatus(row["status"]),
        owner_id=row["owner_id"],
        outcome=Outcome(row["outcome"]) if row["outcome"] else None,
        outcome_note=row["outcome_note"],
        merged_into=row["merged_into"],
        created_at=from_db(row["created_at"]),
        acknowledged_at=from_db(row["acknowledged_at"]) if row["acknowledged_at"] else None,
        resolved_at=from_db(row["resolved_at"]) if row["resolved_at"] else None,
    )
