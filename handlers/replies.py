"""Replies leave through the outbox: nothing an update does waits for Telegram.

While an update is processed, the Bot API calls its handlers make to answer people (send a
message, edit one, answer a button press, set a person's menu) are not sent: `PatrolBot`
turns each into an outbox row at `REPLY` priority, in the update's own transaction, and
returns at once. The row commits with the update's effects and its done mark, and the outbox
sender delivers it right after the commit under Telegram's limits — one person's chat limit
(one message a second) or a Telegram outage no longer holds up anyone else's update, nor the
write lock. A reply is as durable as the effect it reports: after a crash it is sent at the
next start, never lost, never made twice.

Handlers never used what a send returned, so a captured call returns `True` (what Telegram
answers for an edit). Two answers to one button press raise `BadRequest` here exactly as
Telegram would, so `CustomContext.alert` still falls back to a private message.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from telegram.error import BadRequest
from telegram.ext import ExtBot
from telegram.request._requestparameter import RequestParameter

from models.rails import REPLY
from models.services.outbox import Outbox

# What a handler may say in answer to an update. Anything else (getMe, getFile, ...) is a
# question whose answer the handler needs, and goes to Telegram directly.
CAPTURED = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "deleteMessage",
        "sendLocation",
        "sendPhoto",
        "setMyCommands",
        "setChatMenuButton",
        "deleteMyCommands",
    }
)


@dataclass
class UpdateReplies:
    """What one update has said so far (kept to be queued again if its effects roll back)."""

    outbox: Outbox
    presser: int | None = None  # who pressed the button, for answers to the press
    answered: set[str] = field(default_factory=set)
    said: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    own_chat: int | None = None  # the chat the update came from
    failed_from: int | None = None  # how much had been said when the update was failed

    def chat_of(self, method: str, values: dict[str, Any]) -> int | None:
        chat = values.get("chat_id")
        if chat is None and method == "answerCallbackQuery":
            chat = self.presser
        scope = values.get("scope")
        if chat is None and isinstance(scope, dict):
            chat = scope.get("chat_id")
        try:
            return int(chat) if chat is not None else None
        except (TypeError, ValueError):
            return None

    async def add(self, chat_id: int, method: str, values: dict[str, Any]) -> None:
        self.said.append((chat_id, method, values))
        await self.outbox.say(chat_id, method, values, priority=REPLY)

    def failed(self) -> None:
        """The update is being failed: what is said from now on is its refusal or apology."""
        if self.failed_from is None:
            self.failed_from = len(self.said)

    async def requeue(self) -> None:
        """The update's effects were rolled back (a refusal, a failure): what it said to
        the person in its own chat still goes out, and whatever was said once it failed (the
        refusal, the apology, an operator's alert); what it had told anyone else about
        effects that are now undone (a menu changed, a card sent) does not."""
        own = {self.own_chat, self.presser}
        for index, (chat_id, method, values) in enumerate(self.said):
            after = self.failed_from is not None and index >= self.failed_from
            if chat_id in own or after:
                await self.outbox.call(chat_id, method, values, priority=REPLY)


def current_replies() -> UpdateReplies | None:
    """What the update being processed has said (None outside an update)."""
    return _current.get()


_current: ContextVar[UpdateReplies | None] = ContextVar("patrol_update_replies", default=None)


@contextmanager
def capturing(replies: UpdateReplies) -> Any:
    token = _current.set(replies)
    try:
        yield replies
    finally:
        _current.reset(token)


class PatrolBot(ExtBot[Any]):
    """PTB's bot, with the replies of the update in hand turned into outbox rows."""

    async def _do_post(
        self,
        endpoint: str,
        data: dict[str, Any],
        *,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> Any:
        replies = _current.get()
        if replies is not None and endpoint in CAPTURED:
            values = _values(self, data)
            chat_id = replies.chat_of(endpoint, values) if values is not None else None
            if values is not None and chat_id is not None:
                if endpoint == "answerCallbackQuery":
                    query_id = str(values.get("callback_query_id"))
                    if query_id in replies.answered:
                        raise BadRequest("Query is already answered")
                    replies.answered.add(query_id)
                await replies.add(chat_id, endpoint, values)
                return True
        return await super()._do_post(
            endpoint,
            data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )


def _values(bot: ExtBot[Any], data: dict[str, Any]) -> dict[str, Any] | None:
    """The call's parameters as JSON values (what PTB would put on the wire); None when a
    file is uploaded (bytes are not kept in rows: such a call goes out directly)."""
    params = dict(data)
    bot._extract_rl_kwargs(params)  # our rate-limit arguments are not for Telegram
    values: dict[str, Any] = {}
    for key, value in params.items():
        parameter = RequestParameter.from_input(key, value)
        if parameter.input_files:
            return None
        if parameter.value is not None:
            values[key] = parameter.value
    return values
