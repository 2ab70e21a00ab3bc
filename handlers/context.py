"""The application and context types every handler sees."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiosqlite
from telegram import Bot, Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from handlers.flood import InboundLimits
from handlers.inbox import DurableUpdateQueue, Inbox
from handlers.replies import UpdateReplies, capturing, current_replies
from locales import Html, Translator
from models.aio import wait_event
from models.org import Group, Person
from models.services import Services
from models.store.db import RETRYABLE
from scheduler.health import Health
from scheduler.jobs import TimerJobs
from scheduler.limits import PriorityRateLimiter
from scheduler.outbox import OutboxSender
from scheduler.registry import register_timer_kinds

if TYPE_CHECKING:
    from scheduler.escalation import Escalation
    from scheduler.notices.stats_views import StatsViews
    from scheduler.patrol import PatrolJobs
    from scheduler.peaks import PeakJobs
    from scheduler.retention import RetentionJobs

log = logging.getLogger(__name__)
ALERT_LIMIT = 200  # characters Telegram shows in an alert
BATCH_UPDATES = 50  # queued updates that may share one commit
BATCH_SECONDS = 0.05  # ... and how long the batch may hold the write lock
# An update the database refused (locked by another process, a full disk) is tried again
# after this long, doubling up to RETRY_MAX: soon after the lock goes or space returns.
RETRY_FIRST, RETRY_MAX = 0.5, 5.0


class DatabaseRefused(Exception):
    """A handler met a database that refuses writes: the update is tried again, not failed."""


class PatrolApplication(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's Application carrying our services and translator (no global singletons), and
    processing each update in one transaction with its done mark in the inbox."""

    def __init__(self, *, services: Services, translator: Translator, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services
        self.translator = translator
        self.last_operator_alert: datetime | None = None
        self.inbox = Inbox(services.inbox)
        self.sender = OutboxSender(self.bot, services.db, services.clock, services.outbox)
        self.sender.late_note = self._late_note
        self._update_failed = False
        self.database_refused = False  # set by the error handler: try the update again
        self.stopping = False
        self._stop_requested = asyncio.Event()
        self.exit_code = 0  # non-zero when the watchdog stopped a bot that could not go on
        self.inbound = InboundLimits()  # per-account limits on what people send
        # what fetches Telegram's files for the board (a report's photos): `build_application`
        # gives it connections of its own, apart from the senders' pool and rate limits
        self.files: Bot = self.bot
        # the open transaction of consecutive queued updates (see `process_update`)
        self._batch: contextlib.AsyncExitStack | None = None
        self._batch_conn: aiosqlite.Connection | None = None
        self._batch_size = 0
        self._batch_since = 0.0
        self._batch_task: asyncio.Task[Any] | None = None
        self._batch_updates: list[Update] = []  # processed in the open batch
        self._lost: list[Update] = []  # processed in a batch whose commit failed
        self._batch_closed = asyncio.Event()
        # Work the JobQueue runs every minute (and tests run with `tick`): e.g. making sure
        # tomorrow's patrol plan and publishing are rows.
        self.periodic: list[Callable[[], Awaitable[None]]] = []
        # the job groups and engines, built once, complete, with the application
        parts = register_timer_kinds(self)
        self.escalation: Escalation = parts.escalation
        self.patrol_jobs: PatrolJobs = parts.patrol_jobs
        self.peak_jobs: PeakJobs = parts.peak_jobs
        self.stats_views: StatsViews = parts.stats_views
        self.retention: RetentionJobs = parts.retention
        self.health: Health = Health(self)
        queue = self.update_queue
        if isinstance(queue, DurableUpdateQueue):
            queue.store = self.inbox.store
            queue.store_batch = services.inbox.store_batch

    @property
    def update_failed(self) -> bool:
        """The update in hand is refused or failed: its effects roll back at its end."""
        return self._update_failed

    @update_failed.setter
    def update_failed(self, value: bool) -> None:
        replies = current_replies()
        if value and replies is not None:
            replies.failed()  # what it says from now on is its refusal or apology
        self._update_failed = value

    def _late_note(self, queued_at: datetime) -> str:
        """The line a message delayed by an outage starts with (in the deployment's language:
        the outbox does not know the reader's)."""
        settings = self.services.settings
        local = queued_at.astimezone(settings.zone)
        return self.translator.text(
            settings.default_locale, "outbox.late", time=local.strftime("%m-%d %H:%M")
        )

    async def receive(self, update: Update) -> None:
        """Store and process one update, as polling or the webhook would (tests use this)."""
        if await self.inbox.store(update):
            await self.process_update(update)

    async def process_update(self, update: object) -> None:
        """Handle one update: its effects and its done mark commit together, or not at all.

        Group commit: while more updates wait in the queue (a busy moment: polling hands
        over up to 100 at a time), consecutive updates share one transaction, each in its own
        savepoint, and one `synchronous=FULL` commit — at most `BATCH_UPDATES` of them or
        `BATCH_SECONDS` of work, so timers and the sender wait no longer than that. One at a
        time (the usual case, and every test that calls `receive`), it commits at once."""
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        pending, delay = [update], RETRY_FIRST
        while pending:
            head = pending[0]
            done = await self._process_once(head)
            if done:
                pending.pop(0)
            # a batch whose commit failed took its earlier updates with it: they go first
            lost, self._lost = self._lost, []
            ids = {u.update_id for u in pending}
            pending[0:0] = [u for u in lost if u.update_id not in ids]
            if done:
                delay = RETRY_FIRST
                continue
            # the database refused (locked elsewhere, disk full): the same updates again, in
            # order, once it takes writes; at a stop they stay stored for the next start
            if self.stopping:
                log.warning("%d update(s) stay stored for the next start", len(pending))
                return
            await self._pause(delay)
            delay = min(delay * 2, RETRY_MAX)

    async def _process_once(self, update: Update) -> bool:
        """One try; False when the database refused it (nothing of it is kept)."""
        savepoint = False  # this update's effects are in a savepoint of the batch
        try:
            await self._batch_begin()
            db = self.services.db
            # (the check and the savepoint in one round trip to the database)
            if await self.services.inbox.begin_unless_done(update.update_id, "update_effects"):
                savepoint = True
                self.update_failed = self.database_refused = False
                query = update.callback_query
                chat = update.effective_chat
                replies = UpdateReplies(
                    self.services.outbox,
                    presser=query.from_user.id if query else None,
                    own_chat=chat.id if chat else None,
                )
                with capturing(replies):
                    await super().process_update(update)
                if self.database_refused:
                    raise DatabaseRefused
                if self.update_failed:
                    await db.rollback_to("update_effects")
                    await replies.requeue()  # a refusal or an apology still reaches them
                self.services.inbox.mark_done(
                    update.update_id, self.services.clock.now(), self.update_failed
                )
                await db.release("update_effects")  # effects and done mark, or none
                savepoint = False
            else:
                log.info("update %s was already processed", update.update_id)
            self._batch_updates.append(update)
            self._batch_size += 1
            if not self._batch_goes_on():
                await self._batch_end(None)
            return True
        except (*RETRYABLE, DatabaseRefused):
            await self._batch_salvage(savepoint)
            return False
        except Exception:
            # Not the database's refusal but a failure of its own: it stays pending and runs
            # again at start. The batch's earlier updates are kept if the database still
            # takes a commit.
            log.exception("update %s could not be committed", update.update_id)
            await self._batch_salvage(savepoint)
            return True
        except BaseException as error:  # cancelled: roll back, as the transaction would
            await self._batch_end(error)
            raise

    async def _pause(self, seconds: float) -> None:
        """Sleep, but no longer than until the bot is told to stop."""
        await wait_event(self._stop_requested, seconds)

    async def _batch_salvage(self, savepoint: bool) -> None:
        """After a database error in one update: undo that update alone, commit the rest."""
        if self._batch_task is not asyncio.current_task() or self._batch_conn is None:
            return  # the batch is gone already (its commit was what failed)
        try:
            if savepoint:
                db = self.services.db
                await db.rollback_to("update_effects")
                await db.release("update_effects")
            await self._batch_end(None)
        except Exception as error:
            log.exception("the updates processed with it could not be committed either")
            await self._batch_end(error)

    async def _batch_begin(self) -> aiosqlite.Connection:
        me = asyncio.current_task()
        # a batch belongs to the task that opened it (PTB's update fetcher); another task
        # processing an update waits for it to close rather than write inside it
        while self._batch is not None and self._batch_task is not me:
            await self._batch_closed.wait()
        if self._batch is None:
            stack = contextlib.AsyncExitStack()
            self._batch_conn = await stack.enter_async_context(self.services.db.write())
            self._batch, self._batch_size, self._batch_since = stack, 0, time.monotonic()
            self._batch_task = me
            self._batch_closed.clear()
        assert self._batch_conn is not None
        return self._batch_conn

    def _batch_goes_on(self) -> bool:
        queue = self.update_queue
        return (
            isinstance(queue, DurableUpdateQueue)
            and queue.next_is_update()
            and self._batch_size < BATCH_UPDATES
            and time.monotonic() - self._batch_since < BATCH_SECONDS
            and not self.stopping
        )

    async def _batch_end(self, error: BaseException | None) -> None:
        """Commit the batch (or, after `error`, roll it back)."""
        if self._batch_task is not asyncio.current_task():
            return  # not ours (we never opened one)
        stack, self._batch, self._batch_conn = self._batch, None, None
        self._batch_task = None
        self._batch_closed.set()
        updates, self._batch_updates = self._batch_updates, []
        if stack is None:
            return
        if error is None:
            try:
                await stack.aclose()
            except BaseException:
                self._lost = updates  # not committed: to be processed again
                raise
        else:
            self._lost = updates
            with contextlib.suppress(Exception):  # the database is failing already
                await stack.__aexit__(type(error), error, error.__traceback__)

    async def queue_pending_updates(self) -> int:
        """At start, before polling: the stored updates that are not done yet, in order."""
        pending = await self.inbox.pending(self.bot)
        queue = self.update_queue
        for update in pending:
            if isinstance(queue, DurableUpdateQueue):
                await queue.put_stored(update)
            else:
                await queue.put(update)
        return len(pending)

    async def start(self) -> None:
        """PTB's start, then the rails: overdue work, timer jobs, the outbox sender. A stop
        signal can arrive while this runs; then nothing more is started."""
        self.stopping = False
        self._stop_requested.clear()
        await super().start()
        if self.job_queue is not None and not self.stopping:
            await self.run_periodic()
        if self.job_queue is not None and not self.stopping:
            armed = await TimerJobs(self.services.timers, self.job_queue).start()
            log.info("%d timer(s) re-armed", armed)
            self.job_queue.run_repeating(
                self._periodic_job, interval=60, first=60, name="periodic"
            )
            self.health.schedule()
        if not self.stopping:
            await self.sender.recover()
        if not self.stopping:  # checked again: the stop may have come during recover
            self.sender.start()

    async def run_periodic(self) -> None:
        for task in self.periodic:
            try:
                await task()
            except Exception:
                log.exception("periodic task %s failed", getattr(task, "__qualname__", task))

    async def _periodic_job(self, context: Any) -> None:
        """The JobQueue's minute job."""
        await self.run_periodic()

    async def stop(self) -> None:
        self.stopping = True
        self._stop_requested.set()
        limiter = self.bot.rate_limiter
        if isinstance(limiter, PriorityRateLimiter):
            limiter.stopping = True  # finish the update in hand quickly
        await super().stop()
        try:
            # a database that refuses writes could not record what the grace would send
            await self.sender.stop(grace=0.0 if self.services.db.failing else 2.0)
        except Exception:  # never keep the process from closing the database and exiting
            log.exception("the outbox sender did not stop cleanly")


class CustomContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Per-update context: who is speaking and in which language (set by the gatekeeper)."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self.person: Person | None = None
        self.group: Group | None = None
        self.locale: str = self.app.services.settings.default_locale

    @property
    def app(self) -> PatrolApplication:
        app = self.application
        assert isinstance(app, PatrolApplication)
        return app

    @property
    def services(self) -> Services:
        return self.app.services

    def t(self, key: str, /, **params: object) -> Html:
        return self.app.translator.text(self.locale, key, **params)

    def label(self, key: str, /) -> str:
        """A button label in the person's language (not HTML)."""
        return self.app.translator.plain(self.locale, key)

    async def alert(self, update: Update, text: Html) -> None:
        """Tell the person about the button they pressed, as an alert. Telegram takes one
        answer per press (and 200 characters): if the press was answered already, or the
        text is longer, it goes to them as a private message instead."""
        query = update.callback_query
        if query is None:
            message = update.effective_message
            if message is not None:
                await message.reply_text(text, do_quote=False)
            return
        plain = html.unescape(text)
        try:
            if len(plain) <= ALERT_LIMIT:
                await query.answer(plain, show_alert=True)
                return
            await query.answer()  # stop the button's spinner; the text follows privately
        except BadRequest:
            pass  # answered already
        await self.bot.send_message(query.from_user.id, text)

    async def reply(self, update: Update, key: str, /, **params: Any) -> Message | None:
        """Answer in the chat the update came from, in the person's language."""
        markup = params.pop("reply_markup", None)
        message = update.effective_message
        if message is None:
            return None
        return await message.reply_text(self.t(key, **params), reply_markup=markup, do_quote=False)


JobQueueT = JobQueue[CustomContext]
