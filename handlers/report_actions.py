"""Buttons and answers on submitted reports: the officer's acknowledge / on my way / arrived /
need more info / resolve / hand over / merge, and the reporter's answer, note, withdraw and
reopen. Every press re-checks on the server who may do it. Also /reports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from handlers import conversation
from handlers.common import (
    Action,
    Press,
    actions_handler,
    board_row,
    refuse,
    show,
    stale_button,
)
from handlers.context import CustomContext
from handlers.conversation import Conversation, Flow, StepHandler
from handlers.keyboards import button_rows
from locales import N_, Html
from models import callbacks
from models.errors import DomainError
from models.org import GroupKind, Person, Role
from models.reports import EventKind, Outcome, Report, ReportStatus, check_reopen
from scheduler.notices import report_views as views
from scheduler.notices.report_notify import ReportNotifier

FEATURE = views.FEATURE
PAGE = 8

ADVANCE = {"ack": EventKind.ACKNOWLEDGED, "go": EventKind.EN_ROUTE, "here": EventKind.ON_SITE}
TOLD = {
    EventKind.ACKNOWLEDGED: "report.told_acknowledged",
    EventKind.EN_ROUTE: "report.told_en_route",
    EventKind.ON_SITE: "report.told_on_site",
}


FILTERS = {
    "open": N_("report.filter_open"),
    "mine": N_("report.filter_mine"),
    "all": N_("report.filter_all"),
}


class InputState(StrEnum):
    QUESTION = "report_input:question"
    ANSWER = "report_input:answer"
    NOTE = "report_input:note"
    RESOLVE_NOTE = "report_input:resolve_note"
    REOPEN_REASON = "report_input:reopen_reason"


PROMPTS = {
    InputState.QUESTION: "report.ask_question",
    InputState.ANSWER: "report.ask_answer",
    InputState.NOTE: "report.ask_note",
    InputState.RESOLVE_NOTE: "report.ask_resolve_note",
    InputState.REOPEN_REASON: "report.ask_reopen_reason",
}


def _notifier(context: CustomContext) -> ReportNotifier:
    return ReportNotifier(context.services, context.app.translator)


def _b(context: CustomContext, key: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        context.label(key), callback_data=callbacks.encode(FEATURE, action, *args)
    )


async def _list(p: Press) -> None:
    context, person, data, query = p.context, p.person, p.data, p.query
    text, markup = await _list_view(context, person, data.args[0], int(data.args[1]))
    await query.answer()
    await show(query, text, markup)


async def _show(p: Press) -> None:
    update, context, person, query, data = p.update, p.context, p.person, p.query, p.data
    reports = context.services.reports
    report_id = data.int_arg(0)
    report, events = await reports.timeline(person, report_id)
    text = await views.timeline_text(
        context.services, context.app.translator, context.locale, report, events, person
    )
    await query.answer()
    await context.reply(
        update, "report.wrap", body=text, reply_markup=_view_keyboard(context, person, report)
    )


async def _advance(p: Press) -> None:
    update, context, person, query, data = p.update, p.context, p.person, p.query, p.data
    action = data.action
    reports = context.services.reports
    report_id = data.int_arg(0)
    report = await reports.advance(person, report_id, ADVANCE[action])
    await query.answer(context.label("report.done_short"))
    await _refresh_card(update, context, report)
    await _notifier(context).to_reporter(
        report, TOLD[ADVANCE[action]], officer=person.name, phone=_phone(person)
    )


async def _ask_question(p: Press) -> None:
    update, context, person, data = p.update, p.context, p.person, p.data
    reports = context.services.reports
    report_id = data.int_arg(0)
    report = await reports.handleable(person, report_id)
    _open(report)
    await _start_input(update, context, InputState.QUESTION, report)


async def _ask_outcome(p: Press) -> None:
    update, context, person, query, data = p.update, p.context, p.person, p.query, p.data
    reports = context.services.reports
    report_id = data.int_arg(0)
    report = await reports.handleable(person, report_id)
    if not report.status.is_open:
        raise DomainError("report_closed", number=report.number)
    buttons = [_b(context, views.OUTCOME[o], "out", report.id, o.value) for o in Outcome]
    await query.answer()
    await context.reply(
        update,
        "report.ask_outcome",
        number=report.number,
        reply_markup=InlineKeyboardMarkup(button_rows(buttons)),
    )


async def _outcome(p: Press) -> None:
    update, context, person, data = p.update, p.context, p.person, p.data
    reports = context.services.reports
    report_id = data.int_arg(0)
    report = await reports.handleable(person, report_id)
    outcome = Outcome(data.args[1])
    if not report.status.is_open:
        raise DomainError("report_closed", number=report.number)
    await _start_input(
        update,
        context,
        InputState.RESOLVE_NOTE,
        report,
        {"outcome": outcome.value},
        skip=True,
    )


async def _resolve_without_note(p: Press) -> None:
    update, context, person, data, query = p.update, p.context, p.person, p.data, p.query
    report_id = data.int_arg(0)
    talk = await conversation.current(update, context)
    if (
        talk is None
        or talk.state != InputState.RESOLVE_NOTE
        or talk.data.get("report") != report_id
    ):
        await stale_button(update, context)
        return
    await conversation.end(update, context)
    await query.answer()
    await _resolve(update, context, person, report_id, Outcome(talk.data["outcome"]), None)


async def _ask_hand_over(p: Press) -> None:
    update, context, person, query, data = p.update, p.context, p.person, p.query, p.data
    reports = context.services.reports
    report_id = data.int_arg(0)
    report = await reports.handleable(person, report_id)
    _open(report)
    officers = await reports.office_officers(report, exclude=report.owner_id or person.id)
    buttons = [
        InlineKeyboardButton(
            o.name, callback_data=callbacks.encode(FEATURE, "to", report.id, o.id)
        )
        for o in officers
    ]
    await query.answer()
    key = "report.ask_hand_over" if officers else "report.no_one_to_hand_over"
    await context.reply(
        update,
        key,
        number=report.number,
        reply_markup=InlineKeyboardMarkup(button_rows(buttons)),
    )


async def _hand_over(p: Press) -> None:
    context, person, data, query = p.context, p.person, p.data, p.query
    reports = context.services.reports
    report_id = data.int_arg(0)
    report = await reports.hand_over(person, report_id, data.int_arg(1))
    officer = await context.services.people.get(data.int_arg(1))
    assert officer is not None
    await query.answer()
    await show(query, context.t("report.handed_over", number=report.number, name=officer.name))
    await _notifier(context).handed_over(report, officer)


async def _merge(p: Press) -> None:
    update, context, person, data, query = p.update, p.context, p.person, p.data, p.query
    reports = context.services.reports
    report_id = data.int_arg(0)
    merged, into = await reports.merge(person, report_id, data.int_arg(1))
    await query.answer()
    await context.reply(update, "report.merged", number=merged.number, into=into.number)
    await _notifier(context).to_reporter(merged, "report.told_merged", into=into.number)


async def _answer(p: Press) -> None:
    update, context, person, data = p.update, p.context, p.person, p.data
    reports = context.services.reports
    report_id = data.int_arg(0)
    report = await reports.viewable(person, report_id)
    if report.reporter_id != person.id:
        raise DomainError("not_allowed")
    _open(report)
    await _start_input(update, context, InputState.ANSWER, report)


async def _add_note(p: Press) -> None:
    update, context, person, data = p.update, p.context, p.person, p.data
    reports = context.services.reports
    report_id = data.int_arg(0)
    report = await reports.viewable(person, report_id)
    if report.reporter_id != person.id:
        raise DomainError("not_allowed")
    if not report.status.is_open:
        raise DomainError("report_closed", number=report.number)
    await _start_input(update, context, InputState.NOTE, report)


async def _withdraw(p: Press) -> None:
    context, person, query, data = p.context, p.person, p.query, p.data
    reports = context.services.reports
    report_id = data.int_arg(0)
    report = await reports.withdraw(person, report_id)
    await query.answer()
    await show(query, context.t("report.withdrawn", number=report.number))
    await _notifier(context).to_handlers(report, "report.officer_withdrawn", name=person.name)


async def _reopen(p: Press) -> None:
    update, context, person, data = p.update, p.context, p.person, p.data
    reports = context.services.reports
    report_id = data.int_arg(0)
    report = await reports.viewable(person, report_id)
    check_reopen(report, person, context.services.clock.now())  # before the reason
    await _start_input(update, context, InputState.REOPEN_REASON, report)


async def _staff_only_in_groups(p: Press) -> None:
    """In a group only the card's own buttons, and only in a registered staff group:
    nothing about an incident may be posted where residents read."""
    if p.private:
        return
    group = p.context.group
    if p.data.action in ("list", "show") or group is None or group.kind is not GroupKind.STAFF:
        raise DomainError("not_allowed")


ACTIONS: dict[str, Action] = {
    "list": _list,
    "show": _show,
    "ack": _advance,
    "go": _advance,
    "here": _advance,
    "info": _ask_question,
    "res": _ask_outcome,
    "out": _outcome,
    "outskip": _resolve_without_note,
    "hand": _ask_hand_over,
    "to": _hand_over,
    "merge": _merge,
    "answer": _answer,
    "note": _add_note,
    "wd": _withdraw,
    "reopen": _reopen,
}


def _open(report: Report) -> None:
    """A question, an answer or a hand-over only for a report still being handled."""
    if not report.status.is_open:
        raise DomainError("report_closed", number=report.number)


def _phone(person: Person) -> str:
    return person.phone or "—"


async def _refresh_card(update: Update, context: CustomContext, report: Report) -> None:
    """Redraw the pressed card with the new status and the buttons that still apply."""
    query = update.callback_query
    assert query is not None
    chat = update.effective_chat
    show_phone = chat is not None and chat.type == ChatType.PRIVATE
    text = await views.card(
        context.services, context.app.translator, context.locale, report, show_phone=show_phone
    )
    keyboard = views.officer_keyboard(context.app.translator, context.locale, report)
    await show(query, text, views.markup(keyboard))


async def _start_input(
    update: Update,
    context: CustomContext,
    state: InputState,
    report: Report,
    extra: dict[str, str] | None = None,
    skip: bool = False,
) -> None:
    """Ask for a typed answer. It is always taken in the person's private chat (a press in a
    staff group gets its prompt there), and never over a draft the person is writing."""
    query = update.callback_query
    user = update.effective_user
    assert user is not None
    private = (user.id, user.id)
    talk = await context.services.conversations.get(*private)
    if talk is not None and talk[0] in (Flow.REPORT.value, Flow.BACKUP.value):
        raise DomainError("finish_draft_first")
    await conversation.save_at(
        context, private, Flow.REPORT_INPUT, state, {"report": report.id, **(extra or {})}
    )
    if query is not None:
        chat = update.effective_chat
        in_group = chat is not None and chat.type != ChatType.PRIVATE
        await query.answer(
            context.label("report.answer_in_private") if in_group else None, show_alert=in_group
        )
    markup = (
        InlineKeyboardMarkup([[_b(context, "report.btn_skip", "outskip", report.id)]])
        if skip
        else None
    )
    await context.bot.send_message(
        user.id, context.t(PROMPTS[state], number=report.number), reply_markup=markup
    )


@dataclass(frozen=True)
class _Typed:
    """What every step takes: who typed, for which report, the text and the photo."""

    person: Person
    report_id: int
    text: str | None
    photo: str | None


TypedStep = Callable[[Update, CustomContext, Conversation, _Typed], Awaitable[None]]


def _typed(step: TypedStep, photo: bool = False) -> StepHandler:
    """A step's common part: the text (or, where `photo`, a photo) asked for by a report
    button, and the refusals answered the same way at every step."""

    async def take(update: Update, context: CustomContext, talk: Conversation) -> None:
        person = context.person
        message = update.effective_message
        assert person is not None and message is not None
        report_id = int(talk.data["report"])
        picture = message.photo[-1].file_id if message.photo else None
        text = message.text or message.caption
        if not text and not (picture and photo):
            await context.reply(update, "report.input_as_text")
            return
        try:
            await step(update, context, talk, _Typed(person, report_id, text, picture))
        except DomainError as error:
            # Too long or empty: ask again, the step stays. Any other refusal ends the step
            # (and is answered here, not raised, so ending it is not rolled back with the
            # update).
            if error.code not in ("note_empty", "note_too_long"):
                await conversation.end(update, context)
            await context.reply(update, error.message_key, **error.params)

    return take


async def _take_question(
    update: Update, context: CustomContext, talk: Conversation, typed: _Typed
) -> None:
    report = await context.services.reports.ask(typed.person, typed.report_id, typed.text or "")
    await conversation.end(update, context)
    await context.reply(update, "report.question_sent", number=report.number)
    await _notifier(context).question(report, typed.person, typed.text or "")


async def _take_addition(
    update: Update, context: CustomContext, talk: Conversation, typed: _Typed
) -> None:
    """The reporter's answer to a question, or a note she adds."""
    person, text, photo = typed.person, typed.text, typed.photo
    kind = EventKind.ANSWER if talk.state == InputState.ANSWER else EventKind.NOTE
    reports = context.services.reports
    report = await reports.add_from_reporter(person, typed.report_id, kind, text, photo)
    await conversation.end(update, context)
    await context.reply(update, "report.note_saved", number=report.number)
    key = "report.officer_answer" if kind is EventKind.ANSWER else "report.officer_note"
    notifier = _notifier(context)
    await notifier.to_handlers(report, key, name=person.name, text=text or "📷")
    if photo:
        await notifier.photo_to_handlers(report, photo)


async def _take_resolve_note(
    update: Update, context: CustomContext, talk: Conversation, typed: _Typed
) -> None:
    outcome = Outcome(talk.data["outcome"])
    await _resolve(update, context, typed.person, typed.report_id, outcome, typed.text)
    await conversation.end(update, context)


async def _take_reopen_reason(
    update: Update, context: CustomContext, talk: Conversation, typed: _Typed
) -> None:
    person = typed.person
    report = await context.services.reports.reopen(person, typed.report_id, typed.text or "")
    await conversation.end(update, context)
    await context.reply(update, "report.reopened", number=report.number)
    notifier = _notifier(context)
    await notifier.to_handlers(
        report, "report.officer_reopened", name=person.name, text=typed.text or ""
    )
    if person.id != report.reporter_id:
        await notifier.to_reporter(report, "report.told_reopened", officer=person.name)


async def _resolve(
    update: Update,
    context: CustomContext,
    person: Person,
    report_id: int,
    outcome: Outcome,
    note: str | None,
) -> None:
    report = await context.services.reports.resolve(person, report_id, outcome, note)
    await context.reply(update, "report.resolved", number=report.number)
    await _notifier(context).resolved(report, outcome, note)


def _view_keyboard(
    context: CustomContext, person: Person, report: Report
) -> InlineKeyboardMarkup | None:
    translator, locale = context.app.translator, context.locale
    if report.reporter_id == person.id:
        return views.markup(
            views.reporter_keyboard(translator, locale, report, context.services.clock.now())
        )
    if person.role in (Role.OFFICER, Role.CHIEF, Role.DUTY):
        keyboard = views.officer_keyboard(translator, locale, report)
        if report.status is ReportStatus.RESOLVED:
            keyboard["inline_keyboard"].append(
                [views.button(translator, locale, "report.btn_reopen", "reopen", report.id)]
            )
        return views.markup(keyboard)
    return None


async def reports_command(update: Update, context: CustomContext) -> None:
    """/reports: your reports, or your office's queue; `/reports 2026-0042` shows one."""
    person = context.person
    if person is None:
        await refuse(update, context)
        return
    if context.args:
        report = await context.services.reports.find(person, context.args[0])
        events = await context.services.reports.repo.events(report.id)
        text = await views.timeline_text(
            context.services, context.app.translator, context.locale, report, events, person
        )
        await context.reply(
            update, "report.wrap", body=text, reply_markup=_view_keyboard(context, person, report)
        )
        return
    default = "mine" if person.role in (Role.MEMBER, Role.PARTNER) else "open"
    text, markup = await _list_view(context, person, default, 0)
    await context.reply(update, "report.wrap", body=text, reply_markup=markup)


async def _list_view(
    context: CustomContext, person: Person, which: str, page: int
) -> tuple[Html, InlineKeyboardMarkup | None]:
    repo = context.services.reports.repo
    scope: dict[str, int | None] = {}
    if person.role in (Role.MEMBER, Role.PARTNER):
        scope["reporter_id"] = person.id
        filters: tuple[str, ...] = ()
    elif person.role is Role.OFFICER:
        scope["office_id"] = person.office_id
        filters = ("open", "mine", "all")
        if which == "mine":
            scope["owner_id"] = person.id
    elif person.role in (Role.CHIEF, Role.DUTY):
        scope["station_id"] = person.station_id
        filters = ("open", "all")
    elif person.role is Role.OPERATOR:
        filters = ("open", "all")
    else:
        raise DomainError("not_allowed")
    page = max(0, page)
    found, total = await repo.listing(
        **scope,
        open_only=which == "open",
        limit=PAGE,
        offset=page * PAGE,
    )
    zone = context.services.settings.zone
    lines = [context.t("report.list_title", count=total)]
    lines += [views.list_line(context.app.translator, context.locale, r, zone) for r in found]
    if not found:
        lines.append(context.t("report.list_empty"))
    rows = button_rows(
        [
            InlineKeyboardButton(r.number, callback_data=callbacks.encode(FEATURE, "show", r.id))
            for r in found
        ],
        4,
    )
    nav = []
    if page > 0:
        nav.append(_b(context, "report.btn_prev", "list", which, page - 1))
    if (page + 1) * PAGE < total:
        nav.append(_b(context, "report.btn_next", "list", which, page + 1))
    if nav:
        rows.append(nav)
    if filters:
        rows.append(
            [_b(context, FILTERS[name], "list", name, 0) for name in filters if name != which]
        )
    rows += board_row(context, person)
    return Html("\n".join(lines)), InlineKeyboardMarkup(rows) if rows else None


report_press = actions_handler(
    ACTIONS,
    "Every button on a submitted report (`rp:action:report[:arg]`).",
    _staff_only_in_groups,
)


# the text (or photo) asked for by a report button (docs/flows/report_input.mmd)
STEPS: dict[InputState, StepHandler] = {
    InputState.QUESTION: _typed(_take_question),
    InputState.ANSWER: _typed(_take_addition, photo=True),
    InputState.NOTE: _typed(_take_addition, photo=True),
    InputState.RESOLVE_NOTE: _typed(_take_resolve_note),
    InputState.REOPEN_REASON: _typed(_take_reopen_reason),
}
