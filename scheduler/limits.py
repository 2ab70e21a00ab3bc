"""Telegram's sending limits, with urgent sends ahead of bulk ones.

Telegram allows about 30 messages a second overall, one a second per private chat (short
bursts tolerated) and 20 a minute per group. Bulk sends (broadcasts, tips) may use at most
`BULK_RATE` of the overall 30/s, and give way whenever an urgent send (a reply, a backup
call, an escalation) is waiting for the overall share, so the urgent one goes with the next
token (a thirtieth of a second), however large a broadcast is running.

The buckets are sized so that no window of the limit's length ever holds more than the limit
(a bucket lets through at most `burst + rate × window`): the overall and bulk lanes are
smooth (no burst), a group gets a burst of 5 and then 15 a minute. A broadcast runs at
`BULK_RATE`, within 10% of what Telegram allows, without a 429 (benchmarks/broadcast.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

OVERALL_RATE, OVERALL_BURST = 30.0, 1.0
BULK_RATE, BULK_BURST = 29.0, 1.0
PRIVATE_RATE, PRIVATE_BURST = 1.0, 6.0
GROUP_RATE, GROUP_BURST = 15 / 60, 5.0
NETWORK_RETRY_DELAY = 0.3


def retry_seconds(error: RetryAfter) -> float:
    """How long Telegram asked us to wait (PTB is moving this from int to timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value if isinstance(value, int | float) else value.total_seconds()


class TokenBucket:
    """`rate` tokens a second up to `capacity`; `pause()` holds it after a RetryAfter."""

    def __init__(
        self, rate: float, capacity: float, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.capacity = capacity
        self._now = now
        self._tokens = capacity
        self._updated = now()
        self._paused_until = 0.0

    def _refill(self) -> None:
        now = self._now()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def wait_time(self) -> float:
        """Seconds until a token is free (0 when one is free now)."""
        self._refill()
        pause = max(0.0, self._paused_until - self._now())
        if self._tokens >= 1:
            return pause
        return max(pause, (1 - self._tokens) / self.rate)

    def take(self) -> None:
        self._refill()
        self._tokens -= 1

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._now() + seconds)

    @property
    def idle(self) -> bool:
        self._refill()
        return self._tokens >= self.capacity and self._paused_until <= self._now()


async def acquire(*buckets: TokenBucket, give_way: Callable[[], bool] | None = None) -> None:
    """Take one token from every bucket, waiting until all have one (and, with `give_way`,
    until it no longer says that someone more urgent is waiting)."""
    while True:
        wait = max(b.wait_time() for b in buckets)
        if wait <= 0 and not (give_way and give_way()):
            for bucket in buckets:
                bucket.take()
            return
        await asyncio.sleep(wait if wait > 0 else 1 / OVERALL_RATE)


class PriorityRateLimiter(BaseRateLimiter[dict[str, Any]]):
    """PTB's rate-limiter seam. Pass `rate_limit_args={"bulk": True}` for bulk sends."""

    def __init__(self, max_retries: int = 3) -> None:
        self.max_retries = max_retries
        # set while the bot stops: the update in hand must finish within the stop deadline,
        # so sends no longer wait for their share (a 429 is still honoured by the outbox)
        self.stopping = False
        self.overall = TokenBucket(OVERALL_RATE, OVERALL_BURST)
        self.bulk = TokenBucket(BULK_RATE, BULK_BURST)
        self.chats: dict[int, TokenBucket] = {}
        # urgent sends whose chat has room and that wait only for the overall share: while
        # there are any, bulk sends let them go first
        self.urgent_waiting = 0

    async def _acquire_urgent(self, chat: TokenBucket) -> None:
        ready = False  # counted in urgent_waiting
        try:
            while True:
                chat_wait, overall_wait = chat.wait_time(), self.overall.wait_time()
                if chat_wait <= 0 and overall_wait <= 0:
                    chat.take()
                    self.overall.take()
                    return
                if (chat_wait <= 0) != ready:
                    ready = not ready
                    self.urgent_waiting += 1 if ready else -1
                await asyncio.sleep(max(chat_wait, overall_wait))
        finally:
            if ready:
                self.urgent_waiting -= 1

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def _chat_bucket(self, chat_id: int) -> TokenBucket:
        bucket = self.chats.get(chat_id)
        if bucket is None:
            if len(self.chats) > 10_000:  # forget chats that have been quiet
                self.chats = {k: v for k, v in self.chats.items() if not v.idle}
            if chat_id < 0:
                bucket = TokenBucket(GROUP_RATE, GROUP_BURST)
            else:
                bucket = TokenBucket(PRIVATE_RATE, PRIVATE_BURST)
            self.chats[chat_id] = bucket
        return bucket

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for capacity (only calls aimed at a chat count), call, retry after RetryAfter."""
        chat_id: int | None = None
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(data["chat_id"]) if data.get("chat_id") is not None else None
        bulk = bool(rate_limit_args and rate_limit_args.get("bulk"))
        retries = self.max_retries
        if rate_limit_args and "retries" in rate_limit_args:
            retries = int(rate_limit_args["retries"])
        for attempt in range(retries + 1):
            if chat_id is not None and not self.stopping:
                if bulk:
                    await acquire(
                        self.overall,
                        self._chat_bucket(chat_id),
                        self.bulk,
                        give_way=lambda: self.urgent_waiting > 0,
                    )
                else:
                    await self._acquire_urgent(self._chat_bucket(chat_id))
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_seconds(exc)
                target = self._chat_bucket(chat_id) if chat_id is not None else self.overall
                target.pause(wait)
                if bulk:
                    self.bulk.pause(wait)  # a broadcast slows down; urgent sends go on
                if attempt == retries:
                    raise
                log.info("Telegram asked to wait %.1f s (%s)", wait, endpoint)
            except BadRequest:
                raise  # our request was wrong: sending it again changes nothing
            except NetworkError as exc:
                # A 5xx or a broken connection: a reply is worth a few quick tries (a repeat
                # after an unknown outcome may show twice; a lost reply would be worse).
                if attempt == retries or endpoint == "getUpdates":
                    raise
                log.info("%s failed (%s); trying again", endpoint, exc.message)
                await asyncio.sleep(NETWORK_RETRY_DELAY * (2**attempt))
        raise AssertionError("unreachable")
