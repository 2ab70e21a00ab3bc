"""Three years of a county (`benchmarks/seed.py`): the long reads and what they cost the
urgent path. Through the real application (handlers, outbox sender, SQLite with
synchronous=FULL; Telegram faked at PTB's request seam, its limits off): /stats for a
station-month, a station-year and a county-year and /export for a station-year, each timed
from the update to the answer leaving (the workbook drawn); /today and /reports; and a
backup call's press-to-officer time alone and while a county-year /export and a station-year
/stats are being read (the extra is what the reads cost it). Medians of `repeat` runs.

`BENCH_COUNTY_DB=/path/county.db` reuses a seeded database (copied, never changed)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import Update

from benchmarks.people import unlimited
from benchmarks.seed import BASE_TG, SEED_TOKEN, seed
from benchmarks.updates import Updates
from bot import build_application
from handlers.context import PatrolApplication
from models.config import Settings
from tests.fakes import Call, FakeTelegram

OPERATOR = 1000
CHIEF = BASE_TG + 1  # station 1's chief (see benchmarks/seed.py)
OFFICER, MEMBER = BASE_TG + 4, BASE_TG + 5  # office 1 of station 1, paired


class Bench:
    def __init__(self, app: PatrolApplication, fake: FakeTelegram) -> None:
        self.app, self.fake, self.make = app, fake, Updates()
        today = app.services.stats.today()
        self.year = f"{today - timedelta(days=364)} 到 {today}"

    async def receive(self, payload: dict[str, Any]) -> None:
        update = Update.de_json(payload, self.app.bot)
        assert update is not None
        await self.app.receive(update)

    async def until(self, test: Callable[[Call], bool], since: int, limit: float = 120) -> float:
        """Seconds until a call after index `since` passes `test`."""
        began = time.perf_counter()
        while time.perf_counter() - began < limit:
            if any(test(c) for c in self.fake.calls[since:]):
                return time.perf_counter() - began
            await asyncio.sleep(0.002)
        raise RuntimeError("no answer within the timeout")

    async def ask(self, uid: int, steps: list[str], method: str = "sendMessage") -> float:
        """The person's steps; seconds from the last to what answers it leaving."""
        for step in steps[:-1]:
            await self.receive(self._step(uid, step))
            await asyncio.sleep(0.05)
        since = len(self.fake.calls)
        began = time.perf_counter()
        await self.receive(self._step(uid, steps[-1]))
        await self.until(lambda c: c.method == method and c.chat_id == uid, since)
        return time.perf_counter() - began

    def _step(self, uid: int, step: str) -> dict[str, Any]:
        if step.startswith(("st:", "bk:", "rp:")):
            return self.make.press(uid, step)
        return self.make.text(uid, step)

    async def backup_call(self) -> float:
        """A member's press to the officer's alert leaving; the officer then claims it."""
        await self.receive(self.make.text(MEMBER, "/backup"))
        since = len(self.fake.calls)
        began = time.perf_counter()
        await self.receive(self.make.press(MEMBER, "bk:r:dispute"))
        await self.until(lambda c: c.chat_id == OFFICER and "支援请求 #" in c.text, since)
        took = time.perf_counter() - began
        row = await self.app.services.db.fetch_one("SELECT MAX(id) n FROM backup_requests")
        assert row is not None
        await self.receive(self.make.press(OFFICER, f"bk:go:{row['n']}"))
        await self.receive(self.make.press(OFFICER, f"bk:res:{row['n']}"))
        await self.receive(self.make.text(OFFICER, "已处理"))
        return took

    async def quiet(self) -> None:
        await self.app.sender.drain()


async def _run(path: Path, repeat: int) -> dict[str, Any]:
    settings = Settings(bot_token=SEED_TOKEN, db_path=path, _env_file=None)
    fake = FakeTelegram()
    app = build_application(settings, request=fake, rate_limit=False)
    unlimited(app)  # a script, not people: the per-account limits are not measured here
    await app.initialize()
    assert app.post_init is not None and app.post_shutdown is not None
    await app.post_init(app)
    app.sender.start()
    bench = Bench(app, fake)
    figures: dict[str, list[float]] = {}

    def note(name: str, value: float) -> None:
        figures.setdefault(name, []).append(value)

    try:
        for _ in range(repeat):
            note("stats_station_month_s", await bench.ask(CHIEF, ["st:p:s:s1:lm"]))
            note(
                "stats_station_year_s",
                await bench.ask(CHIEF, ["st:r:s:s1", bench.year]),
            )
            note(
                "stats_county_year_s",
                await bench.ask(OPERATOR, ["st:r:s:c", bench.year]),
            )
            note(
                "export_station_year_s",
                await bench.ask(CHIEF, ["st:r:x:s1", bench.year], "sendDocument"),
            )
            note("today_s", await bench.ask(MEMBER, ["/today"]))
            note("reports_s", await bench.ask(OFFICER, ["/reports"]))
            await bench.quiet()
            note("backup_alone_s", await bench.backup_call())
            await bench.quiet()
            # the long reads are asked for, then the call comes while they are being read
            await bench.receive(bench.make.press(OPERATOR, "st:r:x:c"))
            await bench.receive(bench.make.text(OPERATOR, bench.year))
            await bench.receive(bench.make.press(CHIEF, "st:r:s:s1"))
            await bench.receive(bench.make.text(CHIEF, bench.year))
            note("backup_during_reads_s", await bench.backup_call())
            await bench.quiet()
    finally:
        await app.sender.stop()
        await app.post_shutdown(app)
        await app.shutdown()
    result: dict[str, Any] = {name: statistics.median(v) for name, v in figures.items()}
    result["backup_extra_s"] = result["backup_during_reads_s"] - result["backup_alone_s"]
    return result


_SEEDED: dict[tuple[float, int], Path] = {}
_FOLDER = tempfile.TemporaryDirectory(prefix="patrol-county-")  # removed at exit


def county_copy(target: Path, years: float = 3.0, stations: int = 12) -> float:
    """A copy of the seeded county at `target` (seeded once per process, or taken from
    BENCH_COUNTY_DB); the seconds the seeding took (0 when it was ready)."""
    cached = os.environ.get("BENCH_COUNTY_DB")
    began = time.perf_counter()
    source = Path(cached) if cached and Path(cached).exists() else _SEEDED.get((years, stations))
    if source is None:
        source = Path(_FOLDER.name) / f"county-{years}-{stations}.db"
        seed(source, years=years, stations=stations)
        _SEEDED[(years, stations)] = source
    seeded = time.perf_counter() - began
    with sqlite3.connect(source) as conn, sqlite3.connect(target) as copy:
        conn.backup(copy)
    return seeded


def run(years: float = 3.0, stations: int = 12, repeat: int = 3) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "county.db"
        seeded = county_copy(path, years, stations)
        size_mb = path.stat().st_size / 2**20
        result = asyncio.run(_run(path, repeat))
    return {"database_mb": size_mb, "seed_s": seeded, "years": years, **result}


def quick() -> dict[str, Any]:
    return run(years=0.2, stations=2, repeat=1)


if __name__ == "__main__":
    print(run())
