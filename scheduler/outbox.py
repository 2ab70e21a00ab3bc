"""The outbox sender: delivers queued notifications, urgent first, under Telegram's limits,
retrying with back-off; permanent failures are handed to the feature that queued them."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
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
from telegram.warnings import PTBUserWarning

from models.aio import wait_event
from models.clock import Clock
from models.rails import BULK, OutboxItem
from models.services.outbox import Outbox
from models.store.db import RETRYABLE, Database
from scheduler.limits import PriorityRateLimiter, SendLater, retry_seconds

log = logging.getLogger(__name__)

# Sends in flight at once: up to MAX_IN_FLIGHT of replies and bulk, and URGENT_RESERVE more
# that only urgent sends (backup calls, escalation steps, report cards) may take, so they
# never wait for a slot behind a broadcast or a wave of replies.
MAX_IN_FLIGHT = 16
URGENT_RESERVE = 4
MAX_BACKOFF = timedelta(minutes=5)
# While Telegram does not answer (5xx, timeouts, refused connections), one send at a time
# probes it this often; the first answer (a send, or polling) sends everything at once.
PROBE_EVERY = timedelta(seconds=1)
# A message delivered this long after it was queued says so (an outage delayed it).
LATE_AFTER = timedelta(minutes=3)
# Telegram takes the answer to a button press for a short while only; a later answer with
# text goes to the person as a message instead.
ANSWER_WINDOW = timedelta(seconds=30)
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
        # Telegram did not answer since this moment (None: it answers)
        self.down_since: datetime | None = None
        # the line a late message starts with, given when it was queued (set by the app)
        self.late_note: Callable[[datetime], str] | None = None
        self._resume = False
        self._next_probe = datetime.min.replace(tzinfo=UTC)
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
            except RETRYABLE:
                pass  # the database refuses writes: it said so once; tried again next round
            except Exception:
                log.exception("outbox pump failed; retrying")
            # Every send started wakes us when it ends; only an idle sender needs to know
            # when the next retry is due. (Asked before the wait exists: a cancel leaks none.)
            idle = 5.0 if started else await self._idle_wait()
            await wait_event(self.wake, idle)

    async def _idle_wait(self) -> float:
        if self.down_since is not None:
            return max(0.05, (self._next_probe - self.clock.now()).total_seconds())
        upcoming = await self.repo.next_attempt()
        if upcoming is None:
            return 5.0
        return min(5.0, max(0.05, (upcoming - self.clock.now()).total_seconds()))

    async def pump(self, limit: int | None = None, min_priority: int = BULK) -> int:
        """Start sending every item that is due now, as far as the in-flight room allows
        (urgent items may also take the reserved slots); `limit` stops after that many
        (tests interrupt a broadcast halfway with it)."""
        started = 0
        while limit is None or started < limit:
            room = MAX_IN_FLIGHT + URGENT_RESERVE - len(self._tasks)
            normal_room = max(0, MAX_IN_FLIGHT - len(self._tasks))
            if self.down_since is not None:
                # one probe at a time, a second apart
                if self.clock.now() < self._next_probe:
                    return started
                room = min(room, 1 - len(self._tasks))
            if limit is not None:
                room = min(room, limit - started)
            if room <= 0:
                return started
            items = await self._claim(room, normal_room, min_priority)
            if not items:
                return started
            started += len(items)
            for item in items:
                self._busy.add(item.chat_id)
                task = asyncio.create_task(self._deliver(item), name=f"outbox:{item.id}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if len(items) < room:
                return started
        return started

    def answered(self) -> None:
        """Telegram answered (a send, or a poll): an outage is over, send what it held."""
        if self.down_since is not None:
            log.warning(
                "Telegram answers again (silent for %.0f s); sending what waited",
                (self.clock.now() - self.down_since).total_seconds(),
            )
            self.down_since = None
            self._resume = True
            self.wake.set()

    def _unanswered(self) -> None:
        self._next_probe = self.clock.now() + PROBE_EVERY
        if self.down_since is None:
            log.warning("Telegram does not answer; the outbox probes it every second")
            self.down_since = self.clock.now()

    async def drain(self, min_priority: int = BULK) -> None:
        """Send until nothing more is due (tests and shutdown); `min_priority` leaves what is
        below it waiting (a test that lets replies go while a broadcast waits)."""
        while True:
            started = await self.pump(min_priority=min_priority)
            if not self._tasks:
                if not started:
                    return
                continue
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _held_back(self) -> tuple[set[int], int]:
        """Chats Telegram paused (429), and the lowest priority that may go now."""
        limiter = self.bot.rate_limiter
        if isinstance(limiter, PriorityRateLimiter):
            return self._busy | limiter.paused_chats(), (BULK + 1 if limiter.bulk_paused else 0)
        return self._busy, BULK

    async def _claim(
        self, count: int, normal: int | None = None, min_priority: int = BULK
    ) -> list[OutboxItem]:
        busy, lowest = self._held_back()
        lowest = max(lowest, min_priority)
        now = self.clock.now()
        if self._resume:
            self._resume = False
            async with self.db.write():
                await self.repo.retry_now(now)  # what the outage held back goes now
        peek = await self.repo.due(now, busy, 1, normal_limit=normal, min_priority=lowest)
        if not peek:
            return []  # nothing due: no write transaction (and no commit) for nothing
        async with self.db.write():
            items = await self.repo.due(
                self.clock.now(), busy, count, normal_limit=normal, min_priority=lowest
            )
            claimed = set(await self.repo.claim_many([item.id for item in items]))
            return [item for item in items if item.id in claimed]

    async def _deliver(self, item: OutboxItem) -> None:
        try:
            record = await self._attempt(item)
            delay = 0.25
            while True:  # what happened is recorded, however long the database refuses
                try:
                    await record()
                    break
                except RETRYABLE:
                    await asyncio.sleep(delay)  # the database logged it; health reports it
                    delay = min(delay * 2, 5.0)
        finally:
            self._busy.discard(item.chat_id)
            self.wake.set()

    async def _attempt(self, item: OutboxItem) -> Callable[[], Awaitable[None]]:
        """Send once; what to record about it."""
        try:
            message = await self._call(item)
        except SendLater as later:
            # its chat (or the bulk lane) is paused: back in the queue, holding no slot
            wait = timedelta(seconds=later.seconds)
            return partial(self._retry, item, "paused", delay=wait)
        except RetryAfter as exc:
            wait = timedelta(seconds=retry_seconds(exc))
            return partial(self._retry, item, "RetryAfter", delay=wait)
        except Forbidden as exc:
            return partial(self._fail, item, f"forbidden: {exc.message}", gone=True)
        except BadRequest as exc:
            gone = any(text in exc.message.lower() for text in GONE)
            if "message is not modified" in exc.message.lower():
                return partial(self._sent, item, item.message_id)
            return partial(self._fail, item, f"bad request: {exc.message}", gone=gone)
        except TimedOut as exc:
            self._unanswered()
            error = f"timed out: {exc.message}"
            return partial(self._retry, item, error, duplicate=True, outage=True)
        except NetworkError as exc:
            # A transport error may strike after Telegram got the message: outcome unknown.
            unknown = isinstance(exc.__cause__, httpx.HTTPError)
            self._unanswered()
            error = f"network: {exc.message}"
            return partial(self._retry, item, error, duplicate=unknown, outage=True)
        except ChatMigrated as exc:
            # a group became a supergroup: everything queued for it follows the new id
            return partial(self._follow, item, exc.new_chat_id)
        except TelegramError as exc:
            return partial(self._retry, item, f"telegram: {exc.message}", duplicate=False)
        except Exception:
            log.exception("outbox item %s could not be sent", item.id)
            return partial(self._retry, item, "internal error")
        if isinstance(message, Composed):  # recorded in the composer's own transaction
            if message.first is None:
                return _recorded
            return await self._attempt(message.first)  # its first message, sent at once
        self.answered()
        return partial(self._sent, item, _message_id(message))

    async def _follow(self, item: OutboxItem, new_chat_id: int) -> None:
        await self.outbox.chat_migrated(item.chat_id, new_chat_id)
        await self._retry(item, "chat migrated", delay=timedelta(0))

    async def _call(self, item: OutboxItem) -> Any:
        payload: dict[str, Any] = dict(item.payload)
        # Lower priorities yield to higher ones; RetryAfter and SendLater come back here to
        # be rescheduled.
        limits = (
            {"priority": item.priority, "retries": 0, "outbox": True}
            if self.bot.rate_limiter
            else None
        )
        if "api" in payload:
            return await self._api(item, dict(payload["api"]), limits)
        if item.method == "compose":
            return Composed(await self._compose(item))
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
                self._late(item, payload.pop("text")),
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

    async def _api(
        self, item: OutboxItem, params: dict[str, Any], limits: dict[str, Any] | None
    ) -> Any:
        """A captured reply, sent as the handler made it (see handlers/replies.py)."""
        method = item.method
        age = self.clock.now() - item.created_at
        if method == "answerCallbackQuery" and age > ANSWER_WINDOW:
            # Telegram no longer takes this answer; what it said reaches the person anyway
            text = params.get("text")
            if not text:
                return True
            method = "sendMessage"
            params = {"chat_id": item.chat_id, "text": html.escape(str(text))}
        if method == "sendMessage" and "text" in params:
            params["text"] = self._late(item, str(params["text"]))
        with warnings.catch_warnings():
            # do_api_request warns that PTB has a method for this: we replay its parameters
            warnings.filterwarnings("ignore", "Please use", PTBUserWarning)
            return await self.bot.do_api_request(method, api_kwargs=params, rate_limit_args=limits)

    def _late(self, item: OutboxItem, text: str) -> str:
        """A message that an outage delayed says when it was meant to arrive."""
        if self.late_note is None or self.clock.now() - item.created_at < LATE_AFTER:
            return text
        return f"{self.late_note(item.created_at)}\n{text}"

    async def _compose(self, item: OutboxItem) -> OutboxItem | None:
        """Run the composer, then queue its answer and mark this row done together; the
        answer's first message comes back claimed, for this task to send at once (its chat
        is ours already: no claim and no wake-up of its own)."""
        composer = self.outbox.composers.get(str(item.payload["compose"]))
        if composer is None:
            raise BadRequest(f"unknown composer {item.payload['compose']}")
        queue = await composer(item.chat_id, dict(item.payload["spec"]))
        async with self.db.write():
            before = await self.repo.last_id()  # what `queue` adds comes after it
            await queue()
            await self.repo.mark_sent_many([(item.id, None)], self.clock.now())
            first = await self.repo.first_pending(item.chat_id, after=before)
            if first is None or not await self.repo.claim(first.id):
                return None
        return await self.repo.get(first.id)

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
                    await self._settled([done for done, _ in batch])
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
        outage: bool = False,
    ) -> None:
        delay = delay if delay is not None else self._backoff(item)
        if outage:
            delay = min(delay, PROBE_EVERY)  # probed every second; all go when it answers
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
                await self.outbox.chat_unreachable(item.chat_id)
            handler = self.outbox.failure_handlers.get((item.ref or "").split(":", 1)[0])
            if handler is not None:
                await handler(item, error)
            await self._settled([item])

    async def _settled(self, items: list[OutboxItem]) -> None:
        """Tell the features whose sends these were (a broadcast's last delivery sends its
        summary at once), once per ref, in the transaction that records them."""
        seen: set[str] = set()
        for item in items:
            ref = item.ref or ""
            handler = self.outbox.settled_handlers.get(ref.split(":", 1)[0])
            if handler is not None and ref not in seen:
                seen.add(ref)
                await handler(item)


@dataclass(frozen=True)
class Composed:
    """What `_call` returns for a composed answer: nothing was sent; the answer's first
    message, claimed, if it has one."""

    first: OutboxItem | None


async def _recorded() -> None:
    return None


def _message_id(result: Any) -> int | None:
    if isinstance(result, Message):
        return result.message_id
    if isinstance(result, dict) and isinstance(result.get("message_id"), int):
        return int(result["message_id"])
    return None
