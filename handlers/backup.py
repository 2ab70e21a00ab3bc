"""/backup: a patrol member asks for an officer now (scenario 2 in DOMAIN.md; the chain is
drawn in docs/flows/backup.mmd). Also the officers' "on my way" / "cannot go" / arrived /
resolved buttons, the requester's cancel, live location, /duty and `/backup <id>`."""

from __future__ import annotations

from enum import StrEnum

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType

from handlers import conversation, report_draft
from handlers.common import (
    Action,
    Press,
    actions_handler,
    not_understood,
    refuse,
    show,
    stale_button,
    to_private,
)
from handlers.context import CustomContext
from handlers.conversation import Conversation, Flow, StepHandler
from handlers.keyboards import button_rows, main_keyboard
from models import callbacks
from models.backup import (
    BackupReason,
    BackupRequest,
    BackupStatus,
    may_request,
)
from models.errors import DomainError
from models.org import Person, Role
from scheduler.escalation import Escalation
from scheduler.notices.backup_notify import FEATURE, REASON, BackupNotifier

START_PAYLOAD = "backup"  # t.me/<bot>?start=backup opens the private chat at the reasons


class BackupState(StrEnum):
    LOCATION = "backup:location"
    NOTE = "backup:note"


def _engine(context: CustomContext) -> Escalation:
    return context.app.escalation


def _notifier(context: CustomContext) -> BackupNotifier:
    return _engine(context).notifier


def _b(context: CustomContext, key: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        context.label(key), callback_data=callbacks.encode(FEATURE, action, *args)
    )


async def backup_command(update: Update, context: CustomContext) -> None:
    """/backup (or 🚨): choose a reason, one tap; `/backup <id>` shows a request's timeline."""
    person = context.person
    chat = update.effective_chat
    if person is None:
        await refuse(update, context)
        return
    if chat is not None and chat.type != ChatType.PRIVATE:
        # one tap to the private chat, straight at the reason question (/start backup)
        await to_private(update, context, "backup.in_private", "backup.btn_private", START_PAYLOAD)
        return
    if context.args:
        await _show_detail(update, context, person, context.args[0])
        return
    if not may_request(person):
        await refuse(update, context)
        return
    existing = await context.services.backup.repo.open_of(person.id)
    if existing is not None:
        await _show_open(update, context, existing)
        return
    buttons = [_b(context, REASON[r], "r", r.value) for r in BackupReason]
    await context.reply(
        update, "backup.ask_reason", reply_markup=InlineKeyboardMarkup(button_rows(buttons))
    )


async def _show_open(update: Update, context: CustomContext, request: BackupRequest) -> None:
    owner = await context.services.people.get(request.owner_id) if request.owner_id else None
    status = (
        context.t("backup.status_going", name=owner.name)
        if owner
        else context.t("backup.status_waiting", step=request.step_index + 1)
    )
    await context.reply(
        update,
        "backup.already_open",
        id=request.id,
        status=status,
        reply_markup=InlineKeyboardMarkup(
            [[_b(context, "backup.btn_cancel", "cancel", request.id)]]
        ),
    )


async def create(
    update: Update, context: CustomContext, reason: BackupReason, report_draft: bool = False
) -> BackupRequest | None:
    """Create the request and start the chain at once; the location may follow."""
    person = context.person
    assert person is not None
    try:
        # The request and its first step commit together: never a request nobody is told of.
        async with context.services.db.write():
            request = await context.services.backup.create(person, reason)
            await _engine(context).start(request)
    except DomainError as error:
        if error.code != "backup_already_open":
            raise
        existing = await context.services.backup.repo.open_of(person.id)
        if existing is not None:
            await _show_open(update, context, existing)
        return None
    if not report_draft:
        talk = await conversation.current(update, context)
        if talk is None or talk.flow is Flow.BACKUP:  # never over a report being written
            await conversation.save(
                update, context, Flow.BACKUP, BackupState.LOCATION, {"request": request.id}
            )
        share = ReplyKeyboardMarkup(
            [[KeyboardButton(context.label("backup.btn_share_location"), request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await context.reply(update, "backup.created", id=request.id, reply_markup=share)
        await context.reply(
            update,
            "backup.location_or_skip",
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        _b(context, "backup.btn_skip_location", "skip", request.id),
                        _b(context, "backup.btn_cancel", "cancel", request.id),
                    ]
                ]
            ),
        )
    return request


# Every backup button. Who may press is checked on the server at every press: by the rule
# beside the action, or by the service the action calls (it raises DomainError).


async def _choose_reason(p: Press) -> None:
    """A reason chosen: the call is made (rule: may_request)."""
    if not may_request(p.person):
        raise DomainError("not_allowed")
    reason = BackupReason(p.data.args[0])
    await p.query.answer()
    await show(p.query, p.context.t("backup.reason_chosen", reason=p.context.t(REASON[reason])))
    await create(p.update, p.context, reason)


async def _from_report(p: Press) -> None:
    """ "Someone is in danger" in a report: one tap, linked to the report on submit (rule:
    may_request)."""
    if not may_request(p.person):
        raise DomainError("not_allowed")
    talk = await conversation.current(p.update, p.context)
    if talk is None or talk.flow is not Flow.REPORT:
        await stale_button(p.update, p.context)
        return
    await p.query.answer()
    request = await create(p.update, p.context, BackupReason.OTHER, report_draft=True)
    if request is not None:
        await report_draft.attach_backup(p.update, p.context, request.id)
        await show(p.query, p.context.t("backup.created_from_report", id=request.id))


async def _duty(p: Press) -> None:
    """On duty / off duty (the service checks the role)."""
    on = p.data.choice(0, ("0", "1")) == "1"
    if len(p.data.args) > 1:
        p.data.choice(1, ("0",))  # the buttons carry a 0 there; anything else is forged
    await p.context.services.backup.set_on_duty(p.person, on)
    await p.query.answer()
    await show(
        p.query,
        p.context.t("backup.duty_on" if on else "backup.duty_off"),
        _duty_keyboard(p.context, on),
    )


async def _claim(p: Press) -> None:
    """ "I'm going": the first press wins, the chain stops, everyone alerted is told."""
    context, person = p.context, p.person
    request, won = await context.services.backup.claim(person, p.data.int_arg(0))
    if not won:
        owner = await context.services.people.get(request.owner_id) if request.owner_id else None
        await p.query.answer(
            context.label("backup.taken_by").format(name=owner.name if owner else "?"),
            show_alert=True,
        )
        return
    await _engine(context).stop(request)
    await p.query.answer(None if p.private else context.label("backup.claimed_short"))
    owner_buttons = InlineKeyboardMarkup(
        [
            [
                _b(context, "backup.btn_arrived", "arr", request.id),
                _b(context, "backup.btn_resolved", "res", request.id),
            ]
        ]
    )
    going = context.t("backup.you_are_going", id=request.id)
    if p.private:
        await show(p.query, going, owner_buttons)
    else:
        # the group sees who is going; the owner's buttons go to their private chat
        await context.bot.send_message(person.tg_user_id, going, reply_markup=owner_buttons)
    notifier = _notifier(context)
    await notifier.edit_all(
        request, "backup.someone_going", except_chat=p.chat.id if p.private else None,
        name=person.name,
    )  # fmt: skip
    await notifier.to_requester(
        request, "backup.told_claimed", name=person.name, phone=person.phone or "—"
    )


async def _decline(p: Press) -> None:
    """ "I can't go": noted; in private the chain moves on at once."""
    request = await p.context.services.backup.cannot_go(
        p.person, p.data.int_arg(0), p.chat.id, personal=p.private
    )
    if p.private:
        await p.query.answer()
        await show(p.query, p.context.t("backup.noted_cannot", id=request.id))
        await _engine(p.context).after_decline(request.id)
    else:
        # one person in the duty group: noted for them, the alert stays for the others
        await p.query.answer(p.context.label("backup.noted_cannot_short"), show_alert=True)


async def _arrive(p: Press) -> None:
    """The owner is on site (the service checks it is the owner)."""
    request = await p.context.services.backup.arrive(p.person, p.data.int_arg(0))
    await p.query.answer()
    await show(
        p.query,
        p.context.t("backup.arrived", id=request.id),
        InlineKeyboardMarkup([[_b(p.context, "backup.btn_resolved", "res", request.id)]]),
    )
    await _notifier(p.context).to_requester(request, "backup.told_arrived", name=p.person.name)


async def _ask_resolution(p: Press) -> None:
    """The owner resolves: asked for a note (rule: the owner of a claimed call)."""
    context, person = p.context, p.person
    request = await context.services.backup.viewable(person, p.data.int_arg(0))
    if request.owner_id != person.id or request.status not in (
        BackupStatus.CLAIMED,
        BackupStatus.ARRIVED,
    ):
        raise DomainError("not_allowed" if request.status.is_open else "backup_closed")
    user_chat = (person.tg_user_id, person.tg_user_id)
    current = await context.services.conversations.get(*user_chat)
    if current is not None and current[0] == Flow.REPORT.value:
        raise DomainError("finish_draft_first")
    await conversation.save_at(
        context, user_chat, Flow.BACKUP, BackupState.NOTE, {"request": request.id}
    )
    await p.query.answer()
    await context.bot.send_message(
        person.tg_user_id,
        context.t("backup.ask_note", id=request.id),
        reply_markup=InlineKeyboardMarkup(
            [[_b(context, "backup.btn_skip_note", "resskip", request.id)]]
        ),
    )


async def _resolve_without_note(p: Press) -> None:
    """No note: resolved (only from the note question of that call)."""
    request_id = p.data.int_arg(0)
    talk = await conversation.current(p.update, p.context)
    if talk is None or talk.flow is not Flow.BACKUP or talk.data.get("request") != request_id:
        await stale_button(p.update, p.context)
        return
    await conversation.end(p.update, p.context)
    await p.query.answer()
    await _resolve(p.update, p.context, p.person, request_id, None)


async def _cancel(p: Press) -> None:
    """The caller cancels (the service checks it is hers): the chain stops, all are told."""
    context = p.context
    request = await context.services.backup.cancel(p.person, p.data.int_arg(0))
    await _engine(context).stop(request)
    talk = await conversation.current(p.update, context)
    if talk is not None and talk.flow is Flow.BACKUP:  # a report draft stays
        await conversation.end(p.update, context)
    await p.query.answer()
    await show(p.query, context.t("backup.cancelled", id=request.id))
    await _notifier(context).edit_all(request, "backup.cancelled_by_requester", name=p.person.name)
    await context.reply(
        p.update,
        "backup.cancelled_keyboard",
        reply_markup=main_keyboard(context.app.translator, context.locale, p.person),
    )


async def _skip_location(p: Press) -> None:
    """No position shared: the location question closes."""
    request_id = p.data.int_arg(0)
    talk = await conversation.current(p.update, p.context)
    if talk is not None and talk.flow is Flow.BACKUP and talk.data.get("request") == request_id:
        await conversation.end(p.update, p.context)
    await p.query.answer()
    await show(p.query, p.context.t("backup.location_skipped"))
    await p.context.reply(
        p.update,
        "backup.cancelled_keyboard",
        reply_markup=main_keyboard(p.context.app.translator, p.context.locale, p.person),
    )


ACTIONS: dict[str, Action] = {
    "r": _choose_reason,
    "rep": _from_report,
    "duty": _duty,
    "go": _claim,
    "no": _decline,
    "arr": _arrive,
    "res": _ask_resolution,
    "resskip": _resolve_without_note,
    "cancel": _cancel,
    "skip": _skip_location,
}


async def _resolve(
    update: Update, context: CustomContext, person: Person, request_id: int, note: str | None
) -> None:
    request = await context.services.backup.resolve(person, request_id, note)
    await context.reply(update, "backup.resolved", id=request.id)
    await _notifier(context).to_requester(
        request, "backup.told_resolved", name=person.name, note=note or "—"
    )


async def _take_note(update: Update, context: CustomContext, talk: Conversation) -> None:
    """The resolving officer's note."""
    person = context.person
    message = update.effective_message
    assert person is not None and message is not None
    if not message.text:
        await context.reply(update, "backup.note_as_text")
        return
    await conversation.end(update, context)
    await _resolve(update, context, person, int(talk.data["request"]), message.text)


async def _take_pin(update: Update, context: CustomContext, talk: Conversation) -> None:
    """The location asked for after a request."""
    person = context.person
    message = update.effective_message
    assert person is not None and message is not None
    if message.location is None:
        await context.reply(update, "backup.location_needed")
        return
    await conversation.end(update, context)
    try:
        await _take_location(update, context, person)
    except DomainError as error:
        await context.reply(update, error.message_key, **error.params)


async def _take_location(update: Update, context: CustomContext, person: Person) -> None:
    """A pin or a live location for the person's open request; everyone alerted so far gets
    it (a live location is forwarded, so it keeps moving for them)."""
    message = update.effective_message
    assert message is not None and message.location is not None
    location = message.location
    service = context.services.backup
    request = await service.locate(person, location.latitude, location.longitude)
    if location.live_period:
        await service.share_live(person, request.id, message.chat.id, message.message_id)
        request = await service.viewable(person, request.id)
    await context.reply(
        update,
        "backup.location_saved",
        id=request.id,
        reply_markup=main_keyboard(context.app.translator, context.locale, person),
    )
    notes = await service.repo.notifications(request.id)
    for chat_id in dict.fromkeys(n["chat_id"] for n in notes):
        await _notifier(context).send_pin(chat_id, request, f"backup:{request.id}:location")


async def live_location(update: Update, context: CustomContext) -> None:
    """A live location moving (an edited message): follow it on the open request."""
    person = context.person
    message = update.edited_message
    if person is None or message is None or message.location is None:
        return
    request = await context.services.backup.repo.open_of(person.id)
    if request is None:
        return  # nothing open: a moving pin is not a question, so no answer
    await context.services.backup.locate(
        person, message.location.latitude, message.location.longitude
    )


async def location_outside_conversation(update: Update, context: CustomContext) -> bool:
    """A plain location with an open request and no conversation: it is for the request.
    Returns False when there is no open request (the caller answers)."""
    person = context.person
    message = update.effective_message
    if person is None or message is None or message.location is None:
        return False
    request = await context.services.backup.repo.open_of(person.id)
    if request is None:
        latest = await context.services.backup.repo.latest_of(person.id)
        if latest is not None:
            await context.reply(update, "error.backup_closed")
            return True
        return False
    await _take_location(update, context, person)
    return True


async def private_fallback(update: Update, context: CustomContext) -> None:
    """A private message outside any conversation: a location for an open request, or
    "not understood"."""
    if await location_outside_conversation(update, context):
        return
    await not_understood(update, context)


def _duty_keyboard(context: CustomContext, on: bool) -> InlineKeyboardMarkup:
    if on:
        return InlineKeyboardMarkup([[_b(context, "backup.btn_go_off_duty", "duty", 0, 0)]])
    return InlineKeyboardMarkup([[_b(context, "backup.btn_go_on_duty", "duty", 1, 0)]])


async def duty_command(update: Update, context: CustomContext) -> None:
    """/duty: an officer switches themselves on or off duty (the chain skips off-duty people)."""
    person = context.person
    if person is None or person.role not in (Role.OFFICER, Role.DUTY, Role.CHIEF):
        await refuse(update, context)
        return
    key = "backup.duty_on" if person.on_duty else "backup.duty_off"
    await context.reply(update, key, reply_markup=_duty_keyboard(context, person.on_duty))


async def _show_detail(update: Update, context: CustomContext, person: Person, text: str) -> None:
    if not text.lstrip("#").isdigit():
        raise DomainError("backup_id_invalid")
    request = await context.services.backup.viewable(person, int(text.lstrip("#")))
    body = await _notifier(context).detail_text(context.locale, request)
    await context.reply(update, "backup.wrap", body=body)


backup_press = actions_handler(ACTIONS, "Every backup button (see ACTIONS).")


# the location after a request, or the resolving officer's note (docs/flows/backup.mmd)
STEPS: dict[BackupState, StepHandler] = {
    BackupState.LOCATION: _take_pin,
    BackupState.NOTE: _take_note,
}
