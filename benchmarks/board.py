"""The station board on three years of a county (`benchmarks/seed.py`): the first load (the
page, its scripts, /me and /map, as a phone opens it) over the loopback, the API's p50/p99
per endpoint, and a backup call's press-to-officer time alone and while ten boards are open
and polling (each asks /version every 1.5 s as the page does, and /map when it moved).
Through the real application and its tornado routes; Telegram faked at PTB's request seam.

`BENCH_COUNTY_DB=/path/county.db` reuses a seeded database (copied, never changed)."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import tornado.httpserver
import tornado.web

from benchmarks.county import CHIEF, MEMBER, OFFICER, OPERATOR, Bench, county_copy
from benchmarks.people import unlimited
from benchmarks.seed import SEED_TOKEN
from benchmarks.updates import _percentile
from bot import build_application
from handlers import board
from models.config import Settings
from models.webapp_auth import sign_init_data
from tests.fakes import FakeTelegram
from tests.test_operations import free_port

ASSETS = ["", "static/app.js", "static/app.css", "static/vendor/leaflet/leaflet.js",
          "static/vendor/leaflet/leaflet.css"]  # fmt: skip
POLL_S = 1.5


def _auth(app: Any, uid: int) -> dict[str, str]:
    fields = {
        "user": f'{{"id": {uid}, "first_name": "Bench"}}',
        "auth_date": str(int(app.services.clock.now().timestamp())),
    }
    return {"Authorization": "tma " + sign_init_data(SEED_TOKEN, fields)}


async def _first_load(client: httpx.AsyncClient, headers: dict[str, str]) -> float:
    began = time.perf_counter()
    await asyncio.gather(*(client.get(f"/board/{a}") for a in ASSETS))
    (await client.get("/board/api/me", headers=headers)).raise_for_status()
    (await client.get("/board/api/map", headers=headers)).raise_for_status()
    return time.perf_counter() - began


async def _board_open(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    stop: asyncio.Event,
    seen: dict[int, float] | None = None,
) -> int:
    """One open board: polls as the page does; returns how many calls it made. With
    `seen`, notes when each backup call first showed on its map."""
    calls, version = 0, None
    while not stop.is_set():
        answer = (await client.get("/board/api/version", headers=headers)).json()
        calls += 1
        if answer["version"] != version:
            version = answer["version"]
            data = (await client.get("/board/api/map", headers=headers)).json()
            calls += 1
            if seen is not None:
                for call in data["calls"]:
                    seen.setdefault(int(call["id"]), time.perf_counter())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POLL_S)
    return calls


async def _call_to_board(bench: Bench, seen: dict[int, float]) -> float:
    """A member's backup call, left open until an open board shows it: the seconds from
    her press to its marker on the board; then it is claimed and resolved."""
    await bench.receive(bench.make.text(MEMBER, "/backup"))
    began = time.perf_counter()
    await bench.receive(bench.make.press(MEMBER, "bk:r:dispute"))
    row = await bench.app.services.db.fetch_one("SELECT MAX(id) n FROM backup_requests")
    assert row is not None
    call_id = int(row["n"])
    while call_id not in seen and time.perf_counter() - began < 10 * POLL_S:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    took = seen.get(call_id, time.perf_counter()) - began
    await bench.receive(bench.make.press(OFFICER, f"bk:go:{call_id}"))
    await bench.receive(bench.make.press(OFFICER, f"bk:res:{call_id}"))
    await bench.receive(bench.make.text(OFFICER, "已处理"))
    return took


async def _run(path: Path, samples: int) -> dict[str, Any]:
    settings = Settings(bot_token=SEED_TOKEN, db_path=path, _env_file=None)
    fake = FakeTelegram()
    app = build_application(settings, request=fake, rate_limit=False)
    unlimited(app)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    app.sender.start()
    port = free_port()
    server = tornado.httpserver.HTTPServer(tornado.web.Application(board.routes(app)))
    server.listen(port, address="127.0.0.1")
    bench = Bench(app, fake)
    result: dict[str, Any] = {}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            chief, operator = _auth(app, CHIEF), _auth(app, OPERATOR)
            result["first_load_chief_s"] = min(
                [await _first_load(client, chief) for _ in range(3)]
            )
            result["first_load_county_s"] = min(
                [await _first_load(client, operator) for _ in range(3)]
            )
            for name in ("map", "version", "today", "week"):
                times = []
                for _ in range(samples):
                    began = time.perf_counter()
                    (await client.get(f"/board/api/{name}", headers=chief)).raise_for_status()
                    times.append(time.perf_counter() - began)
                result[f"{name}_p50_ms"] = statistics.median(times) * 1000
                result[f"{name}_p99_ms"] = _percentile(times, 99) * 1000
            await bench.quiet()
            alone = [await bench.backup_call() for _ in range(3)]
            await bench.quiet()
            stop = asyncio.Event()
            seen: dict[int, float] = {}
            boards = [
                asyncio.create_task(
                    _board_open(client, chief if n % 2 else operator, stop, seen if n else None)
                )
                for n in range(10)
            ]
            await asyncio.sleep(POLL_S)
            during = [await bench.backup_call() for _ in range(3)]
            shown = [await _call_to_board(bench, seen) for _ in range(3)]
            stop.set()
            polled = sum(await asyncio.gather(*boards))
    finally:
        server.stop()
        await app.sender.stop()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
        await app.shutdown()
    result["backup_alone_s"] = statistics.median(alone)
    result["backup_with_ten_boards_s"] = statistics.median(during)
    result["backup_extra_s"] = result["backup_with_ten_boards_s"] - result["backup_alone_s"]
    result["board_calls"] = polled
    # chat to the open board: the page polls every 1.5 s, then reads the map
    result["call_on_board_max_s"] = max(shown) if shown else None
    return result


def run(years: float = 3.0, stations: int = 12, samples: int = 200) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "board.db"
        county_copy(path, years, stations)
        return asyncio.run(_run(path, samples))


def quick() -> dict[str, Any]:
    return run(years=0.2, stations=2, samples=20)


if __name__ == "__main__":
    print(run())
