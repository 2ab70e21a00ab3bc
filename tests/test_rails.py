"""The rails in process: inbox, outbox, timers, durable conversations (real database, real
application, Telegram faked at the request seam, a clock the test moves)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from telegram import Update

from handlers.inbox import DurableUpdateQueue
from models.org import Office
from models.rails import Timer
from models.services import timers
from models.services.timers import TimerKind
from tests import builders
from tests.builders import User
from tests.flows import CHIEF, invite, setup_station
from tests.harness import Harness, make_settings

PERSON = 9001


async def queue_note(h: Harness, chat_id: int = PERSON, urgent: bool = False) -> int:
    async with h.services.db.write():
        return await h.services.outbox.send(chat_id, "note", urgent=urgent, ref="test:1")


async def test_same_update_twice_has_its_effects_once(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    payload = builders.text(CHIEF, "/areas")
    await h.feed(payload)
    await h.press_label(CHIEF, "➕ 警务室")
    name = builders.text(CHIEF, "西山警务室")
    await h.feed(name)
    calls = await h.feed(name)  # Telegram delivers the same update again
    assert calls == []
    station = (await h.services.org.repo.stations())[0]
    offices = [o.name for o in await h.services.org.repo.offices(station.id)]
    assert offices.count("西山警务室") == 1


async def test_failed_update_rolls_back_its_effects_and_is_marked_done(
    harness: Harness,
) -> None:
    h = harness
    await setup_station(h)
    await h.send(CHIEF, "/areas")
    await h.press_label(CHIEF, "➕ 警务室")
    original = h.services.org.repo.add_office

    async def add_then_fail(station_id: int, name: str, at: datetime) -> Office:
        await original(station_id, name, at)
        raise RuntimeError("after the insert")

    h.services.org.repo.add_office = add_then_fail  # type: ignore[method-assign]
    payload = builders.text(CHIEF, "西山警务室")
    calls = await h.feed(payload)
    assert "数据是安全的" in h.texts(calls)[0]
    station = (await h.services.org.repo.stations())[0]
    assert "西山警务室" not in [o.name for o in await h.services.org.repo.offices(station.id)]
    row = await h.services.db.fetch_one(
        "SELECT done_at, failed FROM inbox WHERE update_id = ?", (payload["update_id"],)
    )
    assert row is not None and row["done_at"] is not None and row["failed"] == 1
    # the conversation stayed where it was: the name can be sent again
    h.services.org.repo.add_office = original  # type: ignore[method-assign]
    await h.send(CHIEF, "西山警务室")
    assert "西山警务室" in [o.name for o in await h.services.org.repo.offices(station.id)]


async def test_stored_updates_not_done_are_processed_first_at_start(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "patrol.db")
    first = Harness(settings)
    await first.start()
    await setup_station(first)
    update = builders.text(CHIEF, "/help")
    parsed = Update.de_json(update, first.app.bot)
    assert parsed is not None
    assert await first.app.inbox.store(parsed)  # stored, then the bot died before processing it
    await first.stop()

    second = Harness(settings, clock=first.clock)
    await second.start()
    try:
        assert second.app.update_queue.qsize() == 1
        queued = second.app.update_queue.get_nowait()
        await second.app.process_update(queued)
        await second.app.sender.drain()  # the reply left through the outbox
        assert "所长" in second.last_text(CHIEF.id)
        row = await second.services.db.fetch_one(
            "SELECT done_at FROM inbox WHERE update_id = ?", (update["update_id"],)
        )
        assert row is not None and row["done_at"] is not None
    finally:
        await second.stop()


async def test_outbox_retries_5xx_and_honours_retry_after(harness: Harness) -> None:
    h = harness
    await queue_note(h)
    h.tg.fail_methods["sendMessage"] = 1
    await h.app.sender.drain()
    item = (await h.services.outbox.repo.by_ref("test:1"))[0]
    assert item.status == "pending" and item.attempts == 1 and not item.possible_duplicate
    h.clock.advance(timedelta(seconds=2))
    h.tg.retry_after["sendMessage"] = 1
    await h.app.sender.drain()
    item = (await h.services.outbox.repo.by_ref("test:1"))[0]
    assert item.status == "pending" and item.error == "RetryAfter"
    assert item.next_attempt_at == h.clock.now() + timedelta(seconds=3)
    h.clock.advance(timedelta(seconds=3))
    await h.app.sender.drain()
    item = (await h.services.outbox.repo.by_ref("test:1"))[0]
    assert item.status == "sent" and item.message_id is not None
    assert [c.text for c in h.tg.sent(PERSON)].count("note") == 3  # two refused, one delivered


async def test_timeout_is_retried_and_counted_as_possible_duplicate(harness: Harness) -> None:
    h = harness
    await queue_note(h)
    h.tg.timeouts["sendMessage"] = 1
    await h.app.sender.drain()
    h.clock.advance(timedelta(seconds=5))
    await h.app.sender.drain()
    item = (await h.services.outbox.repo.by_ref("test:1"))[0]
    assert item.status == "sent" and item.possible_duplicate


async def test_blocked_recipient_fails_for_good_and_the_feature_is_told(
    harness: Harness,
) -> None:
    h = harness
    await setup_station(h)
    chief = await h.services.people.by_telegram(CHIEF.id)
    assert chief is not None
    told: list[str] = []

    async def on_failure(item: object, error: str) -> None:
        told.append(error)

    h.services.outbox.failure_handlers["test"] = on_failure
    h.tg.blocked.add(CHIEF.id)
    await queue_note(h, CHIEF.id)
    await h.app.sender.drain()
    item = (await h.services.outbox.repo.by_ref("test:1"))[0]
    assert item.status == "failed" and "blocked" in (item.error or "")
    assert told and "blocked" in told[0]
    row = await h.services.db.fetch_one(
        "SELECT unreachable_at FROM people WHERE id = ?", (chief.id,)
    )
    assert row is not None and row["unreachable_at"] is not None


async def test_edit_waits_for_the_original_message_id(harness: Harness) -> None:
    h = harness
    original = await queue_note(h, urgent=True)
    await h.services.outbox.edit(original, "李警官 is going")
    h.tg.fail_methods["sendMessage"] = 1
    await h.app.sender.drain()
    assert [c.method for c in h.tg.calls if c.chat_id == PERSON] == ["sendMessage"]
    h.clock.advance(timedelta(seconds=5))
    await h.app.sender.drain()
    methods = [(c.method, c.params.get("message_id")) for c in h.tg.calls if c.chat_id == PERSON]
    sent_id = (await h.services.outbox.repo.get(original)).message_id  # type: ignore[union-attr]
    assert methods[-2:] == [("sendMessage", None), ("editMessageText", sent_id)]


async def test_urgent_items_go_before_bulk_ones(harness: Harness) -> None:
    h = harness
    for chat in range(1, 31):
        async with h.services.db.write():
            await h.services.outbox.send(-chat, "bulk tip", ref="tip:1")
    async with h.services.db.write():
        await h.services.outbox.send(PERSON, "backup call", urgent=True, ref="backup:1")
    await h.app.sender.drain()
    sends = [c for c in h.tg.calls if c.method == "sendMessage"]
    assert sends[0].text == "backup call"


async def test_in_flight_sends_at_a_crash_are_sent_again_and_flagged(harness: Harness) -> None:
    h = harness
    item_id = await queue_note(h)
    async with h.services.db.write():
        await h.services.outbox.repo.claim(item_id)  # then the bot died mid-send
    await h.app.sender.recover()
    await h.app.sender.drain()
    item = await h.services.outbox.repo.get(item_id)
    assert item is not None and item.status == "sent" and item.possible_duplicate


async def test_timer_runs_once_when_a_job_and_the_sweeper_race(harness: Harness) -> None:
    h = harness
    runs: list[str] = []

    async def handler(timer: Timer) -> None:
        runs.append(timer.key)
        await h.services.outbox.send(PERSON, "due", ref="test:timer")

    h.services.timers.register(TimerKind("test", handler))
    await h.services.timers.schedule("test", "test:1", h.clock.now() + timedelta(minutes=5))
    assert await h.services.timers.sweep() == 0  # not due yet
    h.clock.advance(timedelta(minutes=5))
    results = await asyncio.gather(
        h.services.timers.fire("test:1"),
        h.services.timers.sweep(),
        h.services.timers.fire("test:1"),
    )
    assert runs == ["test:1"] and sum(int(r) for r in results) == 1
    timer = await h.services.timers.repo.get("test:1")
    assert timer is not None and timer.outcome == "done"
    assert len(await h.services.outbox.repo.by_ref("test:timer")) == 1


async def test_timer_that_fails_is_retried_later(harness: Harness) -> None:
    h = harness
    attempts: list[int] = []

    async def flaky(timer: Timer) -> None:
        attempts.append(1)
        await h.services.outbox.send(PERSON, "partial", ref="test:flaky")
        if len(attempts) == 1:
            raise RuntimeError("first try fails")

    h.services.timers.register(TimerKind("flaky", flaky))
    await h.services.timers.schedule("flaky", "flaky:1", h.clock.now())
    assert await h.services.timers.sweep() == 0
    assert await h.services.outbox.repo.by_ref("test:flaky") == []  # rolled back
    h.clock.advance(timedelta(seconds=31))
    assert await h.services.timers.sweep() == 1
    assert len(await h.services.outbox.repo.by_ref("test:flaky")) == 1


async def test_a_failing_timer_tells_its_kind_each_time_and_when_it_is_given_up(
    harness: Harness,
) -> None:
    """A kind with a `failed` hook hears of every failed run (what it writes stays, even
    when the run's own writes roll back), and the last one is marked given up; a hook that
    fails itself changes nothing about the retries."""
    h = harness
    heard: list[bool] = []

    async def broken(timer: Timer) -> None:
        raise RuntimeError("always")

    async def failed(timer: Timer, given_up: bool) -> None:
        heard.append(given_up)
        await h.services.outbox.send(PERSON, f"failed {len(heard)}", ref="test:failed")
        if len(heard) == 2:
            raise RuntimeError("the hook fails too, once")

    h.services.timers.register(TimerKind("broken", broken, failed=failed))
    await h.services.timers.schedule("broken", "broken:1", h.clock.now())
    for _ in range(timers.MAX_ATTEMPTS + 3):
        await h.services.timers.sweep()
        h.clock.advance(timedelta(seconds=31))
    assert heard == [False] * (timers.MAX_ATTEMPTS - 1) + [True]
    told = await h.services.outbox.repo.by_ref("test:failed")
    assert len(told) == timers.MAX_ATTEMPTS - 1  # (the second one's rolled back)
    row = await h.services.db.fetch_one("SELECT * FROM timers WHERE key = 'broken:1'")
    assert row is not None and row["done_at"] is not None


async def test_pointless_late_timer_is_skipped(harness: Harness) -> None:
    h = harness
    runs: list[str] = []

    async def remind(timer: Timer) -> None:
        runs.append(timer.key)

    h.services.timers.register(TimerKind("remind", remind, max_lateness=timedelta(minutes=10)))
    await h.services.timers.schedule("remind", "remind:1", h.clock.now())
    h.clock.advance(timedelta(hours=1))
    await h.services.timers.sweep()
    timer = await h.services.timers.repo.get("remind:1")
    assert runs == [] and timer is not None and timer.outcome == "skipped-late"


async def test_conversation_timeout_fires_after_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "patrol.db")
    first = Harness(settings)
    await first.start()
    await setup_station(first)
    code = await invite(first, CHIEF, "巡防队员", "东关警务室")
    newcomer = User(9100, "N", "en")
    await first.send(newcomer, f"/start {code}")
    await first.press_label(newcomer, "English")
    await first.stop()

    first.clock.advance(timedelta(hours=25))
    second = Harness(settings, clock=first.clock)
    await second.start()
    try:
        calls = await second.tick()
        assert any("registration was paused" in t for t in second.texts(calls, newcomer.id))
        assert await second.services.conversations.get(newcomer.id, newcomer.id) is None
        assert await second.tick() == []  # once
    finally:
        await second.stop()


async def test_updates_handed_over_together_share_their_commits(harness: Harness) -> None:
    """One getUpdates answer of twelve updates (as under load): stored with one commit
    before the updater queues them, then processed in a few transactions — each update
    once, each answered, all marked done."""
    people = [User(7100 + n, f"U{n}") for n in range(12)]
    raws = [builders.text(person, "/help") for person in people]
    app, db = harness.app, harness.services.db
    await app.start()
    commits: list[frozenset[str]] = []
    db.on_commit.append(lambda: commits.append(db.last_committed))
    queue = app.update_queue
    assert isinstance(queue, DurableUpdateQueue)
    try:
        await queue.stored_in_advance(raws)
        assert commits == [frozenset({"inbox"})]  # the whole answer, one commit
        for raw in raws:
            update = Update.de_json(raw, app.bot)
            assert update is not None
            await queue.put(update)  # already stored: queued without another commit
        for _ in range(500):
            row = await db.fetch_one("SELECT COUNT(*) n FROM inbox WHERE done_at IS NULL")
            if row is not None and row["n"] == 0:
                break
            await asyncio.sleep(0.01)
    finally:
        await app.stop()
    processing = [c for c in commits[1:] if "inbox" in c]
    assert 1 <= len(processing) < len(raws) // 2, processing
    rows = await db.fetch_all("SELECT update_id, done_at, failed FROM inbox ORDER BY update_id")
    assert [r["update_id"] for r in rows] == [raw["update_id"] for raw in raws]
    assert all(r["done_at"] is not None and r["failed"] == 0 for r in rows)
    for person in people:
        assert len(harness.tg.sent(person.id)) == 1  # answered once


async def test_a_database_error_in_one_update_of_a_batch_keeps_the_others(
    harness: Harness,
) -> None:
    """Three updates in one batch; the database fails on the second's done mark: the first
    and the third are committed, the second stays pending for the next start."""
    people = [User(7200 + n, f"V{n}") for n in range(3)]
    raws = [builders.text(person, "/help") for person in people]
    app, db = harness.app, harness.services.db
    repo = harness.services.inbox.repo
    real_mark_done = repo.mark_done
    failing = raws[1]["update_id"]

    def mark_done(update_id: int, at: object, failed: bool) -> None:
        if update_id == failing:
            raise sqlite3.OperationalError("disk I/O error")
        real_mark_done(update_id, at, failed)  # type: ignore[arg-type]

    repo.mark_done = mark_done  # type: ignore[method-assign]
    queue = app.update_queue
    assert isinstance(queue, DurableUpdateQueue)
    await app.start()
    try:
        await queue.stored_in_advance(raws)
        for raw in raws:
            update = Update.de_json(raw, app.bot)
            assert update is not None
            await queue.put(update)
        for _ in range(500):
            row = await db.fetch_one("SELECT COUNT(*) n FROM inbox WHERE done_at IS NULL")
            if row is not None and row["n"] == 1:
                break
            await asyncio.sleep(0.01)
    finally:
        await app.stop()
    rows = await db.fetch_all("SELECT update_id, done_at FROM inbox ORDER BY update_id")
    assert [(r["update_id"], r["done_at"] is not None) for r in rows] == [
        (raws[0]["update_id"], True),
        (failing, False),
        (raws[2]["update_id"], True),
    ]
