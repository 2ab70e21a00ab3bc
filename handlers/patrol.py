"""The patrol day from the street (docs/flows/patrol.mmd): /today, /checkin, /checkout with
the patrol log, /leave, members asking to swap, and officers replacing or exchanging people
in the plan. Every button re-checks on the server who may press it."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)

from handlers import conversation, report_draft
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
from handlers.keyboards import button_rows, main_keyboard
from locales import Html
from models import callbacks
from models.errors import DomainError
from models.org import Person, Role
from models.patrol import LOG_FIELDS, parse_leave, parse_log_number
from scheduler.notices.patrol_notify import FEATURE, PatrolNotifier
from scheduler.patrol import UNPLANNED_CLOSE, UNPLANNED_HOURS, PatrolJobs, after_change


class PatrolState(StrEnum):
    CHECKIN_LOCATION = "patrol:checkin_location"
    LOG_HOUSEHOLDS = "patrol:log_households"
    LOG_PUBLICITY = "patrol:log_publicity"
    LOG_HAZARDS = "patrol:log_hazards"
    LOG_DISPUTES = "patrol:log_disputes"
    LOG_NOTE = "patrol:log_note"
    LEAVE_DATES = "patrol:leave_dates"
    LEAVE_REASON = "patrol:leave_reason"


LOG_STEPS = (
    PatrolState.LOG_HOUSEHOLDS,
    PatrolState.LOG_PUBLICITY,
    PatrolState.LOG_HAZARDS,
    PatrolState.LOG_DISPUTES,
    PatrolState.LOG_NOTE,
)
LOG_PROMPTS = {
    PatrolState.LOG_HOUSEHOLDS: "patrol.ask_households",
    PatrolState.LOG_PUBLICITY: "patrol.ask_publicity",
    PatrolState.LOG_HAZARDS: "patrol.ask_hazards",
    PatrolState.LOG_DISPUTES: "patrol.ask_disputes",
    PatrolState.LOG_NOTE: "patrol.ask_note",
}


def _jobs(context: CustomContext) -> PatrolJobs:
    return context.app.patrol_jobs


def _notifier(context: CustomContext) -> PatrolNotifier:
    return _jobs(context).notifier


def _b(context: CustomContext, key: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        context.label(key), callback_data=callbacks.encode(FEATURE, action, *args)
    )


async def today_command(update: Update, context: CustomContext) -> None:
    """/today: my assignments today (and tomorrow's once planned) and my month."""
    person = context.person
    if person is None or person.office_id is None:
        await refuse(update, context)
        return
    patrol = context.services.patrol
    notifier = _notifier(context)
    today = patrol.today()
    tomorrow = today.fromordinal(today.toordinal() + 1)
    lines: list[str] = []
    if person.role is Role.OFFICER:
        for day in (today, tomorrow):
            assignments = await patrol.repo.assignments(person.office_id, day)
            if assignments or await patrol.repo.day(person.office_id, day):
                lines.append(
                    await notifier.office_plan_text(
                        context.locale, person.office_id, day, assignments
                    )
                )
        if not lines:
            lines.append(context.t("patrol.no_plan_yet"))
        board = board_row(context, person)
        await context.reply(
            update,
            "patrol.wrap",
            body=Html("\n\n".join(lines)),
            reply_markup=InlineKeyboardMarkup(board) if board else None,
        )
        return
    mine = await patrol.repo.of_member(person.id, today, tomorrow)
    for a in mine:
        if a.day == tomorrow and not await patrol.repo.day(a.office_id, tomorrow):
            continue
        _m, officer, area = await notifier.names(a)
        key = "patrol.today_line" if a.day == today else "patrol.tomorrow_line"
        lines.append(context.t(key, area=area, hours=notifier.hhmm(a), officer=officer))
    if not mine:
        lines.append(context.t("patrol.nothing_today"))
    shifts, hours, checkins = await patrol.month_record(person)
    lines.append(context.t("patrol.month", shifts=shifts, hours=hours, checkins=checkins))
    buttons = [[_b(context, "patrol.btn_swap", "swap", a.id)] for a in mine if a.day == today]
    await context.reply(
        update,
        "patrol.wrap",
        body=Html("\n".join(lines)),
        reply_markup=InlineKeyboardMarkup(buttons) if buttons else None,
    )


async def checkin_command(update: Update, context: CustomContext) -> None:
    """/checkin (or the reminder's button): the patrol starts now."""
    person = context.person
    if person is None:
        await refuse(update, context)
        return
    checkin, assignment = await context.services.patrol.checkin(person)
    notifier = _notifier(context)
    if assignment is None:
        officers = [o for o in await context.services.people.officers_of(person) if o.active]
        if not officers and person.office_id is not None:
            officers = [
                p
                for p in await context.services.people.repo.in_office(person.office_id, True)
                if p.role is Role.OFFICER
            ]
        await context.services.timers.schedule(
            UNPLANNED_CLOSE,
            f"checkin:close:{checkin.id}",
            checkin.started_at + timedelta(hours=UNPLANNED_HOURS),
            {"checkin": checkin.id},
        )
        for officer in officers:
            await notifier.to_person(officer.id, "patrol.unplanned_to_officer", name=person.name)
        key = "patrol.checked_in_unplanned"
        area = ""
    else:
        key = "patrol.checked_in"
        area = (await notifier.names(assignment))[2]
    zone = context.services.settings.zone
    if not await conversation.drafting(update, context):  # a report draft stays where it is
        await conversation.save(
            update, context, Flow.PATROL, PatrolState.CHECKIN_LOCATION, {"checkin": checkin.id}
        )
    share = ReplyKeyboardMarkup(
        [[KeyboardButton(context.label("patrol.btn_share_location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    message = update.effective_message
    assert message is not None
    await message.reply_text(
        context.t(key, at=f"{checkin.started_at.astimezone(zone):%H:%M}", area=area),
        reply_markup=share,
        do_quote=False,
    )


async def checkout_command(update: Update, context: CustomContext) -> None:
    """/checkout: the patrol ends; then the short patrol log, every field optional."""
    person = context.person
    if person is None or person.role not in (Role.MEMBER, Role.PARTNER):
        await refuse(update, context)
        return
    checkin = await context.services.patrol.checkout(person)
    minutes = int(
        ((checkin.ended_at or checkin.started_at) - checkin.started_at).total_seconds() // 60
    )
    await context.reply(
        update,
        "patrol.checked_out",
        minutes=minutes,
        reply_markup=main_keyboard(context.app.translator, context.locale, person),
    )
    if await conversation.drafting(update, context):
        return  # the patrol log is optional; the report draft is not lost for it
    await _ask_log(update, context, PatrolState.LOG_HOUSEHOLDS, checkin.id)


async def _ask_log(
    update: Update, context: CustomContext, state: PatrolState, checkin_id: int
) -> None:
    await conversation.save(update, context, Flow.PATROL, state, {"checkin": checkin_id})
    buttons = [[_b(context, "patrol.btn_skip", "logskip", checkin_id)]]
    if state is PatrolState.LOG_HOUSEHOLDS:
        buttons[0].append(_b(context, "patrol.btn_skip_log", "logdone", checkin_id))
    await context.reply(update, LOG_PROMPTS[state], reply_markup=InlineKeyboardMarkup(buttons))


async def _next_log(
    update: Update, context: CustomContext, state: PatrolState, checkin_id: int
) -> None:
    index = LOG_STEPS.index(state)
    if index + 1 < len(LOG_STEPS):
        await _ask_log(update, context, LOG_STEPS[index + 1], checkin_id)
        return
    await _log_done(update, context)


async def _log_done(update: Update, context: CustomContext) -> None:
    await conversation.end(update, context)
    await context.reply(
        update,
        "patrol.log_saved",
        reply_markup=InlineKeyboardMarkup([[_b(context, "patrol.btn_report", "report")]]),
    )


async def leave_command(update: Update, context: CustomContext) -> None:
    """/leave: days she cannot patrol (a date or a range), with an optional reason."""
    person = context.person
    if person is None or person.role not in (Role.MEMBER, Role.OFFICER):
        await refuse(update, context)
        return
    if await conversation.drafting(update, context):
        await context.reply(update, "error.finish_draft_first")
        return
    await conversation.save(update, context, Flow.PATROL, PatrolState.LEAVE_DATES, {})
    await context.reply(update, "patrol.ask_leave_dates")


async def _take_checkin_location(
    update: Update, context: CustomContext, talk: Conversation
) -> None:
    """The location asked for at check-in; anything else is "no location"."""
    person = context.person
    message = update.effective_message
    assert person is not None and message is not None
    keyboard = main_keyboard(context.app.translator, context.locale, person)
    if message.location is None:
        await conversation.end(update, context)
        await context.reply(update, "patrol.location_not_given", reply_markup=keyboard)
        return
    location = message.location
    await context.services.patrol.locate_checkin(person, location.latitude, location.longitude)
    await conversation.end(update, context)
    await context.reply(update, "patrol.location_saved", reply_markup=keyboard)


async def _take_log_number(update: Update, context: CustomContext, talk: Conversation) -> None:
    """A count of the patrol log (households, publicity, hazards, disputes)."""
    person = context.person
    message = update.effective_message
    assert person is not None and message is not None
    state = PatrolState(talk.state)
    checkin_id = int(talk.data["checkin"])
    if not message.text:
        await context.reply(update, "patrol.log_as_text")
        return
    try:
        value = parse_log_number(message.text)
    except DomainError as error:
        await context.reply(update, error.message_key, **error.params)
        return
    field = LOG_FIELDS[LOG_STEPS.index(state)]
    await context.services.patrol.set_log(person, checkin_id, field, value)
    await _next_log(update, context, state, checkin_id)


async def _take_log_note(update: Update, context: CustomContext, talk: Conversation) -> None:
    """The last field of the patrol log: a note."""
    person = context.person
    message = update.effective_message
    assert person is not None and message is not None
    checkin_id = int(talk.data["checkin"])
    if not message.text:
        await context.reply(update, "patrol.log_as_text")
        return
    await context.services.patrol.set_log(person, checkin_id, "note", message.text.strip()[:500])
    await _log_done(update, context)


async def _take_leave_dates(update: Update, context: CustomContext, talk: Conversation) -> None:
    """The day or range of days of a leave (/leave)."""
    message = update.effective_message
    assert context.person is not None and message is not None
    if not message.text:
        await context.reply(update, "patrol.ask_leave_dates")
        return
    try:
        start, end = parse_leave(message.text, context.services.patrol.today())
    except DomainError as error:
        await context.reply(update, error.message_key, **error.params)
        return
    await conversation.save(
        update,
        context,
        Flow.PATROL,
        PatrolState.LEAVE_REASON,
        {"start": start.isoformat(), "end": end.isoformat()},
    )
    await context.reply(
        update,
        "patrol.ask_leave_reason",
        reply_markup=InlineKeyboardMarkup([[_b(context, "patrol.btn_skip", "leaveskip")]]),
    )


async def _take_leave_reason(update: Update, context: CustomContext, talk: Conversation) -> None:
    """The reason of a leave (any message; "skip" is a button)."""
    person = context.person
    message = update.effective_message
    assert person is not None and message is not None
    await _save_leave(update, context, person, talk, message.text)


async def _save_leave(
    update: Update, context: CustomContext, person: Person, talk: Conversation, reason: str | None
) -> None:
    start, end = date.fromisoformat(talk.data["start"]), date.fromisoformat(talk.data["end"])
    leave, changes = await context.services.patrol.add_leave(person, start, end, reason)
    await conversation.end(update, context)
    await context.reply(update, "patrol.leave_saved", start=start.isoformat(), end=end.isoformat())
    notifier = _notifier(context)
    officers = (
        await context.services.people.officers_of(person) if person.role is Role.MEMBER else []
    )
    if person.role is Role.MEMBER and not officers and person.office_id is not None:
        officers = [
            p
            for p in await context.services.people.repo.in_office(
                person.office_id, active_only=True
            )
            if p.role is Role.OFFICER
        ]
    for officer in officers:
        keyboard = {
            "inline_keyboard": [
                [
                    notifier.button(
                        notifier.locale(officer), "patrol.btn_decline", "decline", leave.id
                    )
                ]
            ]
        }
        await notifier.to_person(
            officer.id,
            "patrol.leave_to_officer",
            name=person.name,
            start=start.isoformat(),
            end=end.isoformat(),
            reason=leave.reason or "—",
            _keyboard=keyboard,
        )
    for change in changes:
        await after_change(_jobs(context), change.old, change.new)


async def _check_in(p: Press) -> None:
    update, context, query = p.update, p.context, p.query
    await query.answer()
    await checkin_command(update, context)


async def _report(p: Press) -> None:
    update, context, query = p.update, p.context, p.query
    await query.answer()
    await report_draft.report_command(update, context)


async def _log_step(p: Press) -> None:
    update, context, data, query = p.update, p.context, p.data, p.query
    action = data.action
    talk = await conversation.current(update, context)
    if talk is None or talk.flow is not Flow.PATROL or talk.data.get("checkin") != data.int_arg(0):
        await stale_button(update, context)
        return
    await query.answer()
    state = PatrolState(talk.state)
    if action == "logdone" or state is PatrolState.LOG_NOTE:
        await _log_done(update, context)
    else:
        await _next_log(update, context, state, data.int_arg(0))


async def _leave_without_reason(p: Press) -> None:
    update, context, person, query = p.update, p.context, p.person, p.query
    talk = await conversation.current(update, context)
    if talk is None or talk.state != PatrolState.LEAVE_REASON:
        await stale_button(update, context)
        return
    await query.answer()
    await _save_leave(update, context, person, talk, None)


async def _decline_leave(p: Press) -> None:
    context, person, data, query = p.context, p.person, p.data, p.query
    patrol = context.services.patrol
    notifier = _notifier(context)
    leave = await patrol.decline_leave(person, data.int_arg(0))
    await query.answer()
    await show(query, context.t("patrol.leave_declined", start=leave.start_day.isoformat()))
    await notifier.to_person(
        leave.person_id,
        "patrol.leave_declined_to_member",
        start=leave.start_day.isoformat(),
        end=leave.end_day.isoformat(),
        officer=person.name,
    )


async def _ask_swap(p: Press) -> None:
    update, context, person, data, query = p.update, p.context, p.person, p.data, p.query
    patrol = context.services.patrol
    a = await patrol.repo.assignment(data.int_arg(0))
    if a is None or a.member_id != person.id:
        raise DomainError("not_allowed")
    others = [
        p
        for p in await context.services.people.repo.in_office(a.office_id, active_only=True)
        if p.role is Role.MEMBER and p.id != person.id
    ]
    buttons = [
        InlineKeyboardButton(p.name, callback_data=callbacks.encode(FEATURE, "swapto", a.id, p.id))
        for p in others
    ]
    await query.answer()
    await context.reply(
        update, "patrol.ask_swap_with", reply_markup=InlineKeyboardMarkup(button_rows(buttons))
    )


async def _request_swap(p: Press) -> None:
    context, person, data, query = p.context, p.person, p.data, p.query
    patrol = context.services.patrol
    notifier = _notifier(context)
    a_id, other_id = data.int_arg(0), data.int_arg(1)
    swap_id = await patrol.request_swap(person, a_id, other_id)
    a = await patrol.repo.assignment(a_id)
    assert a is not None
    _m, _o, area = await notifier.names(a)
    await query.answer()
    await show(query, context.t("patrol.swap_asked"))
    other = await context.services.people.get(other_id)
    locale = notifier.locale(other)
    keyboard = {
        "inline_keyboard": [
            [
                notifier.button(locale, "patrol.btn_accept", "swyes", swap_id),
                notifier.button(locale, "patrol.btn_refuse", "swno", swap_id),
            ]
        ]
    }
    await notifier.to_person(
        other_id,
        "patrol.swap_request",
        name=person.name,
        day=a.day.isoformat(),
        area=area,
        hours=notifier.hhmm(a),
        _keyboard=keyboard,
    )


async def _answer_swap(p: Press) -> None:
    context, person, data, query = p.context, p.person, p.data, p.query
    patrol = context.services.patrol
    notifier = _notifier(context)
    action = data.action
    swap, a = await patrol.answer_swap(person, data.int_arg(0), accept=action == "swyes")
    await query.answer()
    accepted = swap["status"] == "accepted"
    await show(query, context.t("patrol.swap_accepted" if accepted else "patrol.swap_refused"))
    asker = await context.services.people.get(swap["from_member"])
    await notifier.to_person(
        swap["from_member"],
        "patrol.swap_answer_yes" if accepted else "patrol.swap_answer_no",
        name=person.name,
    )
    if accepted and a.officer_id is not None:
        officer = await context.services.people.get(a.officer_id)
        locale = notifier.locale(officer)
        keyboard = {
            "inline_keyboard": [[notifier.button(locale, "patrol.btn_veto", "veto", swap["id"])]]
        }
        _m, _o, area = await notifier.names(a)
        await notifier.to_person(
            a.officer_id,
            "patrol.swap_to_officer",
            first=asker.name if asker else "?",
            second=person.name,
            day=a.day.isoformat(),
            area=area,
            _keyboard=keyboard,
        )


async def _veto_swap(p: Press) -> None:
    context, person, data, query = p.context, p.person, p.data, p.query
    patrol = context.services.patrol
    notifier = _notifier(context)
    swap, _a = await patrol.veto_swap(person, data.int_arg(0))
    await query.answer()
    await show(query, context.t("patrol.swap_vetoed"))
    for member_id in (swap["from_member"], swap["to_member"]):
        await notifier.to_person(member_id, "patrol.swap_vetoed_to_member", officer=person.name)


async def _ask_replacement(p: Press) -> None:
    update, context, person, data, query = p.update, p.context, p.person, p.data, p.query
    patrol = context.services.patrol
    a = await patrol.editable(person, data.int_arg(0))
    busy = {x.member_id for x in await patrol.repo.assignments(a.office_id, a.day)}
    candidates = [
        m for m in await patrol.members_for(a.office_id, a.day) if m.available and m.id not in busy
    ]
    buttons = []
    for m in candidates:
        member = await context.services.people.get(m.id)
        if member is not None:
            buttons.append(
                InlineKeyboardButton(
                    member.name, callback_data=callbacks.encode(FEATURE, "repto", a.id, m.id)
                )
            )
    await query.answer()
    key = "patrol.ask_replacement" if buttons else "patrol.no_replacement"
    await context.reply(update, key, reply_markup=InlineKeyboardMarkup(button_rows(buttons)))


async def _replace(p: Press) -> None:
    context, person, data, query = p.context, p.person, p.data, p.query
    patrol = context.services.patrol
    change = await patrol.replace(person, data.int_arg(0), data.int_arg(1))
    await query.answer()
    assert change.new is not None
    await show(query, context.t("patrol.replaced"))
    await after_change(_jobs(context), change.old, change.new)


async def _ask_exchange(p: Press) -> None:
    update, context, person, data, query = p.update, p.context, p.person, p.data, p.query
    patrol = context.services.patrol
    notifier = _notifier(context)
    a = await patrol.editable(person, data.int_arg(0))
    slots = [x for x in await patrol.repo.assignments(a.office_id, a.day) if x.id != a.id]
    buttons = []
    for x in slots:
        member_name, _officer, area = await notifier.names(x)
        buttons.append(
            InlineKeyboardButton(
                f"{member_name} · {area} {notifier.hhmm(x)}",
                callback_data=callbacks.encode(FEATURE, "exto", a.id, x.id),
            )
        )
    await query.answer()
    await context.reply(
        update,
        "patrol.ask_exchange",
        reply_markup=InlineKeyboardMarkup(button_rows(buttons, 1)),
    )


async def _exchange(p: Press) -> None:
    context, person, data, query = p.context, p.person, p.data, p.query
    patrol = context.services.patrol
    notifier = _notifier(context)
    first, second = await patrol.exchange(person, data.int_arg(0), data.int_arg(1))
    await query.answer()
    await show(query, context.t("patrol.exchanged"))
    if await patrol.is_published(first.office_id, first.day):
        for a in (first, second):
            await notifier.change(a.member_id, "patrol.slot_given", a)
            await _jobs(context).schedule(a)  # the reminder goes to the new holder


ACTIONS: dict[str, Action] = {
    "in": _check_in,
    "report": _report,
    "logskip": _log_step,
    "logdone": _log_step,
    "leaveskip": _leave_without_reason,
    "decline": _decline_leave,
    "swap": _ask_swap,
    "swapto": _request_swap,
    "swyes": _answer_swap,
    "swno": _answer_swap,
    "veto": _veto_swap,
    "rep": _ask_replacement,
    "repto": _replace,
    "ex": _ask_exchange,
    "exto": _exchange,
}


patrol_press = actions_handler(ACTIONS, "Every patrol button (see ACTIONS).")


# a message in a patrol conversation: check-in location, patrol log, leave
# (docs/flows/patrol.mmd)
STEPS: dict[PatrolState, StepHandler] = {
    PatrolState.CHECKIN_LOCATION: _take_checkin_location,
    PatrolState.LOG_HOUSEHOLDS: _take_log_number,
    PatrolState.LOG_PUBLICITY: _take_log_number,
    PatrolState.LOG_HAZARDS: _take_log_number,
    PatrolState.LOG_DISPUTES: _take_log_number,
    PatrolState.LOG_NOTE: _take_log_note,
    PatrolState.LEAVE_DATES: _take_leave_dates,
    PatrolState.LEAVE_REASON: _take_leave_reason,
}
