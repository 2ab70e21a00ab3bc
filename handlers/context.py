"""The application and context types every handler sees."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import Message, Update
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from locales import Html, Translator
from models.org import Group, Person
from models.services import Services


class PatrolApplication(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's Application carrying our services and translator (no global singletons)."""

    def __init__(self, *, services: Services, translator: Translator, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services
        self.translator = translator
        self.last_operator_alert: datetime | None = None


class CustomContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Per-update context: who is speaking and in which language (set by the gatekeeper)."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self.person: Person | None = None
        self.group: Group | None = None
        self.locale: str = self.app.services.settings.default_locale

    @property
    def app(self) -> PatrolApplication:
        app = self.application
        assert isinstance(app, PatrolApplication)
        return app

    @property
    def services(self) -> Services:
        return self.app.services

    def t(self, key: str, /, **params: object) -> Html:
        return self.app.translator.text(self.locale, key, **params)

    def label(self, key: str, /) -> str:
        """A button label in the person's language (not HTML)."""
        return self.app.translator.plain(self.locale, key)

    async def reply(self, update: Update, key: str, /, **params: Any) -> Message | None:
        """Answer in the chat the update came from, in the person's language."""
        markup = params.pop("reply_markup", None)
        message = update.effective_message
        if message is None:
            return None
        return await message.reply_text(self.t(key, **params), reply_markup=markup, do_quote=False)


JobQueueT = JobQueue[CustomContext]
