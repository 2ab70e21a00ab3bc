"""The rails: the inbox of updates, the outbox of notifications, and timers as rows."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from aiosqlite import Row

from models.clock import from_db, to_db
from models.rails import BULK, URGENT, OutboxItem, Timer
from models.store import db as database
from models.store.db import Database

IS_DONE = "SELECT done_at FROM inbox WHERE update_id = ?"
ADD_OUTBOX = (
    "INSERT INTO outbox (chat_id, method, payload, urgent, edit_of, ref, next_attempt_at,"
    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _outbox_row(
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    priority: int,
    at: datetime,
    edit_of: int | None = None,
    ref: str | None = None,
    due: datetime | None = None,
) -> tuple[Any, ...]:
    return (
        chat_id,
        method,
        json.dumps(payload, ensure_ascii=False),
        priority,
        edit_of,
        ref,
        to_db(due or at),
        to_db(at),
    )


class InboxRepository:
    """Every update, stored before Telegram is told it arrived; marked done with its effects."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def store(
        self, update_id: int, callback_id: str | None, payload: str, at: datetime
    ) -> bool:
        """Keep an update; False when it (or its callback query) is already known."""
        self.db.changed.add("inbox")
        return (
            await self.db.execute_count(
                "INSERT OR IGNORE INTO inbox (update_id, callback_id, payload, received_at)"
                " VALUES (?, ?, ?, ?)",
                (update_id, callback_id, payload, to_db(at)),
            )
            > 0
        )

    async def begin_unless_done(self, update_id: int, savepoint: str) -> bool:
        """Whether the update still needs processing; if so, a savepoint for its effects is
        open (the check and the savepoint in one round trip to the database)."""
        if database.TRACE is not None:
            database.TRACE.add(IS_DONE)

        def work(raw: sqlite3.Connection) -> bool:
            row = raw.execute(IS_DONE, (update_id,)).fetchone()
            if row is not None and row[0] is not None:
                return False
            raw.execute(f"SAVEPOINT {savepoint}").close()
            return True

        return bool(await self.db._unit(work))

    def mark_done(self, update_id: int, at: datetime, failed: bool) -> None:
        """Deferred: it runs with the update's release or the batch's commit."""
        self.db.changed.add("inbox")
        self.db.defer(
            "UPDATE inbox SET done_at = ?, failed = ? WHERE update_id = ?",
            (to_db(at), int(failed), update_id),
        )

    async def pending(self) -> list[str]:
        rows = await self.db.fetch_all(
            "SELECT payload FROM inbox WHERE done_at IS NULL ORDER BY update_id"
        )
        return [r["payload"] for r in rows]


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def open_of_ref(self, ref: str) -> bool:
        """Whether something with this ref is still to be sent (by the partial index)."""
        row = await self.db.fetch_one(
            "SELECT 1 FROM outbox WHERE ref = ? AND status IN ('pending', 'sending') LIMIT 1",
            (ref,),
        )
        return row is not None

    async def add(
        self,
        *,
        chat_id: int,
        method: str,
        payload: dict[str, Any],
        priority: int,
        at: datetime,
        edit_of: int | None = None,
        ref: str | None = None,
        due: datetime | None = None,
    ) -> int:
        self.db.changed.add("outbox")  # the sender wakes when this commits
        return await self.db.execute(
            ADD_OUTBOX, _outbox_row(chat_id, method, payload, priority, at, edit_of, ref, due)
        )

    def add_deferred(
        self, *, chat_id: int, method: str, payload: dict[str, Any], priority: int, at: datetime
    ) -> None:
        """`add` for a row whose id nobody needs (a reply): written with the transaction's
        next statement or its commit (`Database.defer`), in the same order."""
        self.db.changed.add("outbox")
        self.db.defer(ADD_OUTBOX, _outbox_row(chat_id, method, payload, priority, at))

    async def get(self, item_id: int) -> OutboxItem | None:
        row = await self.db.fetch_one("SELECT * FROM outbox WHERE id = ?", (item_id,))
        return _item(row) if row else None

    async def due(
        self,
        now: datetime,
        busy_chats: set[int],
        limit: int,
        *,
        normal_limit: int | None = None,
        min_priority: int = BULK,
    ) -> list[OutboxItem]:
        """Up to `limit` items to send now, at most one per chat, in send order;
        of them at most `normal_limit` below URGENT (the rest of the room is kept for urgent
        ones), and none below `min_priority` (bulk waits while its lane is paused)."""
        busy = ",".join(str(int(c)) for c in busy_chats) or "0"  # chat 0 does not exist
        rows = await self.db.fetch_all(
            "SELECT o.* FROM outbox o LEFT JOIN outbox e ON e.id = o.edit_of"
            " WHERE o.status = 'pending' AND o.next_attempt_at <= ? AND o.urgent >= ?"
            f" AND o.chat_id NOT IN ({busy})"
            " AND (o.edit_of IS NULL OR e.status IN ('sent', 'failed'))"
            " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.chat_id = o.chat_id"
            "   AND p.status IN ('pending', 'sending') AND p.id < o.id AND p.urgent >= o.urgent)"
            " ORDER BY o.urgent DESC, o.id LIMIT ?",
            (to_db(now), min_priority, 2 * limit),  # an urgent and an older item may share a chat
        )
        items: list[OutboxItem] = []
        chats: set[int] = set()
        normal = 0
        for row in rows:
            if row["chat_id"] in chats or len(items) >= limit:
                continue
            if normal_limit is not None and row["urgent"] < URGENT:
                if normal >= normal_limit:
                    continue
                normal += 1
            chats.add(row["chat_id"])
            items.append(_item(row))
        return items

    async def first_pending(self, chat_id: int, after: int) -> OutboxItem | None:
        """The chat's oldest item queued after item `after` that may go now."""
        row = await self.db.fetch_one(
            "SELECT * FROM outbox WHERE chat_id = ? AND status = 'pending' AND id > ?"
            " AND edit_of IS NULL AND next_attempt_at <= created_at ORDER BY id LIMIT 1",
            (chat_id, after),
        )
        return _item(row) if row else None

    async def last_id(self) -> int:
        row = await self.db.fetch_one("SELECT MAX(id) FROM outbox")
        return int(row[0]) if row and row[0] is not None else 0

    async def claim(self, item_id: int) -> bool:
        return await self.claim_many([item_id]) == [item_id]

    async def claim_many(self, item_ids: list[int]) -> list[int]:
        """Mark items as being sent (one statement); the ids that were still pending."""
        if not item_ids:
            return []
        marks = ",".join("?" * len(item_ids))
        rows = await self.db.fetch_all(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1"
            f" WHERE id IN ({marks}) AND status = 'pending' RETURNING id",
            item_ids,
        )
        claimed = {row["id"] for row in rows}
        return [i for i in item_ids if i in claimed]

    async def mark_sent_many(self, sent: list[tuple[int, int | None]], at: datetime) -> None:
        """Record deliveries (one statement per call, however many)."""
        await self.db.execute_many(
            "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?, error = NULL"
            " WHERE id = ?",
            [(message_id, to_db(at), item_id) for item_id, message_id in sent],
        )

    async def retry_later(
        self, item_id: int, at: datetime, error: str, possible_duplicate: bool
    ) -> None:
        await self.db.execute(
            "UPDATE outbox SET status = 'pending', next_attempt_at = ?, error = ?,"
            " possible_duplicate = MAX(possible_duplicate, ?) WHERE id = ?",
            (to_db(at), error, int(possible_duplicate), item_id),
        )

    async def retry_now(self, now: datetime) -> int:
        """Telegram answers again: what waits only because it did not is due now."""
        return await self.db.execute_count(
            "UPDATE outbox SET next_attempt_at = ? WHERE status = 'pending'"
            " AND next_attempt_at > ? AND (error LIKE 'network:%' OR error LIKE 'timed out:%')",
            (to_db(now), to_db(now)),
        )

    async def forget_spec(self, item_id: int) -> None:
        """Drop what a generated file was drawn from, once it is sent or failed for good."""
        await self.db.execute(
            "UPDATE outbox SET payload = json_remove(payload, '$.spec') WHERE id = ?", (item_id,)
        )

    async def mark_failed(self, item_id: int, error: str) -> None:
        await self.db.execute(
            "UPDATE outbox SET status = 'failed', error = ? WHERE id = ?", (error, item_id)
        )

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        await self.db.execute(
            "UPDATE outbox SET chat_id = ? WHERE chat_id = ? AND status IN ('pending', 'sending')",
            (new_chat_id, old_chat_id),
        )

    async def recover_in_flight(self) -> int:
        """After a crash, sends in flight have an unknown outcome: send again, flagged."""
        return await self.db.execute_count(
            "UPDATE outbox SET status = 'pending', possible_duplicate = 1 WHERE status = 'sending'"
        )

    async def next_attempt(self) -> datetime | None:
        row = await self.db.fetch_one(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'"
        )
        return from_db(row[0]) if row and row[0] else None

    async def by_ref(self, ref: str) -> list[OutboxItem]:
        rows = await self.db.fetch_all("SELECT * FROM outbox WHERE ref = ? ORDER BY id", (ref,))
        return [_item(r) for r in rows]

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetch_all("SELECT status, COUNT(*) n FROM outbox GROUP BY status")
        return {r["status"]: r["n"] for r in rows}


class TimerRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def put(
        self, kind: str, key: str, due_at: datetime, payload: dict[str, Any], at: datetime
    ) -> None:
        """Create or replace the timer with this key (a re-armed timer starts over); inside
        a write transaction it is written with the next statement or the commit."""
        sql = (
            "INSERT INTO timers (kind, key, due_at, payload, created_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET kind = excluded.kind, due_at = excluded.due_at,"
            " payload = excluded.payload, attempts = 0, done_at = NULL, outcome = NULL"
        )
        params = (kind, key, to_db(due_at), json.dumps(payload, ensure_ascii=False), to_db(at))
        if self.db.in_write:
            self.db.defer(sql, params)
        else:
            await self.db.execute(sql, params)

    async def ensure(
        self, kind: str, key: str, due_at: datetime, payload: dict[str, Any], at: datetime
    ) -> bool:
        """Create the timer unless one with this key exists (done or not): idempotent."""
        return (
            await self.db.execute_count(
                "INSERT OR IGNORE INTO timers (kind, key, due_at, payload, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (kind, key, to_db(due_at), json.dumps(payload, ensure_ascii=False), to_db(at)),
            )
            > 0
        )

    async def get(self, key: str) -> Timer | None:
        row = await self.db.fetch_one("SELECT * FROM timers WHERE key = ?", (key,))
        return _timer(row) if row else None

    async def by_id(self, timer_id: int) -> Timer | None:
        row = await self.db.fetch_one("SELECT * FROM timers WHERE id = ?", (timer_id,))
        return _timer(row) if row else None

    async def finish(self, timer_id: int, at: datetime, outcome: str) -> bool:
        """Mark done, once: the fencing step that makes a timer and the sweeper race safely."""
        return (
            await self.db.execute_count(
                "UPDATE timers SET done_at = ?, outcome = ? WHERE id = ? AND done_at IS NULL",
                (to_db(at), outcome, timer_id),
            )
            > 0
        )

    async def cancel(self, key: str, at: datetime) -> bool:
        return (
            await self.db.execute_count(
                "UPDATE timers SET done_at = ?, outcome = 'cancelled'"
                " WHERE key = ? AND done_at IS NULL",
                (to_db(at), key),
            )
            > 0
        )

    async def postpone(self, timer_id: int, due_at: datetime) -> None:
        await self.db.execute(
            "UPDATE timers SET due_at = ?, attempts = attempts + 1 WHERE id = ?",
            (to_db(due_at), timer_id),
        )

    async def due(self, now: datetime, limit: int = 200) -> list[Timer]:
        rows = await self.db.fetch_all(
            "SELECT * FROM timers WHERE done_at IS NULL AND due_at <= ? ORDER BY due_at, id"
            " LIMIT ?",
            (to_db(now), limit),
        )
        return [_timer(r) for r in rows]

    async def pending(self) -> list[Timer]:
        rows = await self.db.fetch_all(
            "SELECT * FROM timers WHERE done_at IS NULL ORDER BY due_at, id"
        )
        return [_timer(r) for r in rows]


def _item(row: Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        chat_id=row["chat_id"],
        method=row["method"],
        payload=json.loads(row["payload"]),
        priority=int(row["urgent"]),
        status=row["status"],
        edit_of=row["edit_of"],
        ref=row["ref"],
        attempts=row["attempts"],
        next_attempt_at=from_db(row["next_attempt_at"]),
        possible_duplicate=bool(row["possible_duplicate"]),
        message_id=row["message_id"],
        error=row["error"],
        created_at=from_db(row["created_at"]),
    )


def _timer(row: Row) -> Timer:
    return Timer(
        id=row["id"],
        kind=row["kind"],
        key=row["key"],
        due_at=from_db(row["due_at"]),
        payload=json.loads(row["payload"]),
        attempts=row["attempts"],
        done_at=from_db(row["done_at"]) if row["done_at"] else None,
        outcome=row["outcome"],
    )
