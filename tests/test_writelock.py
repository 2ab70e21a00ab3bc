"""The write lock serves its waiters by rank, then in order of arrival, and a waiter cancelled
as the lock was handed to it passes it on (models/store/writelock.py)."""

from __future__ import annotations

import asyncio

import pytest

from models.store.writelock import BACKGROUND, NORMAL, URGENT, RankedLock


async def test_waiters_are_served_by_rank_then_arrival() -> None:
    lock = RankedLock()
    order: list[str] = []
    await lock.acquire(BACKGROUND)  # a morning timer holds it

    async def take(name: str, rank: int) -> None:
        await lock.acquire(rank)
        order.append(name)
        lock.release()

    ranks = [("timer-1", BACKGROUND), ("update-1", NORMAL), ("timer-2", BACKGROUND),
             ("escalation", URGENT), ("update-2", NORMAL)]  # fmt: skip
    tasks = [asyncio.create_task(take(name, rank)) for name, rank in ranks]
    await asyncio.sleep(0)
    assert lock.waiting() == 5 and lock.waiting(BACKGROUND) == 2
    lock.release()
    await asyncio.gather(*tasks)
    assert order == ["escalation", "update-1", "update-2", "timer-1", "timer-2"]
    assert not lock.locked()


async def test_a_cancelled_waiter_does_not_keep_the_lock() -> None:
    lock = RankedLock()
    await lock.acquire()
    first = asyncio.create_task(lock.acquire(URGENT))
    second = asyncio.create_task(lock.acquire(NORMAL))
    await asyncio.sleep(0)
    lock.release()  # handed to `first`…
    first.cancel()  # …which is cancelled before it runs: it passes the lock on
    with pytest.raises(asyncio.CancelledError):
        await first
    await second
    assert lock.locked() and lock.waiting() == 0
    lock.release()
    assert not lock.locked()
    with pytest.raises(RuntimeError):
        lock.release()
