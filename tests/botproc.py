"""The bot as a subprocess against the HTTP fake Bot API, and a database seeded for it."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from models.clock import Clock
from models.config import Settings
from models.org import Role
from models.services import Services
from models.store.db import Database
from tests.fake_bot_api import FakeBotAPI
from tests.fakes import TOKEN

ROOT = Path(__file__).resolve().parent.parent
CHIEF_ID = 2001
OFFICER_IDS = (3001, 3002, 3003, 3004, 3005)


def bot_env(db_path: Path, api: FakeBotAPI, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATROL_")}
    env.update(
        PATROL_BOT_TOKEN=TOKEN,
        PATROL_DB_PATH=str(db_path),
        PATROL_API_BASE_URL=api.base_url,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class BotProcess:
    """`python bot.py` in its own process; stderr goes to a log file the test can read."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bot.py")],
            cwd=self.log_path.parent,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.starts += 1

    def kill(self) -> None:
        """`kill -9`: no cleanup of any kind."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 10.0) -> float:
        """SIGTERM; return how long the bot took to exit."""
        assert self.proc is not None
        began = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=timeout)
        return time.monotonic() - began

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Seed:
    station_id: int
    office_id: int
    codes: list[str]


def seed_database(db_path: Path, invitations: int) -> Seed:
    """A station with one office, its chief and officers, and single-use member invitations
    (made by the officers in turn)."""

    async def run() -> Seed:
        settings = Settings(bot_token=TOKEN, db_path=db_path, _env_file=None)
        db = Database(db_path)
        await db.open()
        try:
            services = Services.create(settings, db, Clock())
            operator = await services.people.ensure_operator(1000, "Admin", "zh_CN")
            station = await services.org.add_station(operator, "木兰派出所")
            office = await services.org.add_office(operator, station.id, "东关警务室")
            async with db.write():
                await services.people.repo.add(
                    tg_user_id=CHIEF_ID,
                    name="张所长",
                    role=Role.CHIEF,
                    station_id=station.id,
                    locale="zh_CN",
                    at=services.clock.now(),
                )
            async with db.write():
                officers = [
                    await services.people.repo.add(
                        tg_user_id=tg_id,
                        name=f"民警{n}",
                        role=Role.OFFICER,
                        station_id=station.id,
                        office_id=office.id,
                        locale="zh_CN",
                        at=services.clock.now(),
                    )
                    for n, tg_id in enumerate(OFFICER_IDS)
                ]
            codes = []
            for n in range(invitations):
                # several inviters, as in a real office: each is told who joined
                invitation = await services.invitations.create(
                    officers[n % len(officers)],
                    Role.MEMBER,
                    station_id=station.id,
                    office_id=office.id,
                )
                codes.append(invitation.code)
            return Seed(station.id, office.id, codes)
        finally:
            await db.close()

    return asyncio.run(run())


def query(db_path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    import sqlite3

    with sqlite3.connect(db_path, timeout=10) as conn:
        return [tuple(r) for r in conn.execute(sql, params)]


Step = tuple[str, int, str]  # ("text" | "press", user id, text or button data)


def interleave(actors: list[list[Step]], seed: int) -> list[Step]:
    """The actors' steps in one random order that keeps each actor's own order."""
    rng = random.Random(seed)
    queues = [list(a) for a in actors]
    order: list[Step] = []
    while any(queues):
        queue = rng.choice([q for q in queues if q])
        order.append(queue.pop(0))
    return order


def push(api: FakeBotAPI, step: Step) -> None:
    kind, uid, data = step
    if kind == "text":
        api.text(uid, data)
    else:
        api.press(uid, data)


def drive_with_kills(
    api: FakeBotAPI, bot: BotProcess, steps: list[Step], kills: int, seed: int
) -> None:
    """Push the steps in `kills + 1` batches; after each of the first `kills` batches wait
    for some progress (a random number of deliveries), then `kill -9` the bot. The bot is
    running, with every step pushed, when this returns."""
    rng = random.Random(seed)
    batch = max(1, len(steps) // (kills + 1))
    position = 0
    for _ in range(kills):
        bot.start()
        for step in steps[position : position + batch]:
            push(api, step)
        position += batch
        before = len(api.delivered)
        wanted = rng.randint(1, 12)
        api.wait_for(
            lambda before=before, wanted=wanted: (
                len(api.delivered) >= before + wanted or api.confirmed_offset > api.last_update_id
            ),
            60,
            "the bot to make progress",
        )
        bot.kill()
    bot.start()
    for step in steps[position:]:
        push(api, step)
