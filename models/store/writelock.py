"""The one write lock, with an order among those waiting for it.

asyncio's `Lock` hands itself to waiters first come, first served. That is wrong for us at
the moments many timers come due together (07:00, when every office publishes its patrol
day; a start after downtime): each due timer's job queues for the lock, and an update
arriving a moment later — a backup call — would wait behind every one of them. Here a
waiter says how much it matters (`URGENT` < `NORMAL` < `BACKGROUND`), and when the lock is
released it goes to the most important waiter, first come first served among equals.
Background work still runs whenever nothing more important waits; a background holder is
never interrupted, so it keeps its transactions short (see `models/services/timers.py`).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

URGENT = 0  # an escalation step of a backup call
NORMAL = 1  # updates, services, the outbox sender's bookkeeping
BACKGROUND = 2  # timers that can wait a moment: publications, reminders, reports, retention


class RankedLock:
    """A mutex whose waiters are served by rank, then in order of arrival."""

    def __init__(self) -> None:
        self._held = False
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def locked(self) -> bool:
        return self._held

    def waiting(self, rank: int | None = None) -> int:
        """How many wait (of `rank`, or of any rank)."""
        return sum(1 for r, _, f in self._waiters if not f.done() and rank in (None, r))

    async def acquire(self, rank: int = NORMAL) -> None:
        if not self._held and not any(not f.done() for _, _, f in self._waiters):
            self._held = True
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (rank, next(self._order), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # handed to us just as we were cancelled: pass it on
            raise

    def release(self) -> None:
        if not self._held:
            raise RuntimeError("release of a write lock that is not held")
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)  # (it stays held: handed over)
                return
        self._held = False
