"""While the database refuses writes (a full disk, a lock held by another program), updates
wait to be stored: nothing is lost, but nothing is answered either — the outbox is in the
database too. A backup call must not wait in silence: its sender is told at once, straight
through the Bot API, to call 110 (the call is kept and goes on once the disk takes writes),
and the deployment's operators (`PATROL_ADMIN_IDS`) that the server needs them now. At most
once per person per `QUIET` (the updates are tried again every few seconds)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from telegram.error import TelegramError

from locales import pick_locale
from scheduler.notices.backup_notify import FEATURE as BACKUP

if TYPE_CHECKING:
    from handlers.context import PatrolApplication

log = logging.getLogger(__name__)

QUIET = 600.0  # seconds: one notice per person (and per operator) in this time
SEND_SECONDS = 10.0  # a notice Telegram does not take within this is given up


class WaitingNotices:
    def __init__(self, app: PatrolApplication) -> None:
        self.app = app
        self.told: dict[int, float] = {}  # Telegram user id -> when last told
        self.tasks: set[asyncio.Task[None]] = set()

    def refused(self, updates: list[dict[str, Any]]) -> None:
        """The database refused to store these updates (raw, as Telegram sent them): tell
        whoever among them is calling for backup, and the operators, without waiting."""
        callers = [found for raw in updates if (found := self._backup_action(raw)) is not None]
        if not callers:
            return
        task = asyncio.get_running_loop().create_task(self._tell(callers))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _backup_action(self, raw: dict[str, Any]) -> tuple[int, str] | None:
        """(user id, language) of whoever pressed a backup button, sent `/backup` or the
        backup keyboard label in private; None for anything else. (The button's own answer
        is left to the update, once stored: Telegram takes one answer per press.)"""
        query = raw.get("callback_query")
        if isinstance(query, dict):
            if str(query.get("data") or "").split(":", 1)[0] != BACKUP:
                return None
            sender = query.get("from")
        else:
            message = raw.get("message")
            if not isinstance(message, dict):
                return None
            if (message.get("chat") or {}).get("type") != "private":
                return None
            text = str(message.get("text") or "").strip()
            command = text.split(" ", 1)[0].split("@", 1)[0]
            if command != "/backup" and text not in self.app.translator.all_labels("kb.backup"):
                return None
            sender = message.get("from")
        if not isinstance(sender, dict) or not isinstance(sender.get("id"), int):
            return None
        return sender["id"], str(sender.get("language_code") or "")

    async def _tell(self, callers: list[tuple[int, str]]) -> None:
        settings, translator, bot = self.app.services.settings, self.app.translator, self.app.bot
        now = time.monotonic()
        for user_id, language in callers:
            locale = pick_locale(None, language, settings.default_locale)
            if now - self.told.get(user_id, -QUIET) < QUIET:
                continue
            self.told[user_id] = now
            await self._send(bot.send_message(user_id, translator.text(locale, "backup.waiting")))
            for operator in settings.admin_ids:
                if now - self.told.get(operator, -QUIET) < QUIET:
                    continue
                self.told[operator] = now
                text = translator.text(settings.default_locale, "backup.waiting_operator")
                await self._send(bot.send_message(operator, text))

    async def _send(self, call: Any) -> None:
        try:
            async with asyncio.timeout(SEND_SECONDS):
                await call
        except (TelegramError, TimeoutError):
            log.warning("a notice of a waiting backup call could not be sent", exc_info=True)
