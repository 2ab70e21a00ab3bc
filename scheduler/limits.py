"""Telegram's sending limits, with urgent sends ahead of bulk ones.

Telegram allows about 30 messages a second overall, one a second per private chat (short
bursts tolerated) and 20 a minute per group. Sends have the outbox's three priorities:
urgent (backup calls, escalation steps, report cards), replies, bulk (broadcasts, tips).
Bulk sends may use at most `BULK_RATE` of the overall 30/s; a send gives way whenever one of
a higher priority is waiting only for the overall share, so an urgent one goes with the next
token (a thirtieth of a second), however large a broadcast or a wave of replies is.
A 429 pauses the chat it was for (and the bulk lane, for a bulk send), never the urgent
lane; the outbox's sends do not wait out a pause (`SendLater`): they hold no slot meanwhile.

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

from models.rails import BULK, REPLY

log = logging.getLogger(__name__)

OVERALL_RATE, OVERALL_BURST = 30.0, 1.0
BULK_RATE, BULK_BURST = 29.0, 1.0
PRIVATE_RATE, PRIVATE_BURST = 1.0, 6.0
GROUP_RATE, GROUP_BURST = 15 / 60, 5.0
NETWORK_RETRY_DELAY = 0.3
# An outbox send waits at most this long for a chat (or the bulk lane) that Telegram paused
# with a 429; a longer pause puts it back in the outbox, so it holds no sending slot meanwhile.
PAUSE_HOLD = 1.0


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

    def paused_for(self) -> float:
        """Seconds the pause after a RetryAfter still holds (0 when not paused)."""
        return max(0.0, self._paused_until - self._now())

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


class SendLater(Exception):
    """An outbox send that would wait out a pause (a 429's `retry_after` on its chat, or on
    the bulk lane): the sender puts it back for `seconds` instead of holding a slot."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"paused for {seconds:.1f} s")
        self.seconds = seconds


class PriorityRateLimiter(BaseRateLimiter[dict[str, Any]]):
    """PTB's rate-limiter seam. `rate_limit_args`: `{"priority": BULK | REPLY | URGENT}`
    (calls without one are replies), `{"outbox": True}` for the sender's calls (a pause is
    then raised as `SendLater`, not waited out), `{"retries": N}`."""

    def __init__(self, max_retries: int = 3) -> None:
        self.max_retries = max_retries
        # set while the bot stops: the update in hand must finish within the stop deadline,
        # so sends no longer wait for their share (a 429 is still honoured by the outbox)
        self.stopping = False
        self.overall = TokenBucket(OVERALL_RATE, OVERALL_BURST)
        self.bulk = TokenBucket(BULK_RATE, BULK_BURST)
        self.chats: dict[int, TokenBucket] = {}
        # per priority, the sends whose chat (and lane) have room and that wait only for the
        # overall share: while any of a higher priority wait, lower ones let them go first
        self.waiting = [0, 0, 0]

    def _someone_more_urgent(self, priority: int) -> bool:
        return any(self.waiting[p] for p in range(priority + 1, len(self.waiting)))

    async def _acquire(self, chat: TokenBucket, priority: int) -> None:
        lane = self.bulk if priority == BULK else None
        ready = False  # counted in `waiting`
        try:
            while True:
                chat_wait = chat.wait_time()
                lane_wait = lane.wait_time() if lane is not None else 0.0
                overall_wait = self.overall.wait_time()
                if max(chat_wait, lane_wait, overall_wait) <= 0 and not self._someone_more_urgent(
                    priority
                ):
                    for bucket in (chat, self.overall, lane):
                        if bucket is not None:
                            bucket.take()
                    return
                if (max(chat_wait, lane_wait) <= 0) != ready:
                    ready = not ready
                    self.waiting[priority] += 1 if ready else -1
                wait = max(chat_wait, lane_wait, overall_wait)
                await asyncio.sleep(wait if wait > 0 else 1 / OVERALL_RATE)
        finally:
            if ready:
                self.waiting[priority] -= 1

    def paused(self, chat_id: int) -> float:
        """Seconds a pause (after a 429) still holds this chat."""
        bucket = self.chats.get(chat_id)
        return bucket.paused_for() if bucket is not None else 0.0

    def paused_chats(self) -> set[int]:
        return {chat for chat, bucket in self.chats.items() if bucket.paused_for() > 0}

    @property
    def bulk_paused(self) -> float:
        return self.bulk.paused_for()

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
        options = rate_limit_args or {}
        priority = int(options.get("priority", BULK if options.get("bulk") else REPLY))
        from_outbox = bool(options.get("outbox"))
        retries = int(options.get("retries", self.max_retries))
        for attempt in range(retries + 1):
            if chat_id is not None and not self.stopping:
                chat = self._chat_bucket(chat_id)
                if from_outbox:
                    held = max(chat.paused_for(), self.bulk.paused_for() if priority == 0 else 0)
                    if held > PAUSE_HOLD:
                        raise SendLater(held)
                await self._acquire(chat, priority)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_seconds(exc)
                if chat_id is not None:
                    self._chat_bucket(chat_id).pause(wait)  # that chat waits; others go on
                if priority == BULK:
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
