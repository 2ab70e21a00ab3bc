"""Runs the real application (real handlers, real SQLite) against the fake Telegram."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from telegram import Update

from bot import build_application
from handlers.context import PatrolApplication
from models.clock import FrozenClock
from models.config import Settings
from models.services import Services
from tests import builders
from tests.builders import Chat, User
from tests.fakes import TOKEN, Call, FakeTelegram
from tests.privacy import violations

START = datetime.fromisoformat("2026-11-30T09:00:00+08:00")


def make_settings(db_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "db_path": db_path,
        "admin_ids": (1000,),
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)


class Harness:
    """Push updates into the application; read what it sent and what it stored."""

    def __init__(
        self,
        settings: Settings,
        clock: FrozenClock | None = None,
        tg: FakeTelegram | None = None,
    ) -> None:
        self.settings = settings
        self.tg = tg or FakeTelegram()
        self.clock = clock or FrozenClock(START)
        self.app: PatrolApplication = build_application(
            settings, request=self.tg, clock=self.clock, rate_limit=False
        )
        # a test script taps far faster than a person: the per-account inbound limits
        # (handlers/flood.py) are tested on their own, at their real values (test_siege.py)
        limits = self.app.inbound
        limits.flood_limit = limits.urgent_limit = 1_000_000
        limits.stranger_every = 0.0

    @property
    def services(self) -> Services:
        return self.app.services

    async def start(self) -> None:
        await self.app.initialize()
        assert self.app.post_init is not None
        await self.app.post_init(self.app)

    async def stop(self) -> None:
        """Stop, after the privacy guard has looked at everything sent to groups."""
        leaks: list[str] = []
        if self.services.db.is_open:
            leaks = await violations(self.services.db, self.tg.calls)
        assert self.app.post_shutdown is not None
        await self.app.post_shutdown(self.app)
        await self.app.shutdown()
        assert not leaks, "sent to a public group:\n" + "\n".join(leaks)

    async def feed(self, payload: dict[str, Any], deliver: bool = True) -> list[Call]:
        """Receive one update as polling would (inbox, then processing), deliver what it put
        in the outbox; return the Bot API calls it caused."""
        before = len(self.tg.calls)
        update = Update.de_json(payload, self.app.bot)
        assert update is not None
        await self.app.receive(update)
        if deliver:
            await self.app.sender.drain()
        return self.tg.calls[before:]

    async def tick(self) -> list[Call]:
        """Run what is due at the clock's time: timers, then the outbox."""
        before = len(self.tg.calls)
        await self.app.run_periodic()
        await self.services.timers.sweep()
        await self.app.sender.drain()
        return self.tg.calls[before:]

    async def send(
        self, user: User, body: str, chat: Chat | None = None, deliver: bool = True
    ) -> list[Call]:
        return await self.feed(builders.text(user, body, chat), deliver)

    async def press(
        self,
        user: User,
        data: str,
        chat: Chat | None = None,
        message_id: int = 1,
        deliver: bool = True,
    ) -> list[Call]:
        return await self.feed(builders.press(user, data, chat, message_id), deliver)

    async def press_label(self, user: User, label: str, chat: Chat | None = None) -> list[Call]:
        """Press the newest inline button in the chat whose label contains `label`."""
        target = chat.id if chat else user.id
        for call in reversed(self.tg.sent(target)):
            for text, data in call.buttons():
                if label in text and data:
                    message_id = (
                        (call.result or {}).get("message_id", 1)
                        if isinstance(call.result, dict)
                        else 1
                    )
                    return await self.press(user, data, chat, message_id)
        raise AssertionError(f"no button {label!r} in chat {target}")

    def texts(self, calls: list[Call], chat_id: int | None = None) -> list[str]:
        return [
            c.text
            for c in calls
            if c.method in ("sendMessage", "editMessageText")
            and (chat_id is None or c.chat_id == chat_id)
        ]

    def last_text(self, chat_id: int) -> str:
        sent = [c for c in self.tg.sent(chat_id) if c.text]
        assert sent, f"nothing was sent to {chat_id}"
        return sent[-1].text
