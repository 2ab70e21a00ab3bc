"""The inbox's bookkeeping: every update stored before Telegram is told it arrived, marked
done in the transaction of its effects (the Telegram side is handlers/inbox.py)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from models.clock import Clock
from models.store.db import Database
from models.store.rails_repo import InboxRepository


class InboxService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.repo = InboxRepository(db)

    async def store(self, update_id: int, callback_id: str | None, payload: str) -> bool:
        """Commit one update; False when it (or its callback query) is known already."""
        async with self.db.write():
            return await self.repo.store(update_id, callback_id, payload, self.clock.now())

    async def store_batch(self, updates: list[dict[str, Any]]) -> set[int]:
        """Commit a whole `getUpdates` answer at once (one fsync, not one per update); the
        ids that were new."""
        stored: set[int] = set()
        async with self.db.write():
            now = self.clock.now()
            for raw in updates:
                update_id = raw.get("update_id")
                if not isinstance(update_id, int):
                    continue
                query = raw.get("callback_query")
                callback_id = (
                    str(query["id"]) if isinstance(query, dict) and "id" in query else None
                )
                payload = json.dumps(raw, ensure_ascii=False)
                if await self.repo.store(update_id, callback_id, payload, now):
                    stored.add(update_id)
        return stored

    async def begin_unless_done(self, update_id: int, savepoint: str) -> bool:
        """Inside the batch's transaction: False when the update is done already, else its
        savepoint is open (one round trip)."""
        return await self.repo.begin_unless_done(update_id, savepoint)

    def mark_done(self, update_id: int, at: datetime, failed: bool) -> None:
        """Deferred: written with the update's effects, in the same round trip as the next."""
        self.repo.mark_done(update_id, at, failed)

    async def pending(self) -> list[str]:
        """The stored updates not done yet, in order (re-queued at start)."""
        return await self.repo.pending()
