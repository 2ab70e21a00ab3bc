"""/report: the patrol member's report conversation (see docs/flows/report.mmd).

Every answer is saved at once in the conversation row, so a restarted bot resumes at the same
step with the earlier answers intact; an unsubmitted draft expires (station setting)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from enum import StrEnum
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType

from handlers import conversation
from handlers.common import Action, Press, StalePress, actions_handler, refuse, show, to_private
from handlers.context import CustomContext
from handlers.conversation import Conversation, Flow, StepHandler
from handlers.keyboards import button_rows, main_keyboard
from models import callbacks
from models.errors import DomainError
from models.reports import (
    FAR_FROM_OFFICES_M,
    MAX_DESCRIPTION,
    MAX_PHOTOS,
    Category,
    ReportDraft,
    distance_m,
    may_report,
)
from scheduler.notices import report_views as views
from scheduler.notices.report_notify import ReportNotifier

FEATURE = "rd"
MAX_ADDRESS = 200


class ReportState(StrEnum):
    CATEGORY = "report:category"
    DANGER = "report:danger"
    LOSS = "report:loss"
    AMOUNT = "report:amount"
    DESCRIBE = "report:describe"
    LOCATION = "report:location"
    FAR = "report:far"
    PHOTOS = "report:photos"
    URGENCY = "report:urgency"
    SUMMARY = "report:summary"


EDITABLE = {
    "category": ReportState.CATEGORY,
    "description": ReportState.DESCRIBE,
    "location": ReportState.LOCATION,
    "photos": ReportState.PHOTOS,
    "urgency": ReportState.URGENCY,
}


def _button(context: CustomContext, key: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        context.label(key), callback_data=callbacks.encode(FEATURE, action, *args)
    )


def _draft(talk: Conversation) -> ReportDraft:
    return ReportDraft.model_validate(talk.data.get("draft", {}))


async def _timeout(context: CustomContext) -> timedelta:
    person = context.person
    minutes = 120
    if person is not None and person.station_id is not None:
        minutes = await context.services.station_settings.value(
            person.station_id, "report_draft_minutes"
        )
    return timedelta(minutes=minutes)


async def _save(
    update: Update,
    context: CustomContext,
    state: ReportState,
    draft: ReportDraft,
    extra: dict[str, Any] | None = None,
) -> None:
    data = {"draft": draft.model_dump(mode="json"), **(extra or {})}
    await conversation.save(
        update, context, Flow.REPORT, state, data, expires_after=await _timeout(context)
    )


async def report_command(update: Update, context: CustomContext) -> None:
    """/report (or the 📝 button, or the `report` deep link): start or resume a report."""
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        await _redirect_to_private(update, context)
        return
    person = context.person
    if person is None or not may_report(person):
        await refuse(update, context)
        return
    talk = await conversation.current(update, context)
    if talk is not None and talk.flow is Flow.REPORT:
        await context.reply(
            update,
            "report.resume_or_restart",
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        _button(context, "report.btn_resume", "resume"),
                        _button(context, "report.btn_restart", "restart"),
                    ]
                ]
            ),
        )
        return
    await _begin(update, context)


async def _redirect_to_private(update: Update, context: CustomContext) -> None:
    """In a group: nothing about the incident here, a button to continue in private."""
    await to_private(update, context, "report.in_private", "report.btn_private", "report")


async def begin_prefilled(update: Update, context: CustomContext, draft: ReportDraft) -> None:
    """A report started from elsewhere (a scam check): category and text already there."""
    person = context.person
    if person is None or not may_report(person):
        await refuse(update, context)
        return
    await _save(update, context, ReportState.DANGER, draft)
    await context.reply(
        update,
        "report.prefilled",
        category=context.t(views.CATEGORY[draft.category or Category.OTHER]),
    )
    await _ask(update, context, ReportState.DANGER, draft)


async def _begin(update: Update, context: CustomContext) -> None:
    await _save(update, context, ReportState.CATEGORY, ReportDraft())
    await _ask(update, context, ReportState.CATEGORY, ReportDraft())


async def _ask(
    update: Update, context: CustomContext, state: ReportState, draft: ReportDraft
) -> None:
    """Ask the question of a step, with its buttons."""
    if state is ReportState.CATEGORY:
        buttons = [_button(context, views.CATEGORY[c], "cat", c.value) for c in Category]
        await context.reply(
            update, "report.ask_category", reply_markup=InlineKeyboardMarkup(button_rows(buttons))
        )
    elif state is ReportState.DANGER:
        await context.reply(update, "report.ask_danger", reply_markup=_yes_no(context, "danger"))
    elif state is ReportState.LOSS:
        await context.reply(update, "report.ask_loss", reply_markup=_yes_no(context, "loss"))
    elif state is ReportState.AMOUNT:
        markup = InlineKeyboardMarkup([[_button(context, "report.btn_skip", "amount_skip")]])
        await context.reply(update, "report.ask_amount", reply_markup=markup)
    elif state is ReportState.DESCRIBE:
        await context.reply(update, "report.ask_description", limit=MAX_DESCRIPTION)
    elif state is ReportState.LOCATION:
        await _ask_location(update, context)
    elif state is ReportState.PHOTOS:
        markup = InlineKeyboardMarkup(
            [[_button(context, "report.btn_photos_done", "photos_done")]]
        )
        await context.reply(update, "report.ask_photos", limit=MAX_PHOTOS, reply_markup=markup)
    elif state is ReportState.URGENCY:
        markup = InlineKeyboardMarkup(
            [
                [
                    _button(context, "report.btn_normal", "urg", 0),
                    _button(context, "report.btn_urgent", "urg", 1),
                ]
            ]
        )
        await context.reply(update, "report.ask_urgency", reply_markup=markup)
    elif state is ReportState.FAR:
        await context.reply(update, "report.far_confirm", reply_markup=_yes_no(context, "far"))
    elif state is ReportState.SUMMARY:
        await _show_summary(update, context, draft)


def _yes_no(context: CustomContext, action: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(context, "report.btn_yes", action, 1),
                _button(context, "report.btn_no", action, 0),
            ]
        ]
    )


async def _ask_location(update: Update, context: CustomContext) -> None:
    person = context.person
    assert person is not None and person.office_id is not None
    places = [
        p
        for p in await context.services.org.repo.places(person.office_id)
        if p.is_village or p.is_patrol_area or p.is_hot_spot
    ]
    share = ReplyKeyboardMarkup(
        [[KeyboardButton(context.label("report.btn_share_location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await context.reply(update, "report.ask_location", reply_markup=share)
    if places:
        buttons = [
            InlineKeyboardButton(p.name, callback_data=callbacks.encode(FEATURE, "place", p.id))
            for p in places[:30]
        ]
        await context.reply(
            update, "report.ask_place", reply_markup=InlineKeyboardMarkup(button_rows(buttons, 3))
        )


async def _show_summary(update: Update, context: CustomContext, draft: ReportDraft) -> None:
    where_text = await _where(context, draft)
    text = views.draft_summary(context.app.translator, context.locale, draft, where_text)
    rows = [
        [_button(context, "report.btn_submit", "submit")],
        [
            _button(context, "report.btn_edit_category", "edit", "category"),
            _button(context, "report.btn_edit_description", "edit", "description"),
        ],
        [
            _button(context, "report.btn_edit_location", "edit", "location"),
            _button(context, "report.btn_edit_photos", "edit", "photos"),
        ],
        [
            _button(context, "report.btn_edit_urgency", "edit", "urgency"),
            _button(context, "report.btn_cancel", "cancel"),
        ],
    ]
    message = update.effective_message
    assert message is not None
    await message.reply_text(text, reply_markup=InlineKeyboardMarkup(rows), do_quote=False)


async def _where(context: CustomContext, draft: ReportDraft) -> str:
    parts = []
    if draft.place_id is not None:
        place = await context.services.org.repo.place(draft.place_id)
        if place is not None:
            parts.append(place.name)
    if draft.address:
        parts.append(draft.address)
    if draft.latitude is not None and draft.longitude is not None:
        parts.append(f"{draft.latitude:.5f}, {draft.longitude:.5f}")
    return " · ".join(parts) or context.label("report.no_location")


def _after(state: ReportState, draft: ReportDraft, editing: bool) -> ReportState:
    """The step after `state` (back to the summary when a single field was being edited;
    past the description when it came with the report, e.g. from a scam check)."""
    nxt = _after_step(state, draft, editing)
    if nxt is ReportState.DESCRIBE and draft.description and not editing:
        return ReportState.LOCATION
    return nxt


def _after_step(state: ReportState, draft: ReportDraft, editing: bool) -> ReportState:
    is_fraud = draft.category is Category.FRAUD
    if state is ReportState.CATEGORY:
        if editing:
            return (
                ReportState.LOSS if is_fraud and draft.money_lost is None else ReportState.SUMMARY
            )
        return ReportState.DANGER
    if state is ReportState.DANGER:
        return ReportState.LOSS if is_fraud else ReportState.DESCRIBE
    if state is ReportState.LOSS:
        if draft.money_lost:
            return ReportState.AMOUNT
        return ReportState.SUMMARY if editing else ReportState.DESCRIBE
    if editing:
        return ReportState.SUMMARY
    following = {
        ReportState.AMOUNT: ReportState.DESCRIBE,
        ReportState.DESCRIBE: ReportState.LOCATION,
        ReportState.LOCATION: ReportState.PHOTOS,
        ReportState.FAR: ReportState.PHOTOS,
        ReportState.URGENCY: ReportState.SUMMARY,
    }
    if state is ReportState.PHOTOS:
        return ReportState.SUMMARY if draft.danger else ReportState.URGENCY
    return following[state]


async def _advance(
    update: Update,
    context: CustomContext,
    talk: Conversation,
    state: ReportState,
    draft: ReportDraft,
) -> None:
    """Save the answer of `state` with the step it leads to, then ask that step."""
    editing = bool(talk.data.get("editing"))
    nxt = _after(state, draft, editing)
    extra = {"editing": editing} if nxt is not ReportState.SUMMARY else {}
    await _save(update, context, nxt, draft, extra)
    await _ask(update, context, nxt, draft)


async def _resume(p: Press) -> None:
    """Resume the open draft (or start again), from the /report question."""
    update, context = p.update, p.context
    if not p.private or not may_report(p.person):
        raise DomainError("not_allowed")
    talk = await conversation.current(update, context)
    await p.query.answer()
    resume = p.data.action == "resume"
    await show(p.query, context.t("report.resumed" if resume else "report.restarted"))
    if not resume or talk is None or talk.flow is not Flow.REPORT:
        await _begin(update, context)
    else:
        await _ask(update, context, ReportState(talk.state), _draft(talk))


# a step's button: the press, the conversation and its draft (as it was before the press)
Step = Callable[[Press, Conversation, ReportDraft], Awaitable[None]]


def _at(state: ReportState | None, step: Step, advance: bool = True) -> Action:
    """A button of the report conversation that belongs to `state` (None: to any step); a
    press at another step, or without a draft, is "no longer valid". With `advance`, the
    step's answer is saved and the next question asked."""

    async def action(p: Press) -> None:
        talk = await conversation.current(p.update, p.context)
        if talk is None or talk.flow is not Flow.REPORT:
            raise StalePress("no report draft")
        at, draft = ReportState(talk.state), _draft(talk)
        if state is not None and at is not state:
            raise StalePress("a button of another step")
        await p.query.answer()
        await step(p, talk, draft)
        if advance:
            await _advance(p.update, p.context, talk, at, draft)

    return action


async def _category(p: Press, talk: Conversation, draft: ReportDraft) -> None:
    draft.category = Category(p.data.args[0])
    if draft.category is not Category.FRAUD:
        draft.money_lost, draft.loss_amount = None, None
    choice = p.context.t(views.CATEGORY[draft.category])
    await show(p.query, p.context.t("report.chosen", choice=choice))


async def _danger(p: Press, talk: Conversation, draft: ReportDraft) -> None:
    draft.danger = p.data.args[0] == "1"
    await show(p.query, p.context.t("report.danger_yes" if draft.danger else "report.danger_no"))
    if draft.danger:
        draft.urgent = True
        await p.context.reply(
            p.update,
            "report.emergency_numbers",
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            p.context.label("report.btn_backup_now"),
                            callback_data=callbacks.encode("bk", "rep"),
                        )
                    ]
                ]
            ),
        )


async def _loss(p: Press, talk: Conversation, draft: ReportDraft) -> None:
    draft.money_lost = p.data.args[0] == "1"
    if not draft.money_lost:
        draft.loss_amount = None
    await show(p.query, p.context.t("report.loss_yes" if draft.money_lost else "report.loss_no"))


async def _skip_amount(p: Press, talk: Conversation, draft: ReportDraft) -> None:
    draft.loss_amount = None
    await show(p.query, p.context.t("report.amount_skipped"))


async def _place(p: Press, talk: Conversation, draft: ReportDraft) -> None:
    if not await _take_place(p.update, p.context, talk, draft, int(p.data.args[0])):
        raise StalePress("not a place of the person's office")


async def _far(p: Press, talk: Conversation, draft: ReportDraft) -> None:
    await _confirm_far(p.update, p.context, talk, draft, p.data.args[0] == "1")


async def _photos_done(p: Press, talk: Conversation, draft: ReportDraft) -> None:
    await show(p.query, p.context.t("report.photos_done", count=len(draft.photos)))


async def _urgency(p: Press, talk: Conversation, draft: ReportDraft) -> None:
    draft.urgent = p.data.args[0] == "1"
    key = "report.summary_urgent" if draft.urgent else "report.summary_normal"
    await show(p.query, p.context.t(key))


async def _send(p: Press, talk: Conversation, draft: ReportDraft) -> None:
    await _submit(p.update, p.context, draft)


async def _edit(p: Press, talk: Conversation, draft: ReportDraft) -> None:
    target = EDITABLE[p.data.args[0]]
    if target is ReportState.PHOTOS:
        draft.photos = []
    if target is ReportState.LOCATION:
        draft.latitude = draft.longitude = draft.place_id = None
        draft.address = None
    await _save(p.update, p.context, target, draft, {"editing": True})
    await _ask(p.update, p.context, target, draft)


async def _cancel(p: Press, talk: Conversation, draft: ReportDraft) -> None:
    await conversation.end(p.update, p.context)
    await show(p.query, p.context.t("report.cancelled"))
    await p.context.reply(
        p.update,
        "cancel.done",
        reply_markup=main_keyboard(p.context.app.translator, p.context.locale, p.person),
    )


# each button belongs to a step of the conversation: pressed at another, it is stale
ACTIONS: dict[str, Action] = {
    "resume": _resume,
    "restart": _resume,
    "cat": _at(ReportState.CATEGORY, _category),
    "danger": _at(ReportState.DANGER, _danger),
    "loss": _at(ReportState.LOSS, _loss),
    "amount_skip": _at(ReportState.AMOUNT, _skip_amount),
    "place": _at(ReportState.LOCATION, _place, advance=False),
    "far": _at(ReportState.FAR, _far, advance=False),
    "photos_done": _at(ReportState.PHOTOS, _photos_done),
    "urg": _at(ReportState.URGENCY, _urgency),
    "submit": _at(ReportState.SUMMARY, _send, advance=False),
    "edit": _at(ReportState.SUMMARY, _edit, advance=False),
    "cancel": _at(None, _cancel, advance=False),
}
draft_press = actions_handler(
    ACTIONS,
    "A button of the report conversation; it must belong to the step the person is at"
    " (see ACTIONS).",
)


async def _take_place(
    update: Update, context: CustomContext, talk: Conversation, draft: ReportDraft, place_id: int
) -> bool:
    person = context.person
    assert person is not None
    place = await context.services.org.repo.place(place_id)
    if place is None or place.office_id != person.office_id or not place.active:
        return False
    draft.place_id = place.id
    if place.latitude is not None and place.longitude is not None and draft.latitude is None:
        draft.latitude, draft.longitude = place.latitude, place.longitude
    query = update.callback_query
    assert query is not None
    await show(query, context.t("report.chosen", choice=place.name))
    await _location_saved(update, context, talk, draft)
    return True


async def _confirm_far(
    update: Update, context: CustomContext, talk: Conversation, draft: ReportDraft, keep: bool
) -> bool:
    query = update.callback_query
    assert query is not None
    pending = talk.data.get("far")
    if not keep or not pending:
        await show(query, context.t("report.far_resend"))
        await _save(
            update, context, ReportState.LOCATION, draft, {"editing": talk.data.get("editing")}
        )
        await _ask_location(update, context)
        return True
    draft.latitude, draft.longitude = float(pending[0]), float(pending[1])
    await _locate_backup(context, draft)
    await show(query, context.t("report.far_kept"))
    await _location_saved(update, context, talk, draft)
    return True


async def _location_saved(
    update: Update, context: CustomContext, talk: Conversation, draft: ReportDraft
) -> None:
    person = context.person
    assert person is not None
    await context.reply(
        update,
        "report.location_saved",
        reply_markup=main_keyboard(context.app.translator, context.locale, person),
    )
    await _advance(update, context, talk, ReportState.LOCATION, draft)


async def attach_backup(update: Update, context: CustomContext, backup_id: int) -> bool:
    """Remember a backup request made from the danger question in the open draft."""
    talk = await conversation.current(update, context)
    if talk is None or talk.flow is not Flow.REPORT:
        return False
    draft = _draft(talk)
    draft.backup_id = backup_id
    extra = {k: v for k, v in talk.data.items() if k != "draft"}
    await _save(update, context, ReportState(talk.state), draft, extra)
    return True


async def _take_amount(update: Update, context: CustomContext, talk: Conversation) -> None:
    message = update.effective_message
    assert message is not None
    draft = _draft(talk)
    amount = _amount(message.text)
    if amount is None:
        await context.reply(update, "report.amount_invalid")
        return
    draft.loss_amount = amount
    await _advance(update, context, talk, ReportState.AMOUNT, draft)


async def _take_description(update: Update, context: CustomContext, talk: Conversation) -> None:
    message = update.effective_message
    assert message is not None
    draft = _draft(talk)
    if message.voice is not None:
        draft.voice_file_id = message.voice.file_id
        draft.description = (message.caption or "").strip() or draft.description
    elif message.text and message.text.strip():
        text = message.text.strip()
        if len(text) > MAX_DESCRIPTION:
            await context.reply(
                update, "report.description_too_long", limit=MAX_DESCRIPTION, length=len(text)
            )
            return
        draft.description = text
    else:
        await context.reply(update, "report.description_as_text")
        return
    await _advance(update, context, talk, ReportState.DESCRIBE, draft)


async def _use_buttons(update: Update, context: CustomContext, talk: Conversation) -> None:
    """A message at a step answered with buttons: say so, and ask the step again."""
    message = update.effective_message
    assert message is not None
    await context.reply(update, "report.use_buttons")
    await _ask(update, context, ReportState(talk.state), _draft(talk))


def _amount(text: str | None) -> float | None:
    if not text:
        return None
    cleaned = text.strip().replace(",", "").replace("，", "").rstrip("元").strip()
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if 0 <= value <= 1e10 else None


async def _take_location(update: Update, context: CustomContext, talk: Conversation) -> None:
    message = update.effective_message
    assert message is not None
    draft = _draft(talk)
    if message.location is not None:
        lat, lon = message.location.latitude, message.location.longitude
        if await _far_from_offices(context, lat, lon):
            await _save(
                update,
                context,
                ReportState.FAR,
                draft,
                {"far": [lat, lon], "editing": talk.data.get("editing")},
            )
            await context.reply(update, "report.far_confirm", reply_markup=_yes_no(context, "far"))
            return
        draft.latitude, draft.longitude = lat, lon
        await _locate_backup(context, draft)
        await _location_saved(update, context, talk, draft)
        return
    if message.text and message.text.strip():
        address = " ".join(message.text.split())
        if len(address) > MAX_ADDRESS:
            await context.reply(update, "report.address_too_long", limit=MAX_ADDRESS)
            return
        draft.address = address
        await _location_saved(update, context, talk, draft)
        return
    await context.reply(update, "report.location_how")


async def _locate_backup(context: CustomContext, draft: ReportDraft) -> None:
    """A backup request made from this report follows the report's location."""
    person = context.person
    if draft.backup_id is None or person is None or draft.latitude is None:
        return
    request = await context.services.backup.repo.get(draft.backup_id)
    if request is not None and request.status.is_open and request.latitude is None:
        assert draft.longitude is not None
        await context.services.backup.locate(person, draft.latitude, draft.longitude)


async def _far_from_offices(context: CustomContext, lat: float, lon: float) -> bool:
    person = context.person
    assert person is not None and person.station_id is not None
    offices = [
        o
        for o in await context.services.org.repo.offices(person.station_id)
        if o.latitude is not None and o.longitude is not None
    ]
    if not offices:
        return False
    return all(
        distance_m(lat, lon, o.latitude, o.longitude) > FAR_FROM_OFFICES_M  # type: ignore[arg-type]
        for o in offices
    )


async def _take_photo(update: Update, context: CustomContext, talk: Conversation) -> None:
    message = update.effective_message
    assert message is not None
    draft = _draft(talk)
    if not message.photo:
        await context.reply(
            update,
            "report.photo_expected",
            reply_markup=InlineKeyboardMarkup(
                [[_button(context, "report.btn_photos_done", "photos_done")]]
            ),
        )
        return
    if len(draft.photos) >= MAX_PHOTOS:
        await context.reply(update, "report.photos_full", limit=MAX_PHOTOS)
        return
    draft.photos.append(message.photo[-1].file_id)
    await _save(update, context, ReportState.PHOTOS, draft, {"editing": talk.data.get("editing")})
    await context.reply(
        update,
        "report.photo_saved",
        count=len(draft.photos),
        limit=MAX_PHOTOS,
        reply_markup=InlineKeyboardMarkup(
            [[_button(context, "report.btn_photos_done", "photos_done")]]
        ),
    )


async def _submit(update: Update, context: CustomContext, draft: ReportDraft) -> None:
    person = context.person
    query = update.callback_query
    assert person is not None and query is not None
    submitted = await context.services.reports.submit(person, draft)
    if draft.backup_id is not None:
        await context.services.backup.link_report(person, draft.backup_id, submitted.report.id)
    await conversation.end(update, context)
    await ReportNotifier(context.services, context.app.translator).new_report(submitted)
    report = submitted.report
    await show(query, context.t("report.submitted_summary", number=report.number))
    keyboard = views.reporter_keyboard(
        context.app.translator, context.locale, report, context.services.clock.now()
    )
    paired = {o.id for o in await context.services.people.officers_of(person)}
    to_paired = bool(paired) and {o.id for o in submitted.officers} <= paired
    key = "report.submitted" if to_paired else "report.submitted_to_duty"
    await context.reply(update, key, number=report.number, reply_markup=views.markup(keyboard))
    await context.reply(
        update,
        "report.submitted_keyboard",
        reply_markup=main_keyboard(context.app.translator, context.locale, person),
    )
    if report.danger:
        await context.reply(update, "report.emergency_numbers")


# a message during the report conversation, taken by the step the person is at; the steps
# answered with buttons say so and ask again (docs/flows/report.mmd)
STEPS: dict[ReportState, StepHandler] = {
    ReportState.CATEGORY: _use_buttons,
    ReportState.DANGER: _use_buttons,
    ReportState.LOSS: _use_buttons,
    ReportState.AMOUNT: _take_amount,
    ReportState.DESCRIBE: _take_description,
    ReportState.LOCATION: _take_location,
    ReportState.FAR: _use_buttons,
    ReportState.PHOTOS: _take_photo,
    ReportState.URGENCY: _use_buttons,
    ReportState.SUMMARY: _use_buttons,
}
