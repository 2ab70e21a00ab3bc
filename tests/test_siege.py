"""The urgent path under siege, in process: replies never hold up another person's update,
a flooding account costs others nothing, and a call for backup always gets through.
(The same, with the bot as a process and Telegram's limits enforced, is
tests/test_siege_process.py and benchmarks/siege.py.)"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.request import RequestData

from handlers.flood import FLOOD_LIMIT, InboundLimits
from tests import builders
from tests.builders import User
from tests.fakes import FakeTelegram
from tests.flows import CHIEF, DUTY, MEMBER, OFFICER, alerted, with_duty
from tests.harness import Harness, make_settings

STRANGER = User(9901, "Stranger", "zh-hans")


class Clock:
    """A monotonic clock the test moves by hand (for the inbound limits)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limited(h: Harness) -> Clock:
    clock = Clock()
    h.app.inbound = InboundLimits(now=clock)  # the real limits, from here on
    return clock


class GatedTelegram(FakeTelegram):
    """Telegram that does not answer sends until the gate opens (an outage, or a chat whose
    share is used up)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.gate.set()

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
        if not url.endswith(("/getMe", "/setMyCommands", "/getUpdates")):
            await self.gate.wait()
        return await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )


async def test_an_update_never_waits_for_telegram(tmp_path: Path) -> None:
    """While Telegram does not answer at all, updates are still processed and committed
    one after another; every answer goes out once it answers again."""
    gated = GatedTelegram()
    h = Harness(make_settings(tmp_path / "patrol.db"), tg=gated)
    await h.start()
    try:
        await with_duty(h)
        gated.gate.clear()
        h.app.sender.start()
        people = [CHIEF, OFFICER, MEMBER, DUTY]
        for user in people:
            update = Update.de_json(builders.text(user, "/help"), h.app.bot)
            assert update is not None
            # before replies left through the outbox, this waited for Telegram (forever here)
            await asyncio.wait_for(h.app.receive(update), timeout=5)
        pending = await h.services.db.fetch_one(
            "SELECT COUNT(*) n FROM inbox WHERE done_at IS NULL"
        )
        assert pending is not None and pending["n"] == 0
        assert [c for c in gated.calls if c.method == "sendMessage"] == []
        gated.gate.set()
        await h.app.sender.drain()
        for user in people:
            assert h.tg.sent(user.id), f"{user.first_name} got no answer"
    finally:
        await h.app.sender.stop(grace=1)
        await h.stop()


async def test_a_stranger_hears_from_the_bot_once_a_minute(tmp_path: Path) -> None:
    h = Harness(make_settings(tmp_path / "patrol.db"))
    await h.start()
    try:
        clock = limited(h)
        for n in range(30):
            await h.send(STRANGER, f"你好 {n}")
        assert len(h.tg.sent(STRANGER.id)) == 1
        assert "邀请" in h.tg.sent(STRANGER.id)[0].text
        stored = await h.services.db.fetch_one(
            "SELECT COUNT(*) n FROM inbox WHERE done_at IS NOT NULL"
        )
        assert stored is not None and stored["n"] == 30  # all stored and done, none redone
        clock.now += 61
        await h.send(STRANGER, "/start")
        assert len(h.tg.sent(STRANGER.id)) == 2
    finally:
        await h.stop()


async def test_a_flooding_member_is_told_once_and_a_backup_call_still_goes(
    tmp_path: Path,
) -> None:
    h = Harness(make_settings(tmp_path / "patrol.db"))
    await h.start()
    try:
        await with_duty(h)
        clock = limited(h)
        for _ in range(FLOOD_LIMIT + 10):
            await h.send(MEMBER, "/today")
        texts = [c.text for c in h.tg.sent(MEMBER.id)]
        warnings = [t for t in texts if "太快" in t]
        assert len(warnings) == 1
        assert len(texts) == FLOOD_LIMIT + 1  # twenty answers, then one warning, then nothing
        # still flooding, but a call for backup is a backup action: it goes through
        await h.send(MEMBER, "/backup")
        calls = await h.press_label(MEMBER, "纠纷升级")
        assert alerted(calls, OFFICER.id)
        row = await h.services.db.fetch_one("SELECT COUNT(*) n FROM backup_requests")
        assert row is not None and row["n"] == 1
        # a moment later the member is heard again, and warned again if she floods again
        clock.now += 11
        calls = await h.send(MEMBER, "/today")
        assert h.texts(calls, MEMBER.id) and "太快" not in h.texts(calls, MEMBER.id)[0]
    finally:
        await h.stop()


async def test_another_persons_flood_does_not_touch_a_calm_person(tmp_path: Path) -> None:
    h = Harness(make_settings(tmp_path / "patrol.db"))
    await h.start()
    try:
        await with_duty(h)
        limited(h)
        for _ in range(FLOOD_LIMIT * 3):
            await h.send(OFFICER, "/today")
        calls = await h.send(MEMBER, "/today")
        assert h.texts(calls, MEMBER.id) and "太快" not in h.texts(calls, MEMBER.id)[0]
        calls = await h.send(CHIEF, "/help")
        assert h.texts(calls, CHIEF.id)
    finally:
        await h.stop()
