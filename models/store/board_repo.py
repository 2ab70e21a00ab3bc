"""What the station board (the Mini App) reads: open reports, active backup calls, places and
where checked-in members last were, by scope — on the read-only connection, so a board
refreshing every few seconds never takes the write lock nor waits for it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.clock import to_db
from models.stats import Scope
from models.store.db import Database
from models.store.stats_repo import where

OPEN_REPORTS = "('new', 'acknowledged', 'en_route', 'on_site')"
ACTIVE_CALLS = "('open', 'claimed', 'arrived')"
LIMIT = 500  # a board shows at most this many of each (the newest)
# each the largest rowid of its table: a seek to the table's last row, not a scan
VERSION = (
    "SELECT COALESCE((SELECT MAX(id) FROM reports), 0),"
    " COALESCE((SELECT MAX(id) FROM report_events), 0),"
    " COALESCE((SELECT MAX(id) FROM backup_events), 0),"
    " COALESCE((SELECT MAX(id) FROM checkins), 0)"
)


class BoardRepository:
    def __init__(self, db: Database) -> None:
        self.read = db.read_only()

    async def open_reports(self, scope: Scope) -> list[dict[str, Any]]:
        cond, params = where(scope, "r.station_id", "r.office_id")
        rows = await self.read.fetch_all(
            "SELECT r.id, r.year, r.seq, r.station_id, r.office_id, r.category, r.status,"
            " r.urgent, r.danger, r.latitude, r.longitude, r.created_at, r.owner_id,"
            " o.name office_name, pl.name place_name, pl.latitude place_latitude,"
            " pl.longitude place_longitude, w.name owner_name"
            " FROM reports r JOIN offices o ON o.id = r.office_id"
            " LEFT JOIN places pl ON pl.id = r.place_id"
            " LEFT JOIN people w ON w.id = r.owner_id"
            f" WHERE r.status IN {OPEN_REPORTS}" + cond + " ORDER BY r.id DESC LIMIT ?",
            [*params, LIMIT],
        )
        return [dict(r) for r in rows]

    async def active_calls(self, scope: Scope) -> list[dict[str, Any]]:
        cond, params = where(scope, "b.station_id", "b.office_id")
        rows = await self.read.fetch_all(
            "SELECT b.id, b.station_id, b.office_id, b.reason, b.status, b.step_index,"
            " b.waits, b.latitude, b.longitude, b.created_at, b.owner_id,"
            " o.name office_name, w.name owner_name"
            " FROM backup_requests b JOIN offices o ON o.id = b.office_id"
            " LEFT JOIN people w ON w.id = b.owner_id"
            f" WHERE b.status IN {ACTIVE_CALLS}" + cond + " ORDER BY b.id DESC LIMIT ?",
            [*params, LIMIT],
        )
        return [dict(r) for r in rows]

    async def offices(self, scope: Scope) -> list[dict[str, Any]]:
        cond, params = where(scope, "o.station_id", "o.id")
        rows = await self.read.fetch_all(
            "SELECT o.id, o.station_id, o.name, o.latitude, o.longitude FROM offices o"
            " WHERE o.active = 1" + cond + " ORDER BY o.id",
            params,
        )
        return [dict(r) for r in rows]

    async def places(self, scope: Scope) -> list[dict[str, Any]]:
        cond, params = where(scope, "o.station_id", "p.office_id")
        rows = await self.read.fetch_all(
            "SELECT p.id, p.office_id, p.name, p.is_village, p.is_patrol_area, p.is_hot_spot,"
            " p.latitude, p.longitude FROM places p JOIN offices o ON o.id = p.office_id"
            " WHERE p.active = 1" + cond + " ORDER BY p.id",
            params,
        )
        return [dict(r) for r in rows]

    async def members_out(self, scope: Scope, since: datetime) -> list[dict[str, Any]]:
        """Members checked in (not out) since `since`, where they last shared a location."""
        cond, params = where(scope, "o.station_id", "c.office_id")
        rows = await self.read.fetch_all(
            "SELECT c.id, c.person_id, c.office_id, c.started_at, c.latitude, c.longitude,"
            " p.name FROM checkins c JOIN offices o ON o.id = c.office_id"
            " JOIN people p ON p.id = c.person_id"
            " WHERE c.started_at >= ? AND c.ended_at IS NULL AND c.latitude IS NOT NULL"
            + cond
            + " ORDER BY c.started_at",
            [to_db(since), *params],
        )
        return [dict(r) for r in rows]

    async def version(self) -> tuple[int, int, int, int]:
        """Changes any board may want to show: the newest report, report event, backup
        event and check-in (a board asks again only when this moves)."""
        row = await self.read.fetch_one(VERSION)
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])
