"""Is the bot well? Polling got an answer from Telegram lately (or, with a webhook, the server
is up), the timer sweeper ran lately and the database answers. `PATROL_HEARTBEAT_URL` is
called every `PATROL_HEARTBEAT_SECONDS` while all three hold: a dead-man's switch, since a
dead bot cannot say it is dead; the service behind the address alerts when calls stop. In
webhook mode `GET /healthz` answers the same check."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from telegram.request import BaseRequest, RequestData

if TYPE_CHECKING:
    from handlers.context import PatrolApplication

log = logging.getLogger(__name__)

# Telegram answers a long poll within ~10 s and the sweeper runs every 5 s: two minutes of
# silence from either is a fault, not a quiet night.
STALE_AFTER = timedelta(minutes=2)
DB_TIMEOUT = 5.0
PING_TIMEOUT = 10.0


class Health:
    def __init__(self, app: PatrolApplication) -> None:
        self.app = app
        self.clock = app.services.clock
        self.webhook = bool(app.services.settings.webhook_url)
        self.polled_at: datetime | None = None
        self.beats = 0

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
        try:
            await asyncio.wait_for(self.app.services.db.fetch_one("SELECT 1"), DB_TIMEOUT)
        except Exception:
            problems.append("database")
        return {
            "ok": not problems,
            "problems": problems,
            "mode": "webhook" if self.webhook else "polling",
            "polled_seconds_ago": self._age(self.polled_at),
            "swept_seconds_ago": self._age(swept),
        }

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

    def schedule(self) -> None:
        """The repeating heartbeat job (only when an address is set)."""
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

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

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
        code, payload = await self.inner.do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        if code == 200 and url.endswith("/getUpdates"):
            if self.on_answer is not None:
                self.on_answer()
            if self.on_updates is not None:
                await self._hand_over(payload)
        return code, payload

    async def _hand_over(self, payload: bytes) -> None:
        assert self.on_updates is not None
        try:
            result = json.loads(payload).get("result")
        except ValueError:
            return  # PTB reports the broken answer
        if isinstance(result, list) and result:
            try:
                await self.on_updates([u for u in result if isinstance(u, dict)])
            except Exception:
                # each update is then stored on its own as the updater queues it
                log.exception("a batch of %d updates could not be stored at once", len(result))
