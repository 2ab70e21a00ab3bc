"""Timers as rows: every reminder, deadline and daily publish is a row with a due time and a
done mark. The scheduler derives JobQueue jobs from the rows (`arm`), re-arms them at start,
and sweeps for anything due that a job missed; the conditional `finish` in the same
transaction as the timer's effects makes each timer run exactly once."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from models.clock import Clock
from models.rails import Timer
from models.store.db import RETRYABLE, Database
from models.store.rails_repo import TimerRepository
from models.store.writelock import BACKGROUND, URGENT

log = logging.getLogger(__name__)

RETRY_DELAY = timedelta(seconds=30)
BATCH = 50  # timers run in one transaction at most
# How long a transaction of background timers goes on taking the next due timer: updates
# and escalation steps waiting for the write lock go first between two such slices.
SLICE_SECONDS = 0.02
MAX_ATTEMPTS = 20

TimerHandler = Callable[[Timer], Awaitable[None]]
# told of a failed run: the timer and whether it was the last attempt (given up)
FailureHandler = Callable[[Timer, bool], Awaitable[None]]
Armer = Callable[[str, datetime], None]


@dataclass(frozen=True)
class TimerKind:
    """What a kind of timer does when due; `max_lateness` says when running it late is
    pointless (None: always run, however late). An `urgent` kind (a backup call's next
    escalation step) takes the write lock before updates; the others after them.
    `failed`, if given, hears of each failed run (retried in 30 s, given up after 20): a
    kind whose silence costs more than a retry says so to people at once."""

    name: str
    handler: TimerHandler
    max_lateness: timedelta | None = None
    urgent: bool = False
    failed: FailureHandler | None = None


class Timers:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.repo = TimerRepository(db)
        self.last_sweep_at: datetime | None = None
        self.kinds: dict[str, TimerKind] = {}
        self.arm: Armer | None = None  # set by the scheduler once the JobQueue runs
        self._to_arm: dict[str, datetime] = {}
        db.on_commit.append(self._arm_committed)

    def register(self, kind: TimerKind) -> None:
        self.kinds[kind.name] = kind

    async def schedule(
        self, kind: str, key: str, due_at: datetime, payload: dict[str, Any] | None = None
    ) -> None:
        """Create or replace the timer `key` (inside the caller's transaction, if any)."""
        if kind not in self.kinds:
            raise ValueError(f"unknown timer kind {kind}")
        async with self.db.write():
            await self.repo.put(kind, key, due_at, payload or {}, self.clock.now())
        self._to_arm[key] = due_at

    async def ensure(
        self, kind: str, key: str, due_at: datetime, payload: dict[str, Any] | None = None
    ) -> bool:
        """Create the timer `key` only if it has never existed (daily publishing etc.)."""
        async with self.db.write():
            created = await self.repo.ensure(kind, key, due_at, payload or {}, self.clock.now())
        if created:
            self._to_arm[key] = due_at
        return created

    async def cancel(self, key: str) -> None:
        async with self.db.write():
            await self.repo.cancel(key, self.clock.now())
        self._to_arm.pop(key, None)

    def _arm_committed(self) -> None:
        pending, self._to_arm = self._to_arm, {}
        if self.arm is not None:
            for key, due_at in pending.items():
                self.arm(key, due_at)

    async def sweep(self) -> int:
        """Fire every due timer; return how many ran."""
        ran = 0
        for _ in range(100):  # each round runs, skips or postpones at least one: it ends
            due = await self.repo.due(self.clock.now(), BATCH)
            if not due:
                break
            urgent = [t.key for t in due if self._urgent(t)]
            if urgent:
                ran += len(await self._fire(urgent, URGENT))
            else:
                ran += len(await self._fire([t.key for t in due], BACKGROUND))
            if self.db.failing:
                break  # (a database refusing writes is tried once a sweep, not per batch)
        self.last_sweep_at = self.clock.now()  # the health check's sign of life
        return ran

    async def fire(self, key: str) -> bool:
        """Run the timer `key` if it is due and not done; exactly once, even when a job and the
        sweeper race: the done mark and the handler's effects commit together. The other
        timers due by now run in the same transaction (each in its own savepoint), so a
        moment when many come due — a thousand escalations — costs one commit, not one each."""
        timer = await self.repo.get(key)  # read first: no write lock for a job whose timer
        if timer is None or timer.done_at is not None:  # an earlier batch has run already
            return False
        urgent = self._urgent(timer)
        others = [
            t.key
            for t in await self.repo.due(self.clock.now(), BATCH)
            if t.key != key and self._urgent(t) == urgent
        ]
        rank = URGENT if urgent else BACKGROUND
        return key in await self._fire([key, *others[: BATCH - 1]], rank)

    def _urgent(self, timer: Timer) -> bool:
        kind = self.kinds.get(timer.kind)
        return kind is not None and kind.urgent

    async def _fire(self, keys: list[str], rank: int = BACKGROUND) -> set[str]:
        """Run those of `keys` that are due and not done, in one transaction; the ones that ran.

        Urgent timers (`rank` URGENT) all run; background ones only for `SLICE_SECONDS`
        after the first — the rest stay due, for their own jobs or the sweeper — so an
        update never waits long behind a morning's hundreds of publications and reminders."""
        ran: set[str] = set()
        failed: list[str] = []
        try:
            async with self.db.write(rank):
                now = self.clock.now()
                began = time.perf_counter()
                for index, key in enumerate(keys):
                    if (
                        rank == BACKGROUND
                        and index
                        and time.perf_counter() - began > SLICE_SECONDS
                    ):
                        break
                    await self.db.savepoint("timer")
                    try:
                        if await self._run(key, now):
                            ran.add(key)
                    except RETRYABLE:
                        raise  # the database refuses writes: the whole batch waits for it
                    except Exception:
                        log.exception("timer %s failed; it will be retried", key)
                        await self.db.rollback_to("timer")
                        failed.append(key)
                    await self.db.release("timer")
        except RETRYABLE:
            # locked elsewhere, a full disk (the database said so once): not the timers'
            # fault, so no attempt is spent; the sweeper runs them when it takes writes
            return set()
        except Exception:
            log.exception("timers %s could not be committed; they will be retried", keys)
            failed, ran = [*failed, *ran], set()  # (those not due were not touched)
        for key in failed:
            await self._after_failure(key)
        return ran

    async def _run(self, key: str, now: datetime) -> bool:
        timer = await self.repo.get(key)
        if timer is None or timer.done_at is not None or timer.due_at > now:
            return False
        kind = self.kinds.get(timer.kind)
        if kind is None:
            await self.repo.finish(timer.id, now, "unknown-kind")
            return False
        late = now - timer.due_at
        if kind.max_lateness is not None and late > kind.max_lateness:
            await self.repo.finish(timer.id, now, "skipped-late")
            log.info("timer %s skipped: %s late", key, late)
            return False
        if not await self.repo.finish(timer.id, now, "done"):
            return False
        await kind.handler(timer)
        return True

    async def _after_failure(self, key: str) -> None:
        async with self.db.write():
            timer = await self.repo.get(key)
            if timer is None:
                return
            given_up = timer.attempts + 1 >= MAX_ATTEMPTS
            if given_up:
                await self.repo.finish(timer.id, self.clock.now(), "failed")
            else:
                await self.repo.postpone(timer.id, self.clock.now() + RETRY_DELAY)
            kind = self.kinds.get(timer.kind)
            if kind is None or kind.failed is None:
                return
            await self.db.savepoint("failed")
            try:
                await kind.failed(timer, given_up)
            except RETRYABLE:
                raise
            except Exception:  # (the retry above stands whatever the hook does)
                log.exception("timer %s: its failure could not be told", key)
                await self.db.rollback_to("failed")
            await self.db.release("failed")
