"""Is the bot well? Polling got an answer from Telegram lately (or, with a webhook, the server
is up), the timer sweeper ran lately and the database answers. `PATROL_HEARTBEAT_URL` is
called every `PATROL_HEARTBEAT_SECONDS` while all three hold: a dead-man's switch, since a
dead bot cannot say it is dead; the service behind the address alerts when calls stop. In
webhook mode `GET /healthz` answers the same check."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from models.store.db import RETRYABLE

if TYPE_CHECKING:
    from handlers.context import PatrolApplication

log = logging.getLogger(__name__)

# Telegram answers a long poll within ~10 s and the sweeper runs every 5 s: two minutes of
# silence from either is a fault, not a quiet night.
STALE_AFTER = timedelta(minutes=2)
DB_TIMEOUT = 5.0
PING_TIMEOUT = 10.0
# getUpdates without an answer is tried again after 0.25 s, doubling up to 1 s: a backup call
# sent during an outage arrives within a second or two of Telegram's return.
OUTAGE_RETRY_FIRST, OUTAGE_RETRY_MAX = 0.25, 1.0
DB_RETRY_MAX = 5.0
# Polling that has not even tried getUpdates for this long is dead (its loop ended): the
# bot exits non-zero so that systemd or Docker starts it again.
POLLING_DEAD_AFTER = 60.0
WATCHDOG_EVERY = 10.0


class Health:
    def __init__(self, app: PatrolApplication) -> None:
        self.app = app
        self.clock = app.services.clock
        self.webhook = bool(app.services.settings.webhook_url)
        self.polled_at: datetime | None = None
        self.beats = 0
        self.polling: WatchedRequest | None = None  # the getUpdates connection, when polling

    def polled(self) -> None:
        """Telegram answered a getUpdates call."""
        self.polled_at = self.clock.now()

    def _age(self, moment: datetime | None) -> float | None:
        return None if moment is None else (self.clock.now() - moment).total_seconds()

    async def check(self) -> dict[str, Any]:
        """What is wrong, if anything; `ok` when nothing is."""
        problems = []
        if not self.webhook and (
            self.polled_at is None or self.clock.now() - self.polled_at > STALE_AFTER
        ):
            problems.append("polling")
        swept = self.app.services.timers.last_sweep_at
        if swept is None or self.clock.now() - swept > STALE_AFTER:
            problems.append("sweeper")
        db = self.app.services.db
        try:
            await asyncio.wait_for(db.fetch_one("SELECT 1"), DB_TIMEOUT)
        except Exception:
            problems.append("database")
        else:
            if db.failing:  # readable, but it refuses writes (locked elsewhere, disk full)
                problems.append("database")
        report: dict[str, Any] = {
            "ok": not problems,
            "problems": problems,
            "mode": "webhook" if self.webhook else "polling",
            "polled_seconds_ago": self._age(self.polled_at),
            "swept_seconds_ago": self._age(swept),
        }
        if db.failure:
            report["database_error"] = db.failure
        return report

    async def beat(self) -> bool:
        """Call the heartbeat address if all is well; True when it was called."""
        url = self.app.services.settings.heartbeat_url
        if not url:
            return False
        report = await self.check()
        if not report["ok"]:
            log.warning("unhealthy (%s): no heartbeat", ", ".join(report["problems"]))
            return False
        try:
            async with httpx.AsyncClient(timeout=PING_TIMEOUT) as client:
                response = await client.get(url)
            response.raise_for_status()
        except httpx.HTTPError as error:
            log.warning("heartbeat to the monitor failed: %s", type(error).__name__)
            return False
        self.beats += 1
        return True

    async def _job(self, context: Any) -> None:
        await self.beat()

    async def _watchdog(self, context: Any) -> None:
        """Polling that stopped trying (its loop ended, whatever the cause) leaves a process
        that does nothing: exit non-zero instead, so that systemd or Docker restarts it."""
        updater = self.app.updater
        if self.polling is None or self.app.stopping or updater is None or not updater.running:
            return  # not polling (a webhook, a test, a benchmark): nothing to watch
        silent = time.monotonic() - self.polling.attempted_at
        if silent > POLLING_DEAD_AFTER:
            log.critical(
                "polling has stopped (no getUpdates for %.0f s); exiting so that the service"
                " manager starts the bot again",
                silent,
            )
            self.app.exit_code = 1
            self.app.stop_running()

    def schedule(self) -> None:
        """The watchdog, and the repeating heartbeat job (only when an address is set)."""
        if self.polling is not None and self.app.job_queue is not None and not self.webhook:
            self.app.job_queue.run_repeating(
                self._watchdog, interval=WATCHDOG_EVERY, first=WATCHDOG_EVERY, name="watchdog"
            )
        settings = self.app.services.settings
        if settings.heartbeat_url and self.app.job_queue is not None:
            self.app.job_queue.run_repeating(
                self._job,
                interval=settings.heartbeat_seconds,
                first=settings.heartbeat_seconds,
                name="heartbeat",
            )


class WatchedRequest(BaseRequest):
    """The getUpdates connection, reporting each answer from Telegram (to `Health.polled`)."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner
        self.on_answer: Callable[[], None] | None = None
        # the updates of one answer, before PTB's updater sees them (the inbox stores the
        # whole batch with one commit; the next getUpdates confirms them to Telegram)
        self.on_updates: Callable[[list[dict[str, Any]]], Awaitable[None]] | None = None
        # told (once per answer) of updates the database refuses to store
        self.on_refused: Callable[[list[dict[str, Any]]], None] | None = None
        # when the last getUpdates was tried (monotonic): the watchdog's sign of life
        self.attempted_at = time.monotonic()
        # whether polling goes on (PTB's last getUpdates at a stop needs nothing stored)
        self.polling: Callable[[], bool] = lambda: True
        self.down_since: float | None = None  # Telegram has not answered getUpdates since

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    def alive(self) -> None:
        """Polling is waiting for something of ours (the database), not dead."""
        self.attempted_at = time.monotonic()

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One call; for getUpdates, tried again every second while Telegram does not answer
        (PTB's own loop would wait up to 30 s between tries after a long outage), so updates
        flow again within a second or two of its return. Stopping cancels the wait."""
        polling = url.endswith("/getUpdates")
        delay = OUTAGE_RETRY_FIRST
        while True:
            self.attempted_at = time.monotonic()
            try:
                code, payload = await self.inner.do_request(
                    url,
                    method,
                    request_data,
                    read_timeout=read_timeout,
                    write_timeout=write_timeout,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout,
                )
            except NetworkError as error:  # refused, reset, timed out: no answer at all
                if not polling:
                    raise
                problem = f"{type(error).__name__}: {error.message}"
            else:
                if not polling or code < 500:
                    break
                problem = f"HTTP {code}"
            if self.down_since is None:
                self.down_since = time.monotonic()
                log.warning(
                    "Telegram does not answer getUpdates (%s); trying again every second", problem
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, OUTAGE_RETRY_MAX)
        if polling and self.down_since is not None:
            log.warning(
                "Telegram answers getUpdates again after %.0f s",
                time.monotonic() - self.down_since,
            )
            self.down_since = None
        if code == 200 and polling:
            if self.on_answer is not None:
                self.on_answer()
            if self.on_updates is not None:
                await self._hand_over(payload)
        return code, payload

    async def _hand_over(self, payload: bytes) -> None:
        """Store the answer's updates before PTB's updater queues them. A database that
        refuses (locked elsewhere, disk full) is waited for: the answer is not confirmed to
        Telegram until it is stored, so nothing is lost and polling goes on afterwards."""
        assert self.on_updates is not None
        try:
            result = json.loads(payload).get("result")
        except ValueError:
            return  # PTB reports the broken answer
        if not isinstance(result, list) or not result:
            return
        delay = OUTAGE_RETRY_FIRST
        while self.polling():  # at a stop, what is not stored stays unconfirmed at Telegram
            self.attempted_at = time.monotonic()  # alive, waiting for the database
            try:
                await self.on_updates([u for u in result if isinstance(u, dict)])
                return
            except RETRYABLE:
                if delay == OUTAGE_RETRY_FIRST and self.on_refused is not None:
                    self.on_refused([u for u in result if isinstance(u, dict)])
                await asyncio.sleep(delay)  # the database logged it (once) and health says so
                delay = min(delay * 2, DB_RETRY_MAX)
            except Exception:
                # each update is then stored on its own as the updater queues it
                log.exception("a batch of %d updates could not be stored at once", len(result))
                return
