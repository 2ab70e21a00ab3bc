"""Telegram's limits: a broadcast saturating the bulk lane never holds an urgent send back
for more than a fraction of a second (simulated clock, no sleeping)."""

from __future__ import annotations

from scheduler.limits import BULK_RATE, OVERALL_RATE, TokenBucket


class SimClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bulk_at_full_speed_leaves_room_for_urgent_sends() -> None:
    clock = SimClock()
    overall = TokenBucket(OVERALL_RATE, OVERALL_RATE, clock)
    bulk = TokenBucket(BULK_RATE, BULK_RATE, clock)
    groups = [TokenBucket(20 / 60, 5, clock) for _ in range(600)]
    urgent_chat = TokenBucket(1.0, 6.0, clock)
    sent_bulk = 0
    worst_urgent_wait = 0.0
    step = 0.01
    for tick in range(int(30 / step)):  # thirty seconds of a 600-group broadcast
        clock.now = tick * step
        for group in groups:
            if max(overall.wait_time(), bulk.wait_time(), group.wait_time()) == 0:
                for bucket in (overall, bulk, group):
                    bucket.take()
                sent_bulk += 1
        if tick % 50 == 0:  # a backup call every half second
            wait = max(overall.wait_time(), urgent_chat.wait_time())
            worst_urgent_wait = max(worst_urgent_wait, wait)
            if wait == 0:
                overall.take()
                urgent_chat.take()
    assert worst_urgent_wait < 1.0
    assert sent_bulk <= BULK_RATE * 30 + BULK_RATE  # the bulk lane stays within its share
    assert sent_bulk > 600  # and the broadcast still moves


def test_retry_after_pauses_a_bucket() -> None:
    clock = SimClock()
    bucket = TokenBucket(1.0, 3.0, clock)
    bucket.pause(5)
    assert bucket.wait_time() == 5
    clock.now = 5
    assert bucket.wait_time() == 0
