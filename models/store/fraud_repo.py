"""Tips, the weekly tip each group got, broadcasts with their recipients, scam checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.clock import to_db
from models.store.db import Database


class FraudRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # tips
    async def ensure_tip(self, key: str, scam_type: str, zh: str, en: str, at: datetime) -> None:
        await self.db.execute(
            "INSERT OR IGNORE INTO tips (key, scam_type, zh_text, en_text, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (key, scam_type, zh, en, to_db(at)),
        )

    async def add_tip(self, zh: str, en: str, picture: str | None, by: int, at: datetime) -> int:
        return await self.db.execute(
            "INSERT INTO tips (zh_text, en_text, picture, updated_by, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (zh, en, picture, by, to_db(at)),
        )

    async def tip(self, tip_id: int) -> dict[str, Any] | None:
        row = await self.db.fetch_one("SELECT * FROM tips WHERE id = ?", (tip_id,))
        return dict(row) if row else None

    async def tip_by_key(self, key: str) -> dict[str, Any] | None:
        row = await self.db.fetch_one("SELECT * FROM tips WHERE key = ?", (key,))
        return dict(row) if row else None

    async def tips(self, enabled_only: bool = False) -> list[dict[str, Any]]:
        rows = await self.db.fetch_all(
            "SELECT * FROM tips WHERE enabled >= ? ORDER BY id", (int(enabled_only),)
        )
        return [dict(r) for r in rows]

    async def set_tip(
        self, tip_id: int, column: str, value: object, by: int, at: datetime
    ) -> None:
        if column not in ("zh_text", "en_text", "picture", "enabled"):
            raise ValueError(column)
        await self.db.execute(
            f"UPDATE tips SET {column} = ?, updated_by = ?, updated_at = ? WHERE id = ?",
            (value, by, to_db(at), tip_id),
        )

    # the weekly tip
    async def group_history(self, chat_id: int) -> list[int]:
        rows = await self.db.fetch_all(
            "SELECT tip_id FROM group_tips WHERE chat_id = ? ORDER BY week", (chat_id,)
        )
        return [int(r["tip_id"]) for r in rows]

    async def sent_this_week(self, chat_id: int, week: str) -> bool:
        row = await self.db.fetch_one(
            "SELECT 1 FROM group_tips WHERE chat_id = ? AND week = ?", (chat_id, week)
        )
        return row is not None

    async def record_tip(
        self, chat_id: int, week: str, tip_id: int, outbox_id: int, at: datetime
    ) -> None:
        await self.db.execute(
            "INSERT INTO group_tips (chat_id, week, tip_id, outbox_id, sent_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (chat_id, week, tip_id, outbox_id, to_db(at)),
        )

    async def set_group_tips(self, chat_id: int, paused: bool | None, opt_in: bool | None) -> None:
        if paused is not None:
            await self.db.execute(
                "UPDATE chat_groups SET tips_paused = ? WHERE chat_id = ?", (int(paused), chat_id)
            )
        if opt_in is not None:
            await self.db.execute(
                "UPDATE chat_groups SET tips_opt_in = ? WHERE chat_id = ?", (int(opt_in), chat_id)
            )

    async def tip_groups(self, station_id: int) -> list[dict[str, Any]]:
        """Active registered groups that get the weekly tip: public ones not paused, and
        staff groups that opted in."""
        rows = await self.db.fetch_all(
            "SELECT * FROM chat_groups WHERE station_id = ? AND active = 1 AND tips_paused = 0"
            " AND (kind = 'public' OR (kind = 'staff' AND tips_opt_in = 1)) ORDER BY chat_id",
            (station_id,),
        )
        return [dict(r) for r in rows]

    async def group_flags(self, chat_id: int) -> dict[str, Any] | None:
        row = await self.db.fetch_one(
            "SELECT tips_paused, tips_opt_in FROM chat_groups WHERE chat_id = ?", (chat_id,)
        )
        return dict(row) if row else None

    # broadcasts
    async def add_broadcast(self, fields: dict[str, Any]) -> int:
        columns = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        return await self.db.execute(
            f"INSERT INTO broadcasts ({columns}) VALUES ({marks})", tuple(fields.values())
        )

    async def broadcast(self, broadcast_id: int) -> dict[str, Any] | None:
        row = await self.db.fetch_one("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return dict(row) if row else None

    async def sending(self) -> list[dict[str, Any]]:
        rows = await self.db.fetch_all("SELECT * FROM broadcasts WHERE status = 'sending'")
        return [dict(r) for r in rows]

    async def set_progress(self, broadcast_id: int, outbox_id: int) -> None:
        await self.db.execute(
            "UPDATE broadcasts SET progress_outbox_id = ? WHERE id = ?", (outbox_id, broadcast_id)
        )

    async def finish(self, broadcast_id: int, at: datetime) -> bool:
        return (
            await self.db.execute_count(
                "UPDATE broadcasts SET status = 'done', done_at = ? WHERE id = ?"
                " AND status = 'sending'",
                (to_db(at), broadcast_id),
            )
            > 0
        )

    async def add_recipient(self, broadcast_id: int, chat_id: int, outbox_id: int) -> None:
        await self.db.execute(
            "INSERT INTO broadcast_recipients (broadcast_id, chat_id, outbox_id) VALUES (?, ?, ?)",
            (broadcast_id, chat_id, outbox_id),
        )

    async def delivery(self, broadcast_id: int) -> dict[str, int]:
        rows = await self.db.fetch_all(
            "SELECT o.status, COUNT(*) n FROM broadcast_recipients r JOIN outbox o"
            " ON o.id = r.outbox_id WHERE r.broadcast_id = ? GROUP BY o.status",
            (broadcast_id,),
        )
        return {r["status"]: int(r["n"]) for r in rows}

    async def failures(self, broadcast_id: int) -> list[tuple[int, str]]:
        rows = await self.db.fetch_all(
            "SELECT r.chat_id, o.error FROM broadcast_recipients r JOIN outbox o"
            " ON o.id = r.outbox_id WHERE r.broadcast_id = ? AND o.status = 'failed'",
            (broadcast_id,),
        )
        return [(int(r["chat_id"]), str(r["error"] or "")) for r in rows]

    # scam checks
    async def record_check(
        self,
        tg_user_id: int,
        person_id: int | None,
        scam_type: str | None,
        text: str | None,
        at: datetime,
    ) -> int:
        """A check, with the text when a member may file it as a report afterwards."""
        return await self.db.execute(
            "INSERT INTO scam_checks (tg_user_id, person_id, scam_type, text, at)"
            " VALUES (?, ?, ?, ?, ?)",
            (tg_user_id, person_id, scam_type, text, to_db(at)),
        )

    async def check_text(self, check_id: int, tg_user_id: int) -> str | None:
        row = await self.db.fetch_one(
            "SELECT text FROM scam_checks WHERE id = ? AND tg_user_id = ?", (check_id, tg_user_id)
        )
        return str(row["text"]) if row and row["text"] else None
