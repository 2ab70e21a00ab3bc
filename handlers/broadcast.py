"""/broadcast: a chief (station), an operator (any station) or an officer (their office)
writes a message, optionally a version in the other language and a picture, chooses the
audience, sees a preview with the recipient count, and sends it through the outbox's bulk
lane (held back in quiet hours unless urgent). Progress is one message edited in place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers import conversation
from handlers.common import Action, Press, StalePress, actions_handler, refuse, show
from handlers.context import CustomContext
from handlers.conversation import Conversation, Flow, StepHandler
from handlers.keyboards import button_rows
from locales import LOCALES, N_, NATIVE_NAMES
from models import callbacks
from models.errors import DomainError
from models.fraud import TELEGRAM_LIMIT
from models.org import Person, Role
from models.services.fraud import Audience, BroadcastDraft, audiences_for, check_broadcast_text
from scheduler.limits import BULK_RATE

FEATURE = "bc"
AUDIENCE = {
    Audience.GROUPS: N_("broadcast.aud.groups"),
    Audience.OFFICE_GROUPS: N_("broadcast.aud.office_groups"),
    Audience.MEMBERS: N_("broadcast.aud.members"),
    Audience.OFFICERS: N_("broadcast.aud.officers"),
    Audience.EVERYONE: N_("broadcast.aud.everyone"),
}
CAPTION_LIMIT = 1024


class BroadcastState(StrEnum):
    AUDIENCE = "broadcast:audience"
    TEXT = "broadcast:text"
    OTHER = "broadcast:other"
    PICTURE = "broadcast:picture"
    URGENCY = "broadcast:urgency"
    PREVIEW = "broadcast:preview"


def _b(context: CustomContext, key: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        context.label(key), callback_data=callbacks.encode(FEATURE, action, *args)
    )


async def broadcast_command(update: Update, context: CustomContext) -> None:
    """/broadcast: start with the station (operators) or the audience."""
    person = context.person
    if person is None or not audiences_for(person):
        await refuse(update, context)
        return
    if await conversation.drafting(update, context):
        await context.reply(update, "error.finish_draft_first")
        return
    if person.role is Role.OPERATOR:
        stations = await context.services.org.stations_for(person)
        buttons = [
            InlineKeyboardButton(s.name, callback_data=callbacks.encode(FEATURE, "st", s.id))
            for s in stations
        ]
        await context.reply(
            update,
            "broadcast.choose_station",
            reply_markup=InlineKeyboardMarkup(button_rows(buttons)),
        )
        return
    assert person.station_id is not None
    await _ask_audience(update, context, person, person.station_id)


async def _ask_audience(
    update: Update, context: CustomContext, person: Person, station_id: int
) -> None:
    await conversation.save(
        update, context, Flow.BROADCAST, BroadcastState.AUDIENCE, {"station": station_id}
    )
    buttons = [_b(context, AUDIENCE[a], "aud", a) for a in audiences_for(person)]
    await context.reply(
        update,
        "broadcast.choose_audience",
        reply_markup=InlineKeyboardMarkup(button_rows(buttons)),
    )


async def _station(p: Press) -> None:
    """An operator chose the station: ask for the audience."""
    if p.person.role is not Role.OPERATOR:
        raise DomainError("not_allowed")
    await p.query.answer()
    await _ask_audience(p.update, p.context, p.person, p.data.int_arg(0))


# a button of the broadcast dialog: the press and the conversation
Step = Callable[[Press, Conversation], Awaitable[None]]


def _at(state: BroadcastState | None, step: Step) -> Action:
    """A button that belongs to `state` of the dialog (None: to any); elsewhere it is stale."""

    async def action(p: Press) -> None:
        talk = await conversation.current(p.update, p.context)
        if talk is None or talk.flow is not Flow.BROADCAST:
            raise StalePress("no broadcast dialog")
        at = BroadcastState(talk.state)
        if state is not None and at is not state:
            raise StalePress("a button of another step")
        await step(p, talk)

    return action


async def _audience(p: Press, talk: Conversation) -> None:
    context, person = p.context, p.person
    audience = p.data.args[0]
    if audience not in audiences_for(person):
        raise DomainError("not_allowed")
    if audience == Audience.OFFICE_GROUPS and person.role is not Role.OFFICER:
        offices = await context.services.org.repo.offices(int(talk.data["station"]))
        buttons = [
            InlineKeyboardButton(o.name, callback_data=callbacks.encode(FEATURE, "off", o.id))
            for o in offices
        ]
        await conversation.save(
            p.update,
            context,
            Flow.BROADCAST,
            BroadcastState.AUDIENCE,
            {**talk.data, "audience": audience},
        )
        await p.query.answer()
        await show(
            p.query,
            context.t("broadcast.choose_office"),
            InlineKeyboardMarkup(button_rows(buttons)),
        )
        return
    await _to_text(p.update, context, talk, {"audience": audience})


async def _office(p: Press, talk: Conversation) -> None:
    office = await p.context.services.org.repo.office(p.data.int_arg(0))
    if office is None or office.station_id != int(talk.data["station"]):
        raise DomainError("not_allowed")
    await _to_text(p.update, p.context, talk, {"office": office.id})


async def _skip_other(p: Press, talk: Conversation) -> None:
    await p.query.answer()
    await _to_picture(p.update, p.context, talk, {})


async def _no_picture(p: Press, talk: Conversation) -> None:
    await p.query.answer()
    await _to_urgency(p.update, p.context, talk, {})


async def _urgency(p: Press, talk: Conversation) -> None:
    await p.query.answer()
    await _preview(p.update, p.context, p.person, talk, {"urgent": p.data.args[0] == "1"})


async def _send_it(p: Press, talk: Conversation) -> None:
    await p.query.answer()
    await show(p.query, p.context.t("broadcast.sending"))
    await _send(p.update, p.context, p.person, talk)


async def _cancel(p: Press, talk: Conversation) -> None:
    await conversation.end(p.update, p.context)
    await p.query.answer()
    await show(p.query, p.context.t("broadcast.cancelled"))


ACTIONS: dict[str, Action] = {
    "st": _station,
    "aud": _at(BroadcastState.AUDIENCE, _audience),
    "off": _at(BroadcastState.AUDIENCE, _office),
    "skipother": _at(BroadcastState.OTHER, _skip_other),
    "nopic": _at(BroadcastState.PICTURE, _no_picture),
    "urg": _at(BroadcastState.URGENCY, _urgency),
    "send": _at(BroadcastState.PREVIEW, _send_it),
    "cancel": _at(None, _cancel),
}


async def _to_text(
    update: Update, context: CustomContext, talk: Conversation, extra: dict[str, object]
) -> None:
    await conversation.save(
        update, context, Flow.BROADCAST, BroadcastState.TEXT, {**talk.data, **extra}
    )
    query = update.callback_query
    if query is not None:
        await query.answer()
    await context.reply(
        update,
        "broadcast.ask_text",
        limit=TELEGRAM_LIMIT,
        language=NATIVE_NAMES.get(context.locale, context.locale),
    )


async def _to_picture(
    update: Update, context: CustomContext, talk: Conversation, extra: dict[str, object]
) -> None:
    await conversation.save(
        update, context, Flow.BROADCAST, BroadcastState.PICTURE, {**talk.data, **extra}
    )
    await context.reply(
        update,
        "broadcast.ask_picture",
        reply_markup=InlineKeyboardMarkup([[_b(context, "broadcast.btn_no_picture", "nopic")]]),
    )


async def _to_urgency(
    update: Update, context: CustomContext, talk: Conversation, extra: dict[str, object]
) -> None:
    await conversation.save(
        update, context, Flow.BROADCAST, BroadcastState.URGENCY, {**talk.data, **extra}
    )
    await context.reply(
        update,
        "broadcast.ask_urgency",
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    _b(context, "broadcast.btn_normal", "urg", 0),
                    _b(context, "broadcast.btn_urgent", "urg", 1),
                ]
            ]
        ),
    )


# a typed step: a text or picture refused is answered, and the step stays
_refusals_answered = conversation.answering_refusals


async def _take_text(update: Update, context: CustomContext, talk: Conversation) -> None:
    """The message, in the language the writer uses."""
    message = update.effective_message
    assert message is not None
    if not message.text:
        await context.reply(update, "broadcast.text_expected")
        return
    text = check_broadcast_text(message.text)
    await conversation.save(
        update,
        context,
        Flow.BROADCAST,
        BroadcastState.OTHER,
        {**talk.data, "text": text, "locale": context.locale},
    )
    other = next(code for code in LOCALES if code != context.locale)
    await context.reply(
        update,
        "broadcast.ask_other",
        language=NATIVE_NAMES[other],
        reply_markup=InlineKeyboardMarkup([[_b(context, "broadcast.btn_skip", "skipother")]]),
    )


async def _take_other(update: Update, context: CustomContext, talk: Conversation) -> None:
    """The version in the other language (or the "skip" button)."""
    message = update.effective_message
    assert message is not None
    if not message.text:
        await context.reply(update, "broadcast.text_expected")
        return
    await _to_picture(update, context, talk, {"other": check_broadcast_text(message.text)})


async def _take_picture(update: Update, context: CustomContext, talk: Conversation) -> None:
    """The picture (or the "no picture" button); the texts must fit in a caption."""
    message = update.effective_message
    assert message is not None
    if not message.photo:
        await context.reply(update, "broadcast.picture_expected")
        return
    longest = max(len(str(talk.data.get("text", ""))), len(str(talk.data.get("other") or "")))
    if longest > CAPTION_LIMIT:
        raise DomainError("broadcast_caption_too_long", limit=CAPTION_LIMIT)
    await _to_urgency(update, context, talk, {"picture": message.photo[-1].file_id})


async def _use_buttons(update: Update, context: CustomContext, talk: Conversation) -> None:
    """A message at a step answered with buttons."""
    message = update.effective_message
    assert message is not None
    await context.reply(update, "report.use_buttons")


async def _recipients(context: CustomContext, person: Person, talk: Conversation):  # type: ignore[no-untyped-def]
    office = talk.data.get("office")
    return await context.services.fraud.recipients(
        person,
        str(talk.data["audience"]),
        int(talk.data["station"]),
        int(office) if office is not None else None,
    )


async def _preview(
    update: Update,
    context: CustomContext,
    person: Person,
    talk: Conversation,
    extra: dict[str, object],
) -> None:
    data = {**talk.data, **extra}
    await conversation.save(update, context, Flow.BROADCAST, BroadcastState.PREVIEW, data)
    talk = Conversation(talk.chat_id, talk.user_id, talk.flow, BroadcastState.PREVIEW, data)
    count = len(await _recipients(context, person, talk))
    await context.reply(
        update,
        "broadcast.preview",
        audience=context.t(AUDIENCE[str(data["audience"])]),
        count=count,
        urgent=context.t("broadcast.urgent_yes" if data.get("urgent") else "broadcast.urgent_no"),
        text=str(data["text"]),
        other=str(data.get("other") or "—"),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    _b(context, "broadcast.btn_send", "send"),
                    _b(context, "broadcast.btn_cancel", "cancel"),
                ]
            ]
        ),
    )


async def _send(
    update: Update, context: CustomContext, person: Person, talk: Conversation
) -> None:
    """Every recipient's message is a row, written with the broadcast in one transaction."""
    services = context.services
    data = talk.data
    recipients = await _recipients(context, person, talk)
    if not recipients:
        await conversation.end(update, context)
        await context.reply(update, "broadcast.nobody")
        return
    urgent = bool(data.get("urgent"))
    station_id = int(data["station"])
    hold = None if urgent else await services.fraud.quiet_until(station_id)
    office = data.get("office")
    draft = BroadcastDraft(
        station_id=station_id,
        office_id=int(office) if office is not None else None,
        audience=str(data["audience"]),
        text=str(data["text"]),
        locale=str(data["locale"]),
        other=str(data["other"]) if data.get("other") else None,
        picture=str(data["picture"]) if data.get("picture") else None,
        urgent=urgent,
    )

    def progress(broadcast_id: int) -> str:
        return context.t(
            "broadcast.progress",
            id=broadcast_id,
            sent=0,
            failed=0,
            left=len(recipients),
            eta=max(1, round(len(recipients) / BULK_RATE)),  # (the bulk lane's rate)
        )

    async with services.db.write():  # the broadcast's rows and the conversation's end
        await services.fraud.send_broadcast(person, draft, recipients, progress, hold)
        await conversation.end(update, context)
    if hold is not None:
        await context.reply(
            update,
            "broadcast.held",
            until=hold.astimezone(services.settings.zone).strftime("%H:%M"),
        )


broadcast_press = actions_handler(ACTIONS, "Buttons of the broadcast dialog (see ACTIONS).")


# the text, the other-language text, or the picture; the other steps are buttons
# (docs/flows/broadcast.mmd)
STEPS: dict[BroadcastState, StepHandler] = {
    BroadcastState.AUDIENCE: _use_buttons,
    BroadcastState.TEXT: _refusals_answered(_take_text),
    BroadcastState.OTHER: _refusals_answered(_take_other),
    BroadcastState.PICTURE: _refusals_answered(_take_picture),
    BroadcastState.URGENCY: _use_buttons,
    BroadcastState.PREVIEW: _use_buttons,
}
