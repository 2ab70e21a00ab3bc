"""The durable inbox: an update is committed to SQLite before Telegram is told it arrived.

PTB's updater awaits `update_queue.put()` before its next `getUpdates` confirms the offset,
and its webhook handler awaits it before answering 200, so storing inside `put()` means an
update Telegram considers delivered is always in the database. At start, stored updates that
are not done are queued first; `PatrolApplication.process_update` marks each one done in the
same transaction as its effects."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, Update

from models.services.inbox import InboxService
from models.store.db import RETRYABLE

log = logging.getLogger(__name__)


class Inbox:
    """Telegram's updates in and out of the inbox's rows (`models/services/inbox.py`)."""

    def __init__(self, service: InboxService) -> None:
        self.service = service

    async def store(self, update: Update) -> bool:
        """Commit the update; False when this update (or its callback query) is known."""
        callback_id = update.callback_query.id if update.callback_query else None
        payload = json.dumps(update.to_dict(), ensure_ascii=False)
        return await self.service.store(update.update_id, callback_id, payload)

    async def pending(self, bot: Bot) -> list[Update]:
        updates = []
        for payload in await self.service.pending():
            update = Update.de_json(json.loads(payload), bot)
            if update is not None:
                updates.append(update)
        return updates


class DurableUpdateQueue(asyncio.Queue[object]):
    """PTB's update queue, storing each update before `put()` returns."""

    def __init__(self) -> None:
        super().__init__()
        self.store: Callable[[Update], Awaitable[bool]] | None = None
        self.store_batch: Callable[[list[dict[str, Any]]], Awaitable[set[int]]] | None = None
        self._stored: set[int] = set()  # stored with their batch, not queued yet
        self.on_wait: Callable[[], None] | None = None  # told while the database is waited for
        # told (once per update) of an update the database refuses to store
        self.on_refused: Callable[[list[dict[str, Any]]], None] | None = None

    async def put(self, item: object) -> None:
        if isinstance(item, Update) and self.store is not None:
            if item.update_id in self._stored:
                self._stored.discard(item.update_id)
            elif not await self._store(item):
                log.info("update %s is already known; not processed again", item.update_id)
                return
        await super().put(item)

    async def _store(self, update: Update) -> bool:
        """Store, waiting for a database that refuses writes (locked elsewhere, disk full):
        the update is not confirmed to Telegram before it is stored, and polling goes on."""
        assert self.store is not None
        delay = 0.25
        while True:
            try:
                return await self.store(update)
            except RETRYABLE:
                if self.on_wait is not None:
                    self.on_wait()
                if delay == 0.25 and self.on_refused is not None:
                    self.on_refused([update.to_dict()])
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def stored_in_advance(self, updates: list[dict[str, Any]]) -> None:
        """A `getUpdates` answer, stored before the updater queues its updates one by one."""
        if self.store_batch is not None:
            self._stored |= await self.store_batch(updates)

    def next_is_update(self) -> bool:
        """Whether an update waits at the head of the queue (not PTB's stop signal)."""
        return bool(self._queue) and isinstance(self._queue[0], Update)  # type: ignore[attr-defined]

    async def put_stored(self, item: Update) -> None:
        """Queue an update that is already in the inbox (restart)."""
        await super().put(item)
