"""The queries behind statistics and exports: read-only, by scope (county, station or office)
and a UTC time range [start, end) or a range of local days."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from models.clock import from_db, to_db
from models.stats import Scope
from models.store.db import Database


def where(scope: Scope, station_column: str, office_column: str) -> tuple[str, list[Any]]:
    """The SQL condition and parameters that keep rows of `scope`."""
    if scope.office_id is not None:
        return f" AND {office_column} = ?", [scope.office_id]
    if scope.station_id is not None:
        return f" AND {station_column} = ?", [scope.station_id]
    return "", []


class StatsRepository:
    """The figures read through the read-only connection (a county-year is a long read that
    must not hold the write lock); the five zeros are written through the writer."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.read = db.read_only()

    async def reports(self, scope: Scope, start: datetime, end: datetime) -> list[dict[str, Any]]:
        cond, params = where(scope, "r.station_id", "r.office_id")
        rows = await self.read.fetch_all(
            "SELECT r.*, o.name office_name, p.name reporter_name, p.phone reporter_phone,"
            " w.name owner_name, pl.name place_name"
            " FROM reports r JOIN offices o ON o.id = r.office_id"
            " JOIN people p ON p.id = r.reporter_id"
            " LEFT JOIN people w ON w.id = r.owner_id"
            " LEFT JOIN places pl ON pl.id = r.place_id"
            " WHERE r.created_at >= ? AND r.created_at < ?"
            + cond
            + " ORDER BY r.created_at, r.id",
            [to_db(start), to_db(end), *params],
        )
        return [dict(r) for r in rows]

    async def backup_requests(
        self, scope: Scope, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        cond, params = where(scope, "b.station_id", "b.office_id")
        rows = await self.read.fetch_all(
            "SELECT b.*, o.name office_name, p.name requester_name, p.phone requester_phone,"
            " w.name owner_name, (SELECT MAX(CAST(substr(e.detail, 1, instr(e.detail, ':') - 1)"
            "   AS INTEGER)) FROM backup_events e WHERE e.request_id = b.id AND e.kind = 'step')"
            " highest_step FROM backup_requests b JOIN offices o ON o.id = b.office_id"
            " JOIN people p ON p.id = b.requester_id LEFT JOIN people w ON w.id = b.owner_id"
            " WHERE b.created_at >= ? AND b.created_at < ?"
            + cond
            + " ORDER BY b.created_at, b.id",
            [to_db(start), to_db(end), *params],
        )
        return [dict(r) for r in rows]

    async def assignments(self, scope: Scope, first: date, last: date) -> list[dict[str, Any]]:
        """Planned patrol slots of the days, each with its check-in (if any)."""
        cond, params = where(scope, "o.station_id", "a.office_id")
        rows = await self.read.fetch_all(
            "SELECT a.*, o.name office_name, pl.name area_name, p.name member_name,"
            " p.phone member_phone, c.id checkin_id, c.started_at, c.ended_at,"
            " c.households, c.publicity, c.hazards, c.disputes, c.note, c.auto_closed"
            " FROM assignments a JOIN offices o ON o.id = a.office_id"
            " JOIN places pl ON pl.id = a.area_id JOIN people p ON p.id = a.member_id"
            " LEFT JOIN checkins c ON c.id = (SELECT MIN(id) FROM checkins"
            "   WHERE assignment_id = a.id)"
            " WHERE a.status = 'planned' AND a.day >= ? AND a.day <= ?"
            + cond
            + " ORDER BY a.day, a.starts_at, a.id",
            [first.isoformat(), last.isoformat(), *params],
        )
        return [dict(r) for r in rows]

    async def slot_counts(
        self, scope: Scope, first: date, last: date, now: datetime
    ) -> tuple[int, int, int]:
        """Planned slots of the days: how many, how many were checked in, how many ended
        without a check-in (counted in SQL: a county-year is 130,000 slots)."""
        cond, params = where(scope, "o.station_id", "a.office_id")
        row = await self.read.fetch_one(
            "SELECT COUNT(*) planned, COALESCE(SUM(c.id IS NOT NULL), 0) checked,"
            " COALESCE(SUM(c.id IS NULL AND a.ends_at <= ?), 0) missed"
            " FROM assignments a JOIN offices o ON o.id = a.office_id"
            " LEFT JOIN checkins c ON c.id = (SELECT MIN(id) FROM checkins"
            "   WHERE assignment_id = a.id)"
            " WHERE a.status = 'planned' AND a.day >= ? AND a.day <= ?" + cond,
            [to_db(now), first.isoformat(), last.isoformat(), *params],
        )
        return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)

    async def checkin_totals(
        self, scope: Scope, start: datetime, end: datetime
    ) -> dict[str, float]:
        """Seconds walked and the check-out logs' sums of the check-ins started in the range."""
        cond, params = where(scope, "o.station_id", "c.office_id")
        row = await self.read.fetch_one(
            "SELECT COALESCE(SUM((julianday(c.ended_at) - julianday(c.started_at)) * 86400.0),"
            " 0) seconds, COALESCE(SUM(c.households), 0) households,"
            " COALESCE(SUM(c.publicity), 0) publicity, COALESCE(SUM(c.hazards), 0) hazards,"
            " COALESCE(SUM(c.disputes), 0) disputes"
            " FROM checkins c LEFT JOIN offices o ON o.id = c.office_id"
            " WHERE c.started_at >= ? AND c.started_at < ?" + cond,
            [to_db(start), to_db(end), *params],
        )
        return dict(row) if row else {}

    async def checkins(self, scope: Scope, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every check-in that started in the range (with or without a planned slot)."""
        cond, params = where(scope, "o.station_id", "c.office_id")
        rows = await self.read.fetch_all(
            "SELECT c.*, o.name office_name, p.name member_name, p.phone member_phone"
            " FROM checkins c JOIN people p ON p.id = c.person_id"
            " LEFT JOIN offices o ON o.id = c.office_id"
            " WHERE c.started_at >= ? AND c.started_at < ?" + cond + " ORDER BY c.started_at",
            [to_db(start), to_db(end), *params],
        )
        return [dict(r) for r in rows]

    async def tips_delivered(self, scope: Scope, start: datetime, end: datetime) -> int:
        cond, params = where(scope, "g.station_id", "g.office_id")
        row = await self.read.fetch_one(
            "SELECT COUNT(*) n FROM group_tips t JOIN outbox ob ON ob.id = t.outbox_id"
            " JOIN chat_groups g ON g.chat_id = t.chat_id"
            " WHERE ob.status = 'sent' AND t.sent_at >= ? AND t.sent_at < ?" + cond,
            [to_db(start), to_db(end), *params],
        )
        return int(row["n"]) if row else 0

    async def broadcasts_delivered(self, scope: Scope, start: datetime, end: datetime) -> int:
        """Broadcast messages delivered to chats of the scope (its groups and people)."""
        cond_g, params_g = where(scope, "g.station_id", "g.office_id")
        cond_p, params_p = where(scope, "p.station_id", "p.office_id")
        scoped = ""
        if cond_g:
            scoped = f" AND ((g.chat_id IS NOT NULL{cond_g}) OR (p.id IS NOT NULL{cond_p}))"
        row = await self.read.fetch_one(
            "SELECT COUNT(*) n FROM broadcast_recipients r"
            " JOIN broadcasts b ON b.id = r.broadcast_id JOIN outbox ob ON ob.id = r.outbox_id"
            " LEFT JOIN chat_groups g ON g.chat_id = r.chat_id"
            " LEFT JOIN people p ON p.tg_user_id = r.chat_id"
            " WHERE ob.status = 'sent' AND b.created_at >= ? AND b.created_at < ?" + scoped,
            [to_db(start), to_db(end), *params_g, *params_p],
        )
        return int(row["n"]) if row else 0

    async def scam_checks(self, scope: Scope, start: datetime, end: datetime) -> int:
        """Scam checks asked in the range; a station or office counts its own people's."""
        cond, params = where(scope, "p.station_id", "p.office_id")
        join = "JOIN" if cond else "LEFT JOIN"
        row = await self.read.fetch_one(
            f"SELECT COUNT(*) n FROM scam_checks s {join} people p ON p.id = s.person_id"
            " WHERE s.at >= ? AND s.at < ?" + cond,
            [to_db(start), to_db(end), *params],
        )
        return int(row["n"]) if row else 0

    async def station_created(self, station_id: int) -> datetime | None:
        row = await self.db.fetch_one(
            "SELECT created_at FROM stations WHERE id = ?", (station_id,)
        )
        return from_db(row["created_at"]) if row else None

    # five zeros
    async def zeros(self, station_id: int, months: list[str]) -> list[dict[str, Any]]:
        marks = ",".join("?" for _ in months)
        rows = await self.db.fetch_all(
            f"SELECT * FROM five_zeros WHERE station_id = ? AND month IN ({marks})",
            [station_id, *months],
        )
        return [dict(r) for r in rows]

    async def put_zero(
        self,
        station_id: int,
        month: str,
        item: str,
        count: int,
        note: str | None,
        actor_id: int,
        at: datetime,
    ) -> None:
        await self.db.execute(
            "INSERT INTO five_zeros (station_id, month, item, count, note, updated_by, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (station_id, month, item) DO UPDATE SET"
            " count = excluded.count, note = excluded.note, updated_by = excluded.updated_by,"
            " updated_at = excluded.updated_at",
            (station_id, month, item, count, note, actor_id, to_db(at)),
        )

    async def known_zeros(self, station_id: int, start: datetime, end: datetime) -> dict[str, int]:
        """What the bot knows for a month: fraud reports with money lost, and disputes the
        officer referred upward (to another department)."""
        row = await self.db.fetch_one(
            "SELECT"
            " SUM(category = 'fraud' AND money_lost = 1) fraud,"
            " SUM(category = 'dispute' AND outcome = 'other_department') disputes_upward"
            " FROM reports WHERE station_id = ? AND created_at >= ? AND created_at < ?"
            " AND status != 'merged'",
            (station_id, to_db(start), to_db(end)),
        )
        if row is None:
            return {}
        return {
            "fraud": int(row["fraud"] or 0),
            "disputes_upward": int(row["disputes_upward"] or 0),
        }
