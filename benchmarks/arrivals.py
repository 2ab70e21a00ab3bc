"""Open arrivals: updates arriving at random moments (a Poisson stream, 50 a second by
default) rather than a queue kept full — the way a county's people actually use the bot —
through the whole application on the seeded three-year county (benchmarks/seed.py).

Telegram is faked at PTB's request seam; its `getUpdates` is a long poll that answers as
soon as an update has arrived, as Telegram's does. An update's latency runs from its arrival
to the commit of its effects and its done mark (what it said is then on its way: replies
leave through the outbox). The mix is `benchmarks.updates.workload`: reports with an
officer's acknowledgement, backup calls claimed and resolved, check-in/out with the log,
/today. Telegram's limits are off (they would cap sends at 30/s and measure Telegram, not
us); the per-account inbound limits are lifted (a script, not people)."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from telegram.request import RequestData

from benchmarks.people import unlimited
from benchmarks.updates import _percentile, seed, workload
from bot import build_application
from models.aio import wait_event
from models.config import Settings
from tests.fakes import TOKEN, FakeTelegram


class ArrivingTelegram(FakeTelegram):
    """`getUpdates` answering with the updates that have arrived since the offset, at once
    when there are some, else when the next one arrives (a long poll)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: list[dict[str, Any]] = []
        self.arrival: dict[int, float] = {}  # update id -> perf_counter when it arrived
        self.new = asyncio.Event()

    def arrive(self, payload: dict[str, Any]) -> None:
        self.arrival[int(payload["update_id"])] = time.perf_counter()
        self.arrived.append(payload)
        self.new.set()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        if not url.endswith("/getUpdates"):
            return await super().do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout,
                pool_timeout,
            )  # fmt: skip
        offset = int((request_data.parameters if request_data else {}).get("offset") or 0)
        self.arrived = [u for u in self.arrived if u["update_id"] >= offset]
        if not self.arrived:
            self.new.clear()
            await wait_event(self.new, 1.0)
        batch = self.arrived[:100]
        return 200, json.dumps({"ok": True, "result": batch}).encode()


def offset_to(local: str | None, zone: str = "Asia/Shanghai") -> float:
    """Seconds from now to the next `local` time of day ("07:00:30") in `zone`: the bot's
    clock is moved there, so a run meets the same timers whenever it is started (at
    07:00:30 every office's patrol publication and the morning reminders are due at once)."""
    if local is None:
        return 0.0
    now = datetime.now(ZoneInfo(zone))
    wanted = datetime.combine(now.date(), time_of_day.fromisoformat(local), now.tzinfo)
    if wanted <= now:
        wanted += timedelta(days=1)
    return (wanted - now).total_seconds()


async def _run(
    payloads: list[dict[str, Any]], path: Path, rate: float, seed_: int, at: str | None
) -> dict[str, Any]:
    settings = Settings(  # type: ignore[call-arg]
        bot_token=TOKEN, db_path=path, _env_file=None, clock_offset_seconds=offset_to(at)
    )
    fake = ArrivingTelegram()
    app = build_application(settings, request=fake, rate_limit=False)
    unlimited(app)
    committed: dict[int, float] = {}
    last = int(payloads[-1]["update_id"])
    finished = asyncio.Event()
    batch_end = app._batch_end

    async def timed_batch_end(error: BaseException | None) -> None:
        updates = list(app._batch_updates)
        await batch_end(error)
        if error is None:
            now = time.perf_counter()
            for update in updates:
                committed.setdefault(update.update_id, now)
            if last in committed:
                finished.set()

    app._batch_end = timed_batch_end  # type: ignore[method-assign]
    await app.initialize()
    assert app.post_init is not None and app.post_shutdown is not None and app.updater
    await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    rng = random.Random(seed_)
    began = time.perf_counter()
    due = began
    for payload in payloads:
        due += rng.expovariate(rate)
        pause = due - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        fake.arrive(payload)
    await wait_event(finished, 60)
    elapsed = time.perf_counter() - began
    failed = await app.services.db.fetch_one(
        "SELECT COUNT(*) n FROM inbox WHERE failed = 1 AND update_id <= ?", (last,)
    )
    await app.updater.stop()
    await app.stop()
    await app.post_shutdown(app)
    await app.shutdown()
    latencies = [committed[u] - fake.arrival[u] for u in fake.arrival if u in committed]
    return {
        "updates": len(payloads),
        "offered_per_second": rate,
        "achieved_per_second": len(payloads) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": _percentile(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000,
        "unfinished": len(payloads) - len(latencies),
        "failed": int(failed["n"]) if failed else -1,
    }


def run(
    total: int = 6_000,
    rate: float = 50.0,
    years: float = 3.0,
    stations: int = 12,
    seed_: int = 7,
    at: str | None = "07:00:30",
) -> dict[str, Any]:
    """`total` updates at `rate` a second on average (two minutes by default), the bot's
    clock at `at` Beijing time (None: the real time) — by default just after the morning's
    patrol publications come due, the busiest moment for timers."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "arrivals.db"
        if years:
            from benchmarks.county import county_copy

            county_copy(path, years, stations)
        asyncio.run(seed(path, 200))
        with sqlite3.connect(path) as conn:
            reports, backups = conn.execute(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM reports),"
                " (SELECT COALESCE(MAX(id), 0) FROM backup_requests)"
            ).fetchone()
        # (the seeded inbox's update ids start at 500,000,001: these come before them)
        payloads = workload(total, 200, reports, backups)
        return asyncio.run(_run(payloads, path, rate, seed_, at))


def quick(at: str | None = "07:00:30") -> dict[str, Any]:
    return run(500, 50.0, years=0.2, stations=2, at=at)


if __name__ == "__main__":
    print(run())
