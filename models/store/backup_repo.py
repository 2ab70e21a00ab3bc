"""Backup requests, who was notified at which step, and the request's timeline."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiosqlite import Row

from models.backup import BackupEvent, BackupEventKind, BackupReason, BackupRequest, BackupStatus
from models.clock import from_db, to_db
from models.store.db import Database

_OPEN = "('open', 'claimed', 'arrived')"


class BackupRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        *,
        station_id: int,
        office_id: int,
        requester_id: int,
        reason: BackupReason,
        waits: tuple[int, ...],
        at: datetime,
        report_id: int | None = None,
    ) -> int:
        return await self.db.execute(
            "INSERT INTO backup_requests (station_id, office_id, requester_id, reason, report_id,"
            " waits, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                station_id,
                office_id,
                requester_id,
                reason.value,
                report_id,
                json.dumps(list(waits)),
                to_db(at),
            ),
        )

    async def get(self, request_id: int) -> BackupRequest | None:
        row = await self.db.fetch_one("SELECT * FROM backup_requests WHERE id = ?", (request_id,))
        return _request(row) if row else None

    async def open_of(self, requester_id: int) -> BackupRequest | None:
        row = await self.db.fetch_one(
            f"SELECT * FROM backup_requests WHERE requester_id = ? AND status IN {_OPEN}"
            " ORDER BY id DESC LIMIT 1",
            (requester_id,),
        )
        return _request(row) if row else None

    async def latest_of(self, requester_id: int) -> BackupRequest | None:
        row = await self.db.fetch_one(
            "SELECT * FROM backup_requests WHERE requester_id = ? ORDER BY id DESC LIMIT 1",
            (requester_id,),
        )
        return _request(row) if row else None

    async def set_step(self, request_id: int, step_index: int) -> None:
        await self.db.execute(
            "UPDATE backup_requests SET step_index = ? WHERE id = ?", (step_index, request_id)
        )

    async def set_location(self, request_id: int, latitude: float, longitude: float) -> None:
        await self.db.execute(
            "UPDATE backup_requests SET latitude = ?, longitude = ? WHERE id = ?",
            (latitude, longitude, request_id),
        )

    async def set_live(self, request_id: int, chat_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE backup_requests SET live_chat_id = ?, live_message_id = ? WHERE id = ?",
            (chat_id, message_id, request_id),
        )

    async def reopen(self, request_id: int) -> None:
        """The owner left: the request is open again and its chain starts over."""
        await self.db.execute(
            "UPDATE backup_requests SET status = 'open', owner_id = NULL, claimed_at = NULL,"
            " arrived_at = NULL, step_index = -1 WHERE id = ?",
            (request_id,),
        )

    async def open_owned_by(self, person_id: int) -> list[BackupRequest]:
        rows = await self.db.fetch_all(
            f"SELECT * FROM backup_requests WHERE owner_id = ? AND status IN {_OPEN}",
            (person_id,),
        )
        return [_request(r) for r in rows]

    async def link_report(self, request_id: int, report_id: int) -> None:
        await self.db.execute(
            "UPDATE backup_requests SET report_id = ? WHERE id = ?", (report_id, request_id)
        )

    async def claim(self, request_id: int, owner_id: int, at: datetime) -> bool:
        """The first "on my way" wins: a conditional update, so exactly one owner."""
        return (
            await self.db.execute_count(
                "UPDATE backup_requests SET status = 'claimed', owner_id = ?, claimed_at = ?"
                " WHERE id = ? AND status = 'open'",
                (owner_id, to_db(at), request_id),
            )
            > 0
        )

    async def set_status(
        self, request_id: int, status: BackupStatus, at: datetime, note: str | None = None
    ) -> None:
        column = {
            BackupStatus.ARRIVED: "arrived_at",
            BackupStatus.RESOLVED: "resolved_at",
            BackupStatus.CANCELLED: "resolved_at",
        }[status]
        await self.db.execute(
            f"UPDATE backup_requests SET status = ?, {column} = ?, note = COALESCE(?, note)"
            " WHERE id = ?",
            (status.value, to_db(at), note, request_id),
        )

    # notifications
    async def add_notification(
        self,
        request_id: int,
        step_index: int,
        person_id: int | None,
        chat_id: int,
        outbox_id: int,
        at: datetime,
    ) -> None:
        await self.db.execute(
            "INSERT INTO backup_notifications (request_id, step_index, person_id, chat_id,"
            " outbox_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (request_id, step_index, person_id, chat_id, outbox_id, to_db(at)),
        )

    async def notifications(self, request_id: int) -> list[dict[str, Any]]:
        rows = await self.db.fetch_all(
            "SELECT * FROM backup_notifications WHERE request_id = ? ORDER BY id", (request_id,)
        )
        return [dict(r) for r in rows]

    async def respond(self, request_id: int, step_index: int, chat_id: int, response: str) -> int:
        return await self.db.execute_count(
            "UPDATE backup_notifications SET response = ? WHERE request_id = ?"
            " AND step_index = ? AND chat_id = ? AND response IS NULL",
            (response, request_id, step_index, chat_id),
        )

    async def respond_by_outbox(self, outbox_id: int, response: str) -> dict[str, Any] | None:
        row = await self.db.fetch_one(
            "SELECT * FROM backup_notifications WHERE outbox_id = ?", (outbox_id,)
        )
        if row is None:
            return None
        await self.db.execute(
            "UPDATE backup_notifications SET response = COALESCE(response, ?) WHERE id = ?",
            (response, row["id"]),
        )
        return dict(row)

    async def not_through_told(self, request_id: int) -> bool:
        """Whether the member was told already that this call reached nobody."""
        row = await self.db.fetch_one(
            "SELECT 1 FROM backup_events WHERE request_id = ? AND kind = 'not_through'",
            (request_id,),
        )
        return row is not None

    async def step_failed_told(self, request_id: int) -> bool:
        """Whether the member and the operators were told that a step of this call failed."""
        row = await self.db.fetch_one(
            "SELECT 1 FROM backup_events WHERE request_id = ? AND kind = 'step_failed'",
            (request_id,),
        )
        return row is not None

    async def declined_chats(self, request_id: int) -> set[int]:
        """The private chats that said "cannot go" to this call, at any step."""
        rows = await self.db.fetch_all(
            "SELECT DISTINCT chat_id FROM backup_notifications"
            " WHERE request_id = ? AND response = 'cannot_go'",
            (request_id,),
        )
        return {int(r["chat_id"]) for r in rows}

    async def step_all_declined(self, request_id: int, step_index: int) -> bool:
        """Everyone notified at this step said "cannot go" (or could not be reached)."""
        row = await self.db.fetch_one(
            "SELECT COUNT(*) total, SUM(response IS NOT NULL) answered FROM backup_notifications"
            " WHERE request_id = ? AND step_index = ?",
            (request_id, step_index),
        )
        return row is not None and row["total"] > 0 and row["total"] == row["answered"]

    # events
    async def add_event(
        self,
        request_id: int,
        kind: BackupEventKind,
        actor_id: int | None,
        at: datetime,
        detail: str | None = None,
    ) -> None:
        await self.db.execute(
            "INSERT INTO backup_events (request_id, at, actor_id, kind, detail)"
            " VALUES (?, ?, ?, ?, ?)",
            (request_id, to_db(at), actor_id, kind.value, detail),
        )

    async def events(self, request_id: int) -> list[BackupEvent]:
        rows = await self.db.fetch_all(
            "SELECT * FROM backup_events WHERE request_id = ? ORDER BY id", (request_id,)
        )
        return [
            BackupEvent(
                id=r["id"],
                request_id=r["request_id"],
                at=from_db(r["at"]),
                actor_id=r["actor_id"],
                kind=BackupEventKind(r["kind"]),
                detail=r["detail"],
            )
            for r in rows
        ]


def _request(row: Row) -> BackupRequest:
    return BackupRequest(
        id=row["id"],
        station_id=row["station_id"],
        office_id=row["office_id"],
        requester_id=row["requester_id"],
        reason=BackupReason(row["reason"]),
        report_id=row["report_id"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        status=BackupStatus(row["status"]),
        waits=tuple(json.loads(row["waits"])),
        step_index=row["step_index"],
        owner_id=row["owner_id"],
        created_at=from_db(row["created_at"]),
        claimed_at=from_db(row["claimed_at"]) if row["claimed_at"] else None,
        arrived_at=from_db(row["arrived_at"]) if row["arrived_at"] else None,
        resolved_at=from_db(row["resolved_at"]) if row["resolved_at"] else None,
        note=row["note"],
        live_chat_id=row["live_chat_id"],
        live_message_id=row["live_message_id"],
    )
