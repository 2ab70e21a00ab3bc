"""Conversation expiry: an unfinished conversation is closed after a pause, with a note."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from locales import N_
from models.rails import Timer
from models.services.timers import TimerKind

if TYPE_CHECKING:
    from handlers.context import PatrolApplication

KIND = "conversation_expiry"
NOTES = {
    "onboarding": N_("conversation.expired_onboarding"),
    "report": N_("conversation.expired_report"),
}
DEFAULT_NOTE = N_("conversation.expired")


def register(app: PatrolApplication) -> None:
    services = app.services

    async def expire(timer: Timer) -> None:
        """Close the conversation if it has not moved since the timer was set."""
        chat_id, user_id = int(timer.payload["chat_id"]), int(timer.payload["user_id"])
        row = await services.conversations.get(chat_id, user_id)
        if row is None:
            return
        flow, _state, data = row
        if flow != timer.payload.get("flow"):
            return
        await services.conversations.clear(chat_id, user_id)
        person = await services.people.by_telegram(user_id)
        locale = data.get("locale") or (person.locale if person else None)
        text = app.translator.text(
            locale or services.settings.default_locale, NOTES.get(flow, DEFAULT_NOTE)
        )
        await services.outbox.send(chat_id, text, ref=f"conversation:{chat_id}")

    services.timers.register(TimerKind(KIND, expire))


def timer_key(chat_id: int, user_id: int) -> str:
    return f"conversation:{chat_id}:{user_id}"


TIMEOUTS = {
    "onboarding": timedelta(hours=24),
}
DEFAULT_TIMEOUT = timedelta(minutes=30)
