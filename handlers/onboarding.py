"""Onboarding: a new person opens an invitation link, picks a language, gives a name and
optionally a phone, and is registered (see docs/flows/onboarding.mmd). Everyone is asked
the same questions: whether the name is on the office's imported roster is never said, and
the phone kept is the one the person gives (see `PeopleService.register`)."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.constants import ChatType

from handlers import backup, conversation, labels, report_draft
from handlers.common import OpenAction, OpenPress, StalePress, actions_handler, send_help, show
from handlers.context import CustomContext
from handlers.conversation import Conversation, Flow, StepHandler
from handlers.keyboards import language_keyboard
from handlers.menu import publish_person_commands
from locales import LOCALES
from models.errors import DomainError
from models.org import Person
from models.services.invitations import looks_like_code
from models.services.org import clean_name
from models.services.people import clean_phone

FEATURE = "onb"


class OnboardingState(StrEnum):
    LANGUAGE = "onboarding:language"
    NAME = "onboarding:name"
    PHONE = "onboarding:phone"


async def start(update: Update, context: CustomContext) -> None:
    """/start [code]: open an invitation, or greet a known person."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    payload = context.args[0] if context.args else None
    if context.person is not None:
        if payload == "report":
            await report_draft.report_command(update, context)
            return
        if payload == backup.START_PAYLOAD:  # from /backup's button in a group
            context.args = []
            await backup.backup_command(update, context)
            return
        if payload and looks_like_code(payload):
            await context.reply(update, "onboarding.already_registered")
        await send_help(update, context)
        return
    if not payload:
        await context.reply(update, "gate.invitation_needed")
        return
    try:
        await context.services.invitations.usable(payload)
    except DomainError as error:
        await context.reply(update, error.message_key, **error.params)
        return
    await conversation.save(
        update, context, Flow.ONBOARDING, OnboardingState.LANGUAGE, {"code": payload}
    )
    await _ask_language(update, context)


async def _choose_language(p: OpenPress) -> None:
    """The language button of onboarding: remember it and ask for the name."""
    update, context = p.update, p.context
    locale = p.data.choice(0, LOCALES)
    talk = await conversation.current(update, context)
    if talk is None or talk.flow is not Flow.ONBOARDING or talk.state != OnboardingState.LANGUAGE:
        raise StalePress("not at the language step of onboarding")
    context.locale = locale
    await conversation.save(
        update,
        context,
        Flow.ONBOARDING,
        OnboardingState.NAME,
        {**talk.data, "locale": context.locale},
    )
    await p.query.answer()
    await show(p.query, context.t("onboarding.language_set"))
    await context.reply(update, "onboarding.ask_name", reply_markup=ReplyKeyboardRemove())


# the person choosing is not registered yet: anyone may press them
ACTIONS: dict[str, OpenAction] = {"lang": _choose_language}
language_chosen = actions_handler(
    ACTIONS, "The language button of onboarding (see ACTIONS).", anyone=True
)


def _in_chosen_language(context: CustomContext, talk: Conversation) -> None:
    """Every step answers in the language chosen at the first one."""
    context.locale = talk.data.get("locale", context.locale)


async def _language_again(update: Update, context: CustomContext, talk: Conversation) -> None:
    """A message while the language buttons are waiting: the question again."""
    _in_chosen_language(context, talk)
    await _ask_language(update, context)


async def _ask_language(update: Update, context: CustomContext) -> None:
    await context.reply(
        update, "onboarding.ask_language", reply_markup=language_keyboard(FEATURE, context.locale)
    )


async def _take_name(update: Update, context: CustomContext, talk: Conversation) -> None:
    _in_chosen_language(context, talk)
    message = update.effective_message
    assert message is not None
    if not message.text:
        await context.reply(update, "onboarding.name_as_text")
        return
    try:
        name = clean_name(message.text)
    except DomainError as error:
        await context.reply(update, error.message_key, **error.params)
        return
    talk = replace(talk, data={**talk.data, "name": name})
    await conversation.save(update, context, Flow.ONBOARDING, OnboardingState.PHONE, talk.data)
    keyboard = ReplyKeyboardMarkup(
        [
            [KeyboardButton(context.label("onboarding.share_phone"), request_contact=True)],
            [KeyboardButton(context.label("onboarding.skip_phone"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await context.reply(update, "onboarding.ask_phone", name=name, reply_markup=keyboard)


async def _take_phone(update: Update, context: CustomContext, talk: Conversation) -> None:
    _in_chosen_language(context, talk)
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    phone: str | None
    if message.contact is not None:
        if message.contact.user_id != user.id:
            await context.reply(update, "onboarding.phone_not_own")
            return
        phone = message.contact.phone_number
    elif message.text and message.text.strip() in context.app.translator.all_labels(
        "onboarding.skip_phone"
    ):
        phone = None
    elif message.text:
        try:
            phone = clean_phone(message.text)
        except DomainError as error:
            await context.reply(update, error.message_key)
            return
    else:
        await context.reply(update, "onboarding.phone_how")
        return
    await _finish(update, context, talk, phone)


async def _finish(
    update: Update, context: CustomContext, talk: Conversation, phone: str | None
) -> None:
    user = update.effective_user
    assert user is not None
    try:
        person = await context.services.invitations.accept(
            talk.data["code"],
            tg_user_id=user.id,
            name=talk.data["name"],
            phone=phone,
            locale=context.locale,
        )
    except DomainError as error:
        await conversation.end(update, context)
        await context.reply(update, error.message_key, reply_markup=ReplyKeyboardRemove())
        return
    await conversation.end(update, context)
    context.person = person
    await context.reply(
        update, "onboarding.done", name=person.name, role=context.t(labels.ROLE[person.role])
    )
    await send_help(update, context)
    await publish_person_commands(
        context.bot,
        context.app.translator,
        person,
        context.locale,
        context.services.settings.webapp_url,
    )
    await _tell_inviter(context, person, talk.data["code"])


async def _tell_inviter(context: CustomContext, person: Person, code: str) -> None:
    """The person who invited them learns they joined (through the outbox)."""
    invitation = await context.services.invitations.repo.by_code(code)
    if invitation is None or invitation.created_by is None:
        return
    inviter = await context.services.people.get(invitation.created_by)
    if inviter is None or not inviter.active:
        return
    translator = context.app.translator
    locale = inviter.locale or context.services.settings.default_locale
    text = translator.text(
        locale,
        "onboarding.inviter_told",
        name=person.name,
        role=translator.text(locale, labels.ROLE[person.role]),
    )
    await context.services.outbox.send(inviter.tg_user_id, text, ref=f"person:{person.id}")


# a message during onboarding, taken by the step the person is at (docs/flows/onboarding.mmd)
STEPS: dict[OnboardingState, StepHandler] = {
    OnboardingState.LANGUAGE: _language_again,
    OnboardingState.NAME: _take_name,
    OnboardingState.PHONE: _take_phone,
}
