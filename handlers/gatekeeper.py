"""The gatekeeper (handler group -1): loads who is speaking and stops unwanted updates early."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from handlers import conversation
from handlers.context import CustomContext
from handlers.conversation import Flow
from handlers.flood import Verdict
from handlers.menu import PUBLIC_COMMANDS, publish_person_commands
from locales import pick_locale
from models.org import Person

log = logging.getLogger(__name__)

# Commands and buttons an unregistered person may use in private.
PUBLIC_CALLBACK_FEATURES = frozenset({"onb", "lang"})
# in a group, a resident's /tips gets a short refusal rather than silence
GROUP_COMMANDS_FOR_ANYONE = frozenset({"tips"})
# The only buttons that work in a group: report cards and backup calls in staff groups (the
# handlers check the group's kind), a group's tip switches, group registration. Anything
# else pressed in a group (a forged button, say) is refused before it can post there.
GROUP_BUTTONS = frozenset(
    {
        ("rp", None),
        ("bk", "go"),
        ("bk", "no"),
        ("fr", "pause"),
        ("fr", "resume"),
        ("fr", "optin"),
        ("fr", "optout"),
        ("grp", None),
    }
)


def group_button_allowed(data: str | None) -> bool:
    feature, _, rest = (data or "").partition(":")
    action = rest.split(":", 1)[0]
    return (feature, None) in GROUP_BUTTONS or (feature, action) in GROUP_BUTTONS


def command_of(update: Update, bot_username: str) -> str | None:
    """The command a message starts with, if it is addressed to this bot (or to no bot)."""
    message = update.effective_message
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    head = message.text.split()[0][1:]
    name, _, target = head.partition("@")
    if target and target.lower() != bot_username.lower():
        return None
    return name.lower()


async def gatekeeper(update: Update, context: CustomContext) -> None:
    """Load person, locale and group; answer unknown and suspended people; drop the rest."""
    user, chat = update.effective_user, update.effective_chat
    if update.my_chat_member is not None:
        return
    if update.edited_message is not None and update.edited_message.location is None:
        # An edit of an earlier message is not a new answer; only live locations move.
        raise ApplicationHandlerStop
    if update.callback_query is not None and chat is None:
        # A button on an inline message (not one of ours): nothing to do with it.
        await update.callback_query.answer()
        raise ApplicationHandlerStop
    if user is None or chat is None or chat.type == ChatType.CHANNEL or user.is_bot:
        raise ApplicationHandlerStop
    services = context.services
    person = await services.people.by_telegram(user.id)
    if person is None and user.id in services.settings.admin_ids:
        locale = pick_locale(None, user.language_code, services.settings.default_locale)
        person = await services.people.ensure_operator(user.id, user.full_name, locale)
        await publish_person_commands(
            context.bot,
            context.app.translator,
            person,
            locale,
            context.services.settings.webapp_url,
        )
    context.person = person
    context.locale = pick_locale(
        person.locale if person else None, user.language_code, services.settings.default_locale
    )
    if person is not None:
        await _limit(update, context, user.id)
    if chat.type == ChatType.PRIVATE:
        await _private(update, context, person)
    else:
        await _group(update, context, person)


async def _private(update: Update, context: CustomContext, person: Person | None) -> None:
    if person is not None and not person.active:
        await _suspended(update, context)
    if person is not None:
        return
    command = command_of(update, context.bot.username)
    query = update.callback_query
    message = update.effective_message
    talk = await conversation.current(update, context)
    in_flow = (
        talk is not None
        and talk.flow in (Flow.ONBOARDING, Flow.CHECK)
        and query is None  # their messages only; their buttons are the public ones below
        and command in (None, "cancel")
    )
    joining = (
        in_flow
        or (command == "start" and message is not None and len((message.text or "").split()) > 1)
        or (query is not None and (query.data or "").split(":", 1)[0] in PUBLIC_CALLBACK_FEATURES)
    )
    if joining:
        # someone with an invitation, answering the bot's questions: a person's pace
        await _limit(update, context, user_id(update))
        return
    if context.app.inbound.stranger(user_id(update)) is Verdict.DROP:
        raise ApplicationHandlerStop  # a stranger hears from the bot once a minute at most
    if command in PUBLIC_COMMANDS:
        return
    if message is not None and message.forward_origin is not None:
        return  # anyone may ask whether a forwarded message is a scam
    if query is not None:
        await query.answer(context.label("gate.invitation_needed_short"), show_alert=True)
    else:
        await context.reply(update, "gate.invitation_needed")
    raise ApplicationHandlerStop


def user_id(update: Update) -> int:
    user = update.effective_user
    assert user is not None  # the gatekeeper stops updates without one first
    return user.id


async def _limit(update: Update, context: CustomContext, account: int) -> None:
    """The per-account inbound limit (handlers/flood.py): drop a flood, told once."""
    limits = context.app.inbound
    count = limits.count(account)
    if count <= limits.flood_limit:
        return
    verdict = limits.verdict(account, count, await _urgent_action(update, context))
    if verdict is Verdict.GO:
        return
    if verdict is Verdict.WARN:
        log.warning("account %s sends faster than a person taps; ignoring it for now", account)
        chat = update.effective_chat
        if chat is not None and chat.type == ChatType.PRIVATE:
            await context.bot.send_message(account, context.t("flood.slow_down"))
    raise ApplicationHandlerStop


URGENT_FEATURES = frozenset({"bk", "rp", "rd"})  # backup calls, report cards, report drafts
URGENT_COMMANDS = frozenset({"backup", "report"})
URGENT_FLOWS = frozenset({Flow.BACKUP, Flow.REPORT, Flow.REPORT_INPUT})


async def _urgent_action(update: Update, context: CustomContext) -> bool:
    """Whether this update belongs to a call for backup or a report (never dropped at a
    person's pace)."""
    query = update.callback_query
    if query is not None:
        return (query.data or "").split(":", 1)[0] in URGENT_FEATURES
    message = update.effective_message
    if message is None:
        return False
    if message.location is not None:
        return True  # where the person is: a backup call's or a report's location
    if command_of(update, context.bot.username) in URGENT_COMMANDS:
        return True
    translator = context.app.translator
    text = message.text or ""
    if text in translator.all_labels("kb.backup") | translator.all_labels("kb.report"):
        return True
    talk = await conversation.current(update, context)
    return talk is not None and talk.flow in URGENT_FLOWS


async def _group(update: Update, context: CustomContext, person: Person | None) -> None:
    chat = update.effective_chat
    assert chat is not None
    message = update.effective_message
    if message is not None and (message.migrate_to_chat_id or message.migrate_from_chat_id):
        return
    group = await context.services.groups.ensure_known(chat.id, chat.title or "", chat.type)
    context.group = group
    if person is None and group.locale:
        context.locale = group.locale
    command = command_of(update, context.bot.username)
    addressed = command is not None
    if person is None and command in GROUP_COMMANDS_FOR_ANYONE and group.registered:
        return
    query = update.callback_query
    if query is not None:
        if person is None or not person.active or not group_button_allowed(query.data):
            await query.answer(context.label("error.not_allowed"), show_alert=True)
            raise ApplicationHandlerStop
        return
    if not addressed or person is None or not person.active:
        # Groups see the bot only through commands addressed to it, from people it knows;
        # a suspended person is not told so in front of the village.
        raise ApplicationHandlerStop


async def _suspended(update: Update, context: CustomContext) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(context.label("gate.suspended"), show_alert=True)
    else:
        await context.reply(update, "gate.suspended")
    raise ApplicationHandlerStop
