"""Help, language, cancel, and the answers for what the bot did not understand."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Literal, overload

from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    WebAppInfo,
)
from telegram.constants import ChatType
from telegram.error import BadRequest

from handlers import conversation
from handlers.context import CustomContext
from handlers.keyboards import language_keyboard, main_keyboard
from handlers.menu import PRIVATE_COMMANDS, publish_person_commands
from locales import LOCALES, N_, NATIVE_NAMES, Html
from models import callbacks
from models.errors import DomainError
from models.org import Person
from models.services.board import BOARD_ROLES

PRIVATE_COMMAND_NAMES = frozenset(name for name, _, _ in PRIVATE_COMMANDS)

HELP_KEYS = {
    "operator": N_("help.operator"),
    "chief": N_("help.chief"),
    "duty": N_("help.duty"),
    "officer": N_("help.officer"),
    "member": N_("help.member"),
    "partner": N_("help.partner"),
}

LANGUAGE = "lang"  # the /language buttons' prefix


async def help_command(update: Update, context: CustomContext) -> None:
    """/help: what this person's role can do (in a group: what the bot does there)."""
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        await context.reply(update, "help.group")
        return
    await send_help(update, context)


async def send_help(update: Update, context: CustomContext) -> None:
    person = context.person
    if person is None:
        await context.reply(update, "help.unknown")
        return
    await context.reply(
        update,
        HELP_KEYS[person.role.value],
        name=person.name,
        reply_markup=main_keyboard(context.app.translator, context.locale, person),
    )


async def language_command(update: Update, context: CustomContext) -> None:
    """/language: offer 中文 / English."""
    await context.reply(
        update, "language.choose", reply_markup=language_keyboard(LANGUAGE, context.locale)
    )


async def _choose_language(p: OpenPress) -> None:
    """Store the choice (for a known person) and answer in the new language from now on."""
    update, context, person = p.update, p.context, p.person
    locale = p.data.choice(0, LOCALES)
    context.locale = locale
    await p.query.answer()
    if person is not None:
        await context.services.people.set_locale(person, locale)
        await publish_person_commands(
            context.bot,
            context.app.translator,
            person,
            locale,
            context.services.settings.webapp_url,
        )
    await show(p.query, context.t("language.set", language=NATIVE_NAMES[locale]))
    if person is not None:
        await send_help(update, context)


async def cancel_command(update: Update, context: CustomContext) -> None:
    """/cancel: leave any conversation; what was already saved stays saved."""
    ended = await conversation.end(update, context)
    person = context.person
    markup = main_keyboard(context.app.translator, context.locale, person) if person else None
    await context.reply(update, "cancel.done" if ended else "cancel.nothing", reply_markup=markup)


async def not_understood(update: Update, context: CustomContext) -> None:
    """A private message outside any conversation."""
    await context.reply(update, "fallback.not_understood")


async def unknown_command(update: Update, context: CustomContext) -> None:
    """A command the bot does not have (in groups only when addressed to this bot by name)."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or not message.text:
        return
    head = message.text.split()[0]
    if chat.type != ChatType.PRIVATE and "@" not in head:
        return
    name = head[1:].partition("@")[0].lower()
    if chat.type != ChatType.PRIVATE and name in PRIVATE_COMMAND_NAMES:
        await context.reply(update, "fallback.private_only")
        return
    await context.reply(update, "fallback.unknown_command")


async def stale_button(update: Update, context: CustomContext) -> None:
    """A button whose conversation or object is gone, or whose data we cannot read."""
    query = update.callback_query
    if query is None:
        return
    context.app.update_failed = True  # whatever the press wrote before, nothing is kept
    await context.alert(update, context.t("error.stale"))
    message = query.message
    if isinstance(message, Message) and isinstance(message.reply_markup, InlineKeyboardMarkup):
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)


Dispatch = Callable[[Update, CustomContext, Person, callbacks.Callback], Awaitable[None]]
# a dispatch of `press_handler(..., anyone=True)`: the person may be unknown (None)
OpenDispatch = Callable[
    [Update, CustomContext, Person | None, callbacks.Callback], Awaitable[None]
]
Handler = Callable[[Update, CustomContext], Coroutine[Any, Any, None]]
# every button handler made by `press_handler` (the registration test walks the table)
PRESS_HANDLERS: set[Callable[..., Any]] = set()
# What a press from someone the bot does not know gets: "no longer valid" (the usual: such
# a button was never theirs), or a clear "not allowed".
Strangers = Literal["stale", "refused"]


class StalePress(LookupError):
    """Raised by an action whose conversation or object is gone: "no longer valid"."""


@overload
def press_handler(dispatch: Dispatch, *, strangers: Strangers = "stale") -> Handler: ...


@overload
def press_handler(dispatch: OpenDispatch, *, anyone: Literal[True]) -> Handler: ...


def press_handler(
    dispatch: Callable[..., Awaitable[None]],
    *,
    strangers: Strangers = "stale",
    anyone: bool = False,
) -> Handler:
    """A feature's button handler: decode the data, require a known person (unless
    `anyone`: a press anyone may make, e.g. choosing a language before registering),
    dispatch; junk or stale data gets "no longer valid", a rule's refusal its own clear
    answer, and either rolls back whatever the press wrote."""

    async def handle(update: Update, context: CustomContext) -> None:
        query = update.callback_query
        person = context.person
        data = callbacks.decode(query.data if query else None)
        if query is None or data is None:
            await stale_button(update, context)
            return
        try:
            if person is None and not anyone:
                if strangers == "refused":
                    raise DomainError("not_allowed")
                raise StalePress("a press from someone unknown")
            await dispatch(update, context, person, data)
        except (ValueError, LookupError):  # IndexError, KeyError, StalePress
            context.app.update_failed = True  # forged or stale data changes nothing
            await stale_button(update, context)
        except DomainError as error:
            await refuse_press(update, context, error)

    handle.__doc__ = dispatch.__doc__
    PRESS_HANDLERS.add(handle)
    return handle


@dataclass(frozen=True)
class Press:
    """One button press, decoded: what an action of a feature's `ACTIONS` table gets."""

    update: Update
    context: CustomContext
    person: Person
    data: callbacks.Callback
    query: CallbackQuery
    chat: Chat

    @property
    def private(self) -> bool:
        return self.chat.type == ChatType.PRIVATE


@dataclass(frozen=True)
class OpenPress:
    """A press anyone may make (`actions_handler(..., anyone=True)`): the person may be
    someone the bot does not know yet."""

    update: Update
    context: CustomContext
    person: Person | None
    data: callbacks.Callback
    query: CallbackQuery
    chat: Chat


Action = Callable[[Press], Awaitable[None]]
OpenAction = Callable[[OpenPress], Awaitable[None]]


@overload
def actions_handler(
    actions: Mapping[str, Action],
    doc: str | None = None,
    guard: Action | None = None,
    *,
    strangers: Strangers = "stale",
) -> Handler: ...


@overload
def actions_handler(
    actions: Mapping[str, OpenAction],
    doc: str | None = None,
    guard: OpenAction | None = None,
    *,
    anyone: Literal[True],
) -> Handler: ...


def actions_handler(
    actions: Mapping[str, Callable[[Any], Awaitable[None]]],
    doc: str | None = None,
    guard: Callable[[Any], Awaitable[None]] | None = None,
    *,
    strangers: Strangers = "stale",
    anyone: bool = False,
) -> Handler:
    """A feature's button handler from its table of actions (`{"go": claim, ...}`): the
    one way in — decode, require a known person (a stranger's press is "no longer valid",
    or with `strangers="refused"` "not allowed"; with `anyone=True` the actions get an
    `OpenPress` whose person may be None), run the feature's `guard` (a rule every press of
    it must pass, e.g. "report cards only in staff groups"), look the action up (an unknown
    one is forged or stale: "no longer valid") and run it; a rule's refusal or a failure
    rolls the press back (`press_handler`)."""

    async def dispatch(
        update: Update, context: CustomContext, person: Person | None, data: callbacks.Callback
    ) -> None:
        query, chat = update.callback_query, update.effective_chat
        assert query is not None and chat is not None
        press: Press | OpenPress
        if anyone:
            press = OpenPress(update, context, person, data, query, chat)
        else:
            assert person is not None  # press_handler let no stranger through
            press = Press(update, context, person, data, query, chat)
        if guard is not None:  # first: a press the feature refuses is refused whatever it is
            await guard(press)
        await actions[data.action](press)

    dispatch.__doc__ = doc
    if anyone:
        return press_handler(dispatch, anyone=True)
    return press_handler(dispatch, strangers=strangers)


# anyone, even someone not yet known, chooses a language
LANGUAGE_ACTIONS: dict[str, OpenAction] = {"lang": _choose_language}
language_chosen = actions_handler(
    LANGUAGE_ACTIONS, "The /language buttons (see LANGUAGE_ACTIONS).", anyone=True
)


def board_row(context: CustomContext, person: Person) -> list[list[InlineKeyboardButton]]:
    """ "📊 Open the board" (a Mini App button, private chats only) for those who have one,
    when the deployment serves it (PATROL_WEBAPP_URL); else nothing."""
    url = context.services.settings.webapp_url
    if url is None or not person.active or person.role not in BOARD_ROLES:
        return []
    return [[InlineKeyboardButton(context.label("board.open"), web_app=WebAppInfo(url))]]


async def to_private(
    update: Update, context: CustomContext, key: str, label: str, payload: str
) -> None:
    """In a group: say `key` and give the button that opens the private chat with the bot
    straight at the flow (`t.me/<bot>?start=<payload>`, handled by /start)."""
    link = f"https://t.me/{context.bot.username}?start={payload}"
    await context.reply(
        update,
        key,
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(context.label(label), url=link)]]
        ),
    )


# a menu's text and buttons, as a feature's view functions make them
View = tuple[Html, InlineKeyboardMarkup | None]


def showing(wrap: str, make: Callable[[Press], Awaitable[View]]) -> Action:
    """An action whose answer is a view (text and buttons) shown in place of the menu it
    was pressed in, wrapped in the feature's frame (`wrap`, e.g. "roster.wrap")."""

    async def action(p: Press) -> None:
        text, markup = await make(p)
        await p.query.answer()
        await show(p.query, p.context.t(wrap, body=text), markup)

    return action


async def show(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace a menu message in place; pressing the same button twice changes nothing."""
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise


async def refuse(
    update: Update, context: CustomContext, key: str = "error.not_allowed", **params: object
) -> None:
    """A clear refusal, as an alert for a button or a reply for a message."""
    if update.callback_query is not None:
        await context.alert(update, context.t(key, **params))
    else:
        await context.reply(update, key, **params)


async def refuse_press(update: Update, context: CustomContext, error: DomainError) -> None:
    """A button refused by a rule: whatever the handler wrote before the rule said no is
    rolled back with the update, and the person gets the rule's own answer."""
    context.app.update_failed = True
    await refuse(update, context, error.message_key, **error.params)
