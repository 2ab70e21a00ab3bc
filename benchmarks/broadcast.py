"""Broadcast at Telegram's limits: the chief broadcasts to every village group (600) and to
everyone of the station (3,000 people) through the real handlers, the outbox and the rate
limiter, against a fake Bot API that enforces Telegram's limits the way Telegram does —
answering 429 "retry after N" when they are exceeded. Meanwhile members call for backup every
few seconds. Reported: total time against the theoretical minimum for those limits, the 429s
received, and how long each backup call waited between the member's press and the officer's
phone ringing (the first step's message accepted by the fake).

The fake's limits (what Telegram documents; its real counters are not published):
30 messages in any second overall, 20 in any minute per group, 12 in any 6 seconds per
private chat (one a second, with the short bursts Telegram tolerates)."""

from __future__ import annotations

import asyncio
import collections
import json
import math
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.request import RequestData

from benchmarks.people import unlimited
from benchmarks.updates import MEMBER_BASE, OFFICER_BASE, Updates, seed
from bot import build_application
from models.clock import to_db
from models.config import Settings
from models.store.db import Database
from tests.fakes import TOKEN, FakeTelegram

CHIEF = 2001
DEPUTY = 2002  # a second chief of the station
TAP = 0.4  # seconds between one person's taps
GROUP_BASE = -1_000_000_000_000
SENDS = ("sendMessage", "sendPhoto", "sendDocument", "sendLocation", "sendVoice")
WINDOWS = {"overall": (30, 1.0), "group": (20, 60.0), "private": (12, 6.0)}


@dataclass
class LimitedTelegram(FakeTelegram):
    """The test fake, with Telegram's sending limits enforced (429 with `retry_after`)."""

    sent_at: dict[str, collections.deque[float]] = field(
        default_factory=lambda: collections.defaultdict(collections.deque)
    )
    accepted: list[tuple[float, int, str]] = field(default_factory=list)  # time, chat, text
    too_many: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def _room(self, key: str, limit: int, window: float, now: float) -> float:
        """Seconds until `key` may send again (0 when it may now)."""
        times = self.sent_at[key]
        while times and times[0] <= now - window:
            times.popleft()
        return 0.0 if len(times) < limit else times[0] + window - now

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
        api_method = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = request_data.parameters if request_data else {}
        if api_method in SENDS and params.get("chat_id") is not None:
            chat = int(params["chat_id"])
            now = time.monotonic()
            kind = "group" if chat < 0 else "private"
            keys = [("overall", *WINDOWS["overall"]), (str(chat), *WINDOWS[kind])]
            wait = max(self._room(key, limit, window, now) for key, limit, window in keys)
            if wait > 0:
                self.too_many += 1
                seconds = max(1, math.ceil(wait))
                return 429, json.dumps(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {seconds}",
                        "parameters": {"retry_after": seconds},
                    }
                ).encode()
            for key, _, _ in keys:
                self.sent_at[key].append(now)
            self.accepted.append((now, chat, str(params.get("text") or "")))
            self.arrived.set()
        return await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )


async def _add_groups(path: Path, groups: int) -> None:
    db = Database(path)
    await db.open()
    try:
        now = to_db(datetime.now(UTC))
        async with db.write():
            await db.execute(
                "INSERT INTO people (tg_user_id, name, role, station_id, locale, created_at)"
                " VALUES (?, '李副所长', 'chief', 1, 'zh_CN', ?)",
                (DEPUTY, now),
            )
            await db.execute_many(
                "INSERT INTO chat_groups (chat_id, title, chat_type, bot_status, kind,"
                " station_id, office_id, locale, registered_at, updated_at)"
                " VALUES (?, ?, 'supergroup', 'member', 'public', 1, 1, 'zh_CN', ?, ?)",
                [(GROUP_BASE - n, f"村民群{n}", now, now) for n in range(groups)],
            )
    finally:
        await db.close()


async def _rung(fake: LimitedTelegram, since: float) -> float:
    """When an officer's phone first rang with a backup call after `since`."""
    officers = {OFFICER_BASE, OFFICER_BASE + 1}
    while True:
        rings = [
            at
            for at, chat, text in fake.accepted[-300:]
            if at >= since and chat in officers and "支援" in text
        ]
        if rings:
            return min(rings)
        fake.arrived.clear()
        await fake.arrived.wait()


async def _run(path: Path, groups: int, people: int, calls: int) -> dict[str, float]:
    settings = Settings(bot_token=TOKEN, db_path=path, _env_file=None)
    fake = LimitedTelegram()
    app = build_application(settings, request=fake, rate_limit=True)
    unlimited(app)  # a script, not people: the per-account limits are not measured here
    await app.initialize()
    assert app.post_init is not None and app.post_shutdown is not None
    await app.post_init(app)
    chief = await app.services.people.by_telegram(CHIEF)
    assert chief is not None
    for key in ("quiet_start", "quiet_end"):  # no quiet hours: send whenever it runs
        await app.services.station_settings.change(chief, 1, key, "00:00")
    await app.start()
    make = Updates()

    async def say(uid: int, *steps: str) -> None:
        """A person's taps and messages, at a person's pace (a reply is sent inside its
        update's transaction: a script faster than the chat's share would hold the write
        lock while the reply waits for it)."""
        for step in steps:
            await asyncio.sleep(TAP)
            payload = make.press(uid, step) if ":" in step else make.text(uid, step)
            update = Update.de_json(payload, app.bot)
            assert update is not None
            await app.receive(update)

    try:
        # the chief and the deputy each prepare one, then send them a moment apart
        for author, audience in ((CHIEF, "groups"), (DEPUTY, "everyone")):
            await say(author, "/broadcast", f"bc:aud:{audience}")
            await say(author, "周五集市人多，请大家注意防范扒窃。")
            await say(author, "bc:skipother", "bc:nopic", "bc:urg:0")
        begun = time.monotonic()
        for author in (CHIEF, DEPUTY):
            update = Update.de_json(make.press(author, "bc:send"), app.bot)
            assert update is not None
            await app.receive(update)
        recipients = groups + people + 4  # everyone: the members, two officers, two chiefs
        minimum = recipients / WINDOWS["overall"][0]
        waits: list[float] = []
        for n in range(calls):
            await asyncio.sleep(minimum / (calls + 1))
            caller = MEMBER_BASE + n
            await say(caller, "/backup")
            await asyncio.sleep(TAP)
            pressed = time.monotonic()
            update = Update.de_json(make.press(caller, "bk:r:dispute"), app.bot)
            assert update is not None
            await app.receive(update)
            waits.append(await _rung(fake, pressed) - pressed)
            await say(OFFICER_BASE, f"bk:go:{n + 1}")  # claimed: the chain stops
        while True:
            row = await app.services.db.fetch_one(
                "SELECT COUNT(*) n FROM outbox WHERE status IN ('pending', 'sending')"
            )
            if row is not None and row["n"] == 0:
                break
            await asyncio.sleep(0.05)
        delivered = sum(1 for _, _, text in fake.accepted if text.startswith("周五集市人多"))
        last = max(at for at, _, text in fake.accepted if text.startswith("周五集市人多"))
        total = last - begun
    finally:
        await app.stop()
        await app.post_shutdown(app)
        await app.shutdown()
    return {
        "recipients": recipients,
        "delivered": delivered,
        "seconds": total,
        "minimum_seconds": minimum,
        "over_minimum": total / minimum - 1,
        "too_many_429": fake.too_many,
        "backup_calls": len(waits),
        "backup_wait_p50_s": statistics.median(waits) if waits else 0.0,
        "backup_wait_max_s": max(waits) if waits else 0.0,
    }


def run(groups: int = 600, people: int = 3000, calls: int = 10) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        asyncio.run(seed(path, people))
        asyncio.run(_add_groups(path, groups))
        return asyncio.run(_run(path, groups, people, calls))


if __name__ == "__main__":
    print(run(60, 300, 3))
