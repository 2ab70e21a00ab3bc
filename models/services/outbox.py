"""The outbox: notifications that matter are rows first, written in the transaction of the
change that caused them, and sent after it commits (see scheduler/outbox.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from models.clock import Clock
from models.rails import BULK, REPLY, URGENT, OutboxItem
from models.store.db import Database
from models.store.misc_repo import GroupRepository
from models.store.people_repo import PeopleRepository
from models.store.rails_repo import OutboxRepository

__all__ = ["BULK", "REPLY", "URGENT", "Outbox"]

FailureHandler = Callable[[OutboxItem, str], Awaitable[None]]
# told, inside the transaction that records it, that a send of its ref prefix is settled
# (delivered or failed for good)
SettledHandler = Callable[[OutboxItem], Awaitable[None]]
# draws a file from the JSON-able spec kept in an outbox row (a chart PNG, a workbook)
Renderer = Callable[[dict[str, Any]], bytes]
# reads what an answer needs (through the read-only connection, holding no lock) and returns
# the writes that queue it: see `Outbox.compose`
Queue = Callable[[], Awaitable[object]]
Composer = Callable[[int, dict[str, Any]], Awaitable[Queue]]


class Outbox:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.repo = OutboxRepository(db)
        # ref prefix ("backup", "report"...) -> what the feature does when a send fails for good
        self.failure_handlers: dict[str, FailureHandler] = {}
        # ref prefix -> what the feature does once a send is settled (see SettledHandler)
        self.settled_handlers: dict[str, SettledHandler] = {}
        # name -> renderer, for files drawn when they are sent (see `send_file`)
        self.renderers: dict[str, Renderer] = {}
        # name -> composer, for answers made when they are sent (see `compose`)
        self.composers: dict[str, Composer] = {}

    async def chat_migrated(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: its row and what waits for it follow the new id."""
        async with self.db.write():
            await GroupRepository(self.db).migrate(old_chat_id, new_chat_id, self.clock.now())
            await self.repo.move_chat(old_chat_id, new_chat_id)

    async def chat_unreachable(self, chat_id: int) -> None:
        """A person who blocked the bot, a group it was removed from (inside the sender's
        transaction that records the failed send)."""
        now = self.clock.now()
        async with self.db.write():
            if chat_id > 0:
                await PeopleRepository(self.db).mark_unreachable(chat_id, now)
            else:
                await GroupRepository(self.db).mark_gone(chat_id, now)

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        urgent: bool = False,
        reply_markup: dict[str, Any] | None = None,
        ref: str | None = None,
        not_before: datetime | None = None,
        priority: int | None = None,
    ) -> int:
        """Queue a message; returns the outbox id (an edit of it can be queued at once).
        `not_before` holds a bulk message back (quiet hours); `priority` (REPLY, say)
        overrides what `urgent` says."""
        payload: dict[str, Any] = {"text": text}
        if reply_markup is not None:
            payload["reply_markup"] = reply_markup
        level = _priority(urgent) if priority is None else priority
        return await self._add(chat_id, "sendMessage", payload, level, ref, not_before)

    async def send_location(
        self,
        chat_id: int,
        latitude: float,
        longitude: float,
        *,
        urgent: bool = False,
        ref: str | None = None,
    ) -> int:
        payload = {"latitude": latitude, "longitude": longitude}
        return await self._add(chat_id, "sendLocation", payload, _priority(urgent), ref)

    async def send_photo(
        self,
        chat_id: int,
        photo: str,
        caption: str | None = None,
        *,
        urgent: bool = False,
        ref: str | None = None,
        not_before: datetime | None = None,
    ) -> int:
        payload: dict[str, Any] = {"photo": photo}
        if caption:
            payload["caption"] = caption
        return await self._add(chat_id, "sendPhoto", payload, _priority(urgent), ref, not_before)

    async def send_file(
        self,
        chat_id: int,
        renderer: str,
        spec: dict[str, Any],
        filename: str,
        *,
        caption: str | None = None,
        as_photo: bool = False,
        urgent: bool = False,
        ref: str | None = None,
        priority: int | None = None,
    ) -> int:
        """Queue a generated file: the row keeps the spec and the sender draws it, so the
        file survives a restart and nobody waits for the drawing."""
        payload: dict[str, Any] = {"render": renderer, "spec": spec, "filename": filename}
        if caption:
            payload["caption"] = caption
        method = "sendPhoto" if as_photo else "sendDocument"
        level = _priority(urgent) if priority is None else priority
        return await self._add(chat_id, method, payload, level, ref)

    async def send_voice(
        self, chat_id: int, voice: str, *, urgent: bool = False, ref: str | None = None
    ) -> int:
        return await self._add(chat_id, "sendVoice", {"voice": voice}, _priority(urgent), ref)

    async def forward(
        self,
        chat_id: int,
        from_chat_id: int,
        message_id: int,
        *,
        urgent: bool = False,
        ref: str | None = None,
    ) -> int:
        """Forward a message (a forwarded live location keeps moving for the recipient)."""
        payload = {"from_chat_id": from_chat_id, "message_id": message_id}
        return await self._add(chat_id, "forwardMessage", payload, _priority(urgent), ref)

    async def edit(
        self,
        original: int,
        text: str,
        *,
        reply_markup: dict[str, Any] | None = None,
        ref: str | None = None,
    ) -> int:
        """Edit a queued message; waits for the original's message id before it is sent."""
        item = await self.repo.get(original)
        if item is None:
            raise ValueError(f"no outbox item {original}")
        payload: dict[str, Any] = {"text": text}
        if reply_markup is not None:
            payload["reply_markup"] = reply_markup
        async with self.db.write():
            return await self.repo.add(
                chat_id=item.chat_id,
                method="editMessageText",
                payload=payload,
                priority=item.priority,
                at=self.clock.now(),
                edit_of=original,
                ref=ref or item.ref,
            )

    async def compose(
        self, chat_id: int, composer: str, spec: dict[str, Any], *, priority: int = REPLY
    ) -> int:
        """Queue an answer that needs a long read (a year of statistics, an export): the
        sender runs the composer — its reads on the read-only connection, outside any write
        transaction and outside the update that asked — and queues what it returns in one
        short transaction with this row's done mark. Nobody's update waits for the read."""
        return await self._add(
            chat_id, "compose", {"compose": composer, "spec": spec}, priority, None
        )

    async def call(
        self, chat_id: int, method: str, params: dict[str, Any], *, priority: int = REPLY
    ) -> int:
        """Queue any Bot API call by its parameters (a reply captured from a handler: see
        handlers/replies.py); `chat_id` orders it among that chat's messages."""
        return await self._add(chat_id, method, {"api": params}, priority, None)

    async def say(
        self, chat_id: int, method: str, params: dict[str, Any], *, priority: int = REPLY
    ) -> None:
        """`call` when nobody needs the row's id (what a handler said): inside a write
        transaction it is written with the transaction's next statement (one round trip
        to the database fewer), in the same order as every other row."""
        if not self.db.in_write:
            await self.call(chat_id, method, params, priority=priority)
            return
        self.repo.add_deferred(
            chat_id=chat_id,
            method=method,
            payload={"api": params},
            priority=priority,
            at=self.clock.now(),
        )

    async def _add(
        self,
        chat_id: int,
        method: str,
        payload: dict[str, Any],
        priority: int,
        ref: str | None,
        not_before: datetime | None = None,
    ) -> int:
        now = self.clock.now()
        async with self.db.write():
            return await self.repo.add(
                chat_id=chat_id,
                method=method,
                payload=payload,
                priority=priority,
                at=now,
                ref=ref,
                due=max(now, not_before) if not_before else None,
            )


def _priority(urgent: bool) -> int:
    return URGENT if urgent else BULK
