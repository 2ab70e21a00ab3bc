"""Memory and start-up: a county-sized database (100,000 registered people, 10,000 open
conversations), the bot started as a real process against the HTTP fake Bot API; the time
from the process start to its first getUpdates, and its resident memory once polling."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
import time
from pathlib import Path

from models.store.db import Database
from tests.botproc import BotProcess, bot_env
from tests.fake_bot_api import FakeBotAPI

STAMP = "2026-11-30T01:00:00+00:00"


def seed(path: Path, people: int, conversations: int) -> None:
    async def schema() -> None:
        db = Database(path)
        await db.open()
        await db.close()

    asyncio.run(schema())
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO stations (id, name, created_at) VALUES (1, '木兰派出所', ?)", (STAMP,)
        )
        conn.executemany(
            "INSERT INTO offices (id, station_id, name, created_at) VALUES (?, 1, ?, ?)",
            [(n, f"警务室{n}", STAMP) for n in range(1, 61)],
        )
        conn.executemany(
            "INSERT INTO people (tg_user_id, name, role, station_id, office_id, locale,"
            " created_at) VALUES (?, ?, 'member', 1, ?, 'zh_CN', ?)",
            [(100_000 + n, f"队员{n}", 1 + n % 60, STAMP) for n in range(people)],
        )
        conn.executemany(
            "INSERT INTO conversations (chat_id, user_id, flow, state, data, updated_at)"
            " VALUES (?, ?, 'report', 'report:description', ?, ?)",
            [
                (100_000 + n, 100_000 + n, json.dumps({"category": "hazard"}), STAMP)
                for n in range(conversations)
            ],
        )


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(people: int = 100_000, conversations: int = 10_000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "county.db"
        seed(path, people, conversations)
        api = FakeBotAPI().start()
        bot = BotProcess(bot_env(path, api), Path(folder) / "bot.log")
        try:
            began = time.monotonic()
            bot.start()
            while api.count("getUpdates") == 0:
                if bot.returncode is not None:
                    raise RuntimeError(bot.log()[-2000:])
                time.sleep(0.01)
            startup = time.monotonic() - began
            time.sleep(2)  # settled: the first minute's periodic work has run
            assert bot.proc is not None
            rss = _rss_mb(bot.proc.pid)
            bot.terminate()
        finally:
            if bot.returncode is None and bot.proc is not None:
                bot.kill()
            api.stop()
    return {"people": people, "conversations": conversations, "startup_s": startup, "rss_mb": rss}
