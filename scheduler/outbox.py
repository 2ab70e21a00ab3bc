"""The outbox sender: delivers queued notifications, urgent first, under Telegram's limits,
retrying with back-off; permanent failures are handed to the feature that queued them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

import httpx
from telegram import InputFile, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from models.clock import Clock, to_db
from models.services.outbox import Outbox
from models.store.db import Database
from models.store.misc_repo import GroupRepository
from models.store.rails_repo import OutboxItem
from scheduler.limits import retry_seconds

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 16
MAX_BACKOFF = timedelta(minutes=5)
# BadRequest texts that mean the recipient is gone for good, not that our message was wrong.
GONE = ("chat not found", "user is deactivated", "bot was kicked", "not enough rights")


class OutboxSender:
    """Runs as one background task while the bot runs; `drain()` delivers what is due now."""

    def __init__(self, bot: ExtBot[Any], db: Database, clock: Clock, outbox: Outbox) -> None:
        self.bot = bot
        self.db = db
        self.clock = clock
        self.outbox = outbox
        self.repo = outbox.repo
        self.wake = asyncio.Event()
        self._busy: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        # Deliveries waiting to be recorded, and the lock of the one task recording them:
        # sends that finish while a record is being committed share the next commit.
        self._delivered: list[tuple[OutboxItem, int | None]] = []
        self._recording = asyncio.Lock()
        db.on_commit.append(self._committed)

    def _committed(self) -> None:
        """A commit that queued messages wakes the sender (its own commits do not)."""
        if "outbox" in self.db.last_committed:
            self.wake.set()

    async def recover(self) -> None:
        """At start: sends cut off by a crash have an unknown outcome; send them again."""
        async with self.db.write():
            count = await self.repo.recover_in_flight()
        if count:
            log.warning("%d notification(s) in flight at the last stop will be sent again", count)

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self, grace: float = 3.0) -> None:
        """Deliver what is due (for at most `grace` seconds), then stop."""
        if self._runner is None:
            return
        self._runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._runner
        self._runner = None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.drain(), grace)
        left = list(self._tasks)
        for task in left:
            task.cancel()
        # let them unwind (roll back) before the database closes; their rows stay 'sending'
        # and are sent again, flagged, at the next start
        await asyncio.gather(*left, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            # Cleared before the pump, not after: a send that ends (or a commit that queues
            # more) while the pump runs must wake the next round, not be forgotten.
            self.wake.clear()
            started = 0
            try:
                started = await self.pump()
            except Exception:
                log.exception("outbox pump failed; retrying")
            # Every send started wakes us when it ends; only an idle sender needs to know
            # when the next retry is due. (Asked before the wait exists: a cancel leaks none.)
            idle = 5.0 if started else await self._idle_wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=idle)

    async def _idle_wait(self) -> float:
        upcoming = await self.repo.next_attempt()
        if upcoming is None:
            return 5.0
        return min(5.0, max(0.05, (upcoming - self.clock.now()).total_seconds()))

    async def pump(self, limit: int | None = None) -> int:
        """Start sending every item that is due now (as far as the in-flight limit allows);
        `limit` stops after that many (tests interrupt a broadcast halfway with it)."""
        started = 0
        while limit is None or started < limit:
            await self._slots.acquire()
            free = 1  # and every other slot that is free now, claimed in one transaction
            while not self._slots.locked() and (limit is None or started + free < limit):
                await self._slots.acquire()
                free += 1
            items = await self._claim(free)
            for _ in range(free - len(items)):
                self._slots.release()
            if not items:
                return started
            started += len(items)
            for item in items:
                self._busy.add(item.chat_id)
                task = asyncio.create_task(self._deliver(item), name=f"outbox:{item.id}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return started

    async def drain(self) -> None:
        """Send until nothing more is due (tests and shutdown)."""
        while True:
            await self.pump()
            if not self._tasks:
                if await self._claim_peek() is None:
                    return
                continue
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _claim_peek(self) -> OutboxItem | None:
        return await self.repo.next_due(self.clock.now(), self._busy)

    async def _claim(self, count: int) -> list[OutboxItem]:
        if await self._claim_peek() is None:
            return []  # nothing due: no write transaction (and no commit) for nothing
        async with self.db.write():
            items = await self.repo.due(self.clock.now(), self._busy, count)
            claimed = set(await self.repo.claim_many([item.id for item in items]))
            return [item for item in items if item.id in claimed]

    async def _deliver(self, item: OutboxItem) -> None:
        try:
            message = await self._call(item)
        except RetryAfter as exc:
            seconds = retry_seconds(exc)
            await self._retry(item, "RetryAfter", delay=timedelta(seconds=seconds))
        except Forbidden as exc:
            await self._fail(item, f"forbidden: {exc.message}", gone=True)
        except BadRequest as exc:
            gone = any(text in exc.message.lower() for text in GONE)
            if "message is not modified" in exc.message.lower():
                await self._sent(item, item.message_id)
            else:
                await self._fail(item, f"bad request: {exc.message}", gone=gone)
        except TimedOut as exc:
            await self._retry(item, f"timed out: {exc.message}", duplicate=True)
        except NetworkError as exc:
            # A transport error may strike after Telegram got the message: outcome unknown.
            unknown = isinstance(exc.__cause__, httpx.HTTPError)
            await self._retry(item, f"network: {exc.message}", duplicate=unknown)
        except ChatMigrated as exc:
            # a group became a supergroup: everything queued for it follows the new id
            await self._migrated(item.chat_id, exc.new_chat_id)
            await self._retry(item, "chat migrated", delay=timedelta(0))
        except TelegramError as exc:
            await self._retry(item, f"telegram: {exc.message}", duplicate=False)
        except Exception:
            log.exception("outbox item %s could not be sent", item.id)
            await self._retry(item, "internal error")
        else:
            await self._sent(item, message.message_id if isinstance(message, Message) else None)
        finally:
            self._busy.discard(item.chat_id)
            self._slots.release()
            self.wake.set()

    async def _call(self, item: OutboxItem) -> Message | bool:
        payload: dict[str, Any] = dict(item.payload)
        # Bulk sends yield to urgent ones; RetryAfter comes back here to be rescheduled.
        limits = {"bulk": not item.urgent, "retries": 0} if self.bot.rate_limiter else None
        if "render" in payload:
            upload = InputFile(await self._render(item), filename=payload["filename"])
            caption = payload.get("caption")
            if item.method == "sendPhoto":
                return await self.bot.send_photo(
                    item.chat_id, upload, caption=caption, rate_limit_args=limits
                )
            return await self.bot.send_document(
                item.chat_id, upload, caption=caption, rate_limit_args=limits
            )
        if item.method == "sendMessage":
            return await self.bot.send_message(
                item.chat_id,
                payload.pop("text"),
                reply_markup=payload.get("reply_markup"),
                rate_limit_args=limits,
            )
        if item.method == "sendLocation":
            return await self.bot.send_location(
                item.chat_id, payload["latitude"], payload["longitude"], rate_limit_args=limits
            )
        if item.method == "sendPhoto":
            return await self.bot.send_photo(
                item.chat_id,
                payload["photo"],
                caption=payload.get("caption"),
                rate_limit_args=limits,
            )
        if item.method == "forwardMessage":
            return await self.bot.forward_message(
                item.chat_id,
                payload["from_chat_id"],
                payload["message_id"],
                rate_limit_args=limits,
            )
        if item.method == "sendVoice":
            return await self.bot.send_voice(
                item.chat_id, payload["voice"], rate_limit_args=limits
            )
        if item.method == "editMessageText":
            original = await self.repo.get(item.edit_of) if item.edit_of else None
            if original is None or original.message_id is None:
                raise BadRequest("original message was not delivered")
            result = await self.bot.edit_message_text(
                payload["text"],
                chat_id=item.chat_id,
                message_id=original.message_id,
                reply_markup=payload.get("reply_markup"),
                rate_limit_args=limits,
            )
            return result
        raise BadRequest(f"unknown outbox method {item.method}")

    async def _render(self, item: OutboxItem) -> bytes:
        """Draw a generated file (a chart, a workbook) from the spec kept in the row: in a
        worker thread, so neither the event loop nor the database waits for it. A spec that
        cannot be drawn fails for good rather than being retried forever."""
        renderer = self.outbox.renderers.get(str(item.payload["render"]))
        if renderer is None:
            raise BadRequest(f"unknown renderer {item.payload['render']}")
        try:
            return await asyncio.to_thread(renderer, item.payload["spec"])
        except Exception as exc:
            log.exception("outbox item %s could not be drawn", item.id)
            raise BadRequest(f"could not draw the file: {exc}") from exc

    def _backoff(self, item: OutboxItem) -> timedelta:
        return min(MAX_BACKOFF, timedelta(seconds=2 ** min(item.attempts, 10)))

    async def _sent(self, item: OutboxItem, message_id: int | None) -> None:
        """Record a delivery; returns once it is committed. Deliveries that finish while
        another record is being committed wait for the lock and go in one commit together."""
        self._delivered.append((item, message_id))
        async with self._recording:
            batch, self._delivered = self._delivered, []
            if not batch:
                return  # ours was recorded by the task before us
            try:
                async with self.db.write():
                    now = self.clock.now()
                    await self.repo.mark_sent_many([(i.id, m) for i, m in batch], now)
                    for done, _ in batch:
                        if "render" in done.payload:
                            await self.repo.forget_spec(done.id)  # its rows (names, phones)
            except BaseException:
                self._delivered[:0] = batch  # the next delivery records them
                raise

    async def _retry(
        self,
        item: OutboxItem,
        error: str,
        *,
        duplicate: bool = False,
        delay: timedelta | None = None,
    ) -> None:
        delay = delay if delay is not None else self._backoff(item)
        log.info("outbox item %s: %s; retry in %s", item.id, error, delay)
        async with self.db.write():
            await self.repo.retry_later(item.id, self.clock.now() + delay, error, duplicate)

    async def _fail(self, item: OutboxItem, error: str, gone: bool) -> None:
        log.warning("outbox item %s to chat %s failed for good: %s", item.id, item.chat_id, error)
        async with self.db.write():
            await self.repo.mark_failed(item.id, error)
            if "render" in item.payload:
                await self.repo.forget_spec(item.id)
            if gone:
                await self._mark_unreachable(item.chat_id)
            handler = self.outbox.failure_handlers.get((item.ref or "").split(":", 1)[0])
            if handler is not None:
                await handler(item, error)

    async def _migrated(self, old_chat_id: int, new_chat_id: int) -> None:
        async with self.db.write():
            await GroupRepository(self.db).migrate(old_chat_id, new_chat_id, self.clock.now())
            await self.repo.move_chat(old_chat_id, new_chat_id)

    async def _mark_unreachable(self, chat_id: int) -> None:
        now = to_db(self.clock.now())
        if chat_id > 0:
            await self.db.execute(
                "UPDATE people SET unreachable_at = ? WHERE tg_user_id = ?", (now, chat_id)
            )
        else:
            await self.db.execute(
                "UPDATE chat_groups SET active = 0, updated_at = ? WHERE chat_id = ?",
                (now, chat_id),
            )
