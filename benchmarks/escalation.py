"""Escalation precision: many backup calls open at once with staggered deadlines (created a
few milliseconds apart, 10-second waits), the application running as in production (the
JobQueue, the sweeper, the outbox sender; Telegram faked at the request seam). How late each
step fires after its deadline (from the escalation's step events), and that no step fired
twice and none was missed."""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.people import unlimited
from benchmarks.updates import MEMBER_BASE, seed
from bot import build_application
from models.backup import BackupReason
from models.config import Settings
from models.rails import Timer
from scheduler.escalation import KIND
from tests.fakes import TOKEN, FakeTelegram

WAIT = 10  # seconds between steps (the shortest policy allowed)
STEPS = 3  # steps 1, 2 and 3 are observed


async def _run(path: Path, requests: int) -> dict[str, float]:
    settings = Settings(bot_token=TOKEN, db_path=path, _env_file=None)  # type: ignore[call-arg]
    app = build_application(settings, request=FakeTelegram(), rate_limit=False)
    unlimited(app)  # a script, not people: the per-account limits are not measured here
    await app.initialize()
    assert app.post_init is not None and app.post_shutdown is not None
    await app.post_init(app)
    services = app.services
    chief = await services.people.by_telegram(2001)
    assert chief is not None and app.escalation is not None
    await services.station_settings.change(chief, 1, "backup_step_waits", f"{WAIT},{WAIT},{WAIT}")
    # measure each step's lateness where the step's timer runs (event times are stored to
    # the second, too coarse for this)
    late: list[float] = []
    kind = services.timers.kinds[KIND]

    async def measured(timer: Timer) -> None:
        late.append((datetime.now(UTC) - timer.due_at).total_seconds())
        await kind.handler(timer)

    services.timers.kinds[KIND] = dataclasses.replace(kind, handler=measured)
    await app.start()
    try:
        for n in range(requests):
            person = await services.people.by_telegram(MEMBER_BASE + n)
            assert person is not None
            request = await services.backup.create(person, BackupReason.DISPUTE)
            await app.escalation.start(request)
            await asyncio.sleep(0.005)  # staggered deadlines
        deadline = time.monotonic() + WAIT * STEPS + 30
        while time.monotonic() < deadline:
            row = await services.db.fetch_one(
                "SELECT COUNT(*) n FROM backup_events WHERE kind = 'step'"
            )
            if row is not None and row["n"] >= requests * STEPS:
                break
            await asyncio.sleep(0.5)
        events = await services.db.fetch_all(
            "SELECT request_id, at, detail FROM backup_events WHERE kind = 'step'"
            " ORDER BY request_id, id"
        )
    finally:
        await app.stop()
        await app.post_shutdown(app)
        await app.shutdown()
    steps: dict[int, list[tuple[int, datetime]]] = {}
    for event in events:
        number = int(str(event["detail"]).split(":")[0])
        steps.setdefault(int(event["request_id"]), []).append(
            (number, datetime.fromisoformat(event["at"]))
        )
    doubled, missed = 0, 0
    for seen in steps.values():
        numbers = [n for n, _ in seen[:STEPS]]
        doubled += len(numbers) - len(set(numbers))
        missed += STEPS - len(set(numbers))
    missed += (requests - len(steps)) * STEPS
    ordered = sorted(late) or [float("nan")]
    return {
        "requests": requests,
        "steps_timed": len(late),
        "p50_late_s": statistics.median(ordered),
        "p99_late_s": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "max_late_s": ordered[-1],
        "doubled": doubled,
        "missed": missed,
    }


def run(requests: int = 1000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        asyncio.run(seed(path, requests))
        return asyncio.run(_run(path, requests))
