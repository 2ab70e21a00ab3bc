"""/stats and /export: the numbers of a week, a month or a typed range, with a picture, and
the same range as an Excel workbook; and the five zeros a chief records each month.

Who sees what (checked by the service on every press, so forged buttons get nowhere):
officers their office; chiefs and the duty desk their station or one of its offices;
operators any station, office or the whole county. Only chiefs and operators record the five
zeros, and only they get phone numbers in an export.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from handlers import conversation
from handlers.common import Action, Press, actions_handler, board_row, refuse, show
from handlers.context import CustomContext
from handlers.conversation import Conversation, Flow, StepHandler
from handlers.keyboards import button_rows
from locales import N_, Html
from models import callbacks
from models.errors import DomainError
from models.org import Person, Role
from models.rules import can_manage_station
from models.stats import (
    FiveZero,
    Period,
    Scope,
    month_days,
    month_of,
    parse_month,
    parse_range,
    parse_zero_entry,
    period_days,
    previous_month,
)
from scheduler.notices.stats_views import FEATURE, ZERO_NAME, StatsViews

STATS, EXPORT = "s", "x"
HISTORY_MONTHS = 6
PERIOD_NAME = {
    Period.THIS_WEEK: N_("stats.period.this_week"),
    Period.LAST_WEEK: N_("stats.period.last_week"),
    Period.THIS_MONTH: N_("stats.period.this_month"),
    Period.LAST_MONTH: N_("stats.period.last_month"),
}


class StatsState(StrEnum):
    RANGE = "stats:range"
    ZERO = "stats:zero"


def _views(context: CustomContext) -> StatsViews:
    views = context.app.stats_views
    return views


def encode_scope(scope: Scope) -> str:
    if scope.office_id is not None:
        return f"o{scope.office_id}"
    if scope.station_id is not None:
        return f"s{scope.station_id}"
    return "c"


async def decode_scope(context: CustomContext, person: Person, text: str) -> Scope:
    """A scope from button data, checked against what `person` may see."""
    stats = context.services.stats
    if text == "c":
        if person.role is not Role.OPERATOR:
            raise DomainError("not_allowed")
        return await stats.scope_for(person)
    if text[:1] == "s":
        return await stats.scope_for(person, station_id=int(text[1:]))
    if text[:1] == "o":
        return await stats.scope_for(person, office_id=int(text[1:]))
    raise ValueError(text)


def _b(context: CustomContext, key: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        context.label(key), callback_data=callbacks.encode(FEATURE, action, *args)
    )


async def stats_command(update: Update, context: CustomContext) -> None:
    """/stats: the numbers of a period for the person's office, station or county."""
    await _open(update, context, STATS)


async def export_command(update: Update, context: CustomContext) -> None:
    """/export: a period's reports, backup requests and patrols as an Excel workbook."""
    await _open(update, context, EXPORT)


async def _open(update: Update, context: CustomContext, mode: str) -> None:
    person = context.person
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        await context.reply(update, "fallback.private_only")
        return
    if person is None or not person.role.is_staff:
        await refuse(update, context)
        return
    scope = await context.services.stats.scope_for(person)
    text, markup = await _menu(context, person, mode, scope)
    await context.reply(update, "stats.wrap", body=text, reply_markup=markup)


async def _menu(
    context: CustomContext, person: Person, mode: str, scope: Scope
) -> tuple[Html, InlineKeyboardMarkup]:
    """The period buttons for a scope, and the scopes the person may switch to."""
    title = await _views(context).scope_title(context.locale, scope)
    key = "stats.menu" if mode == STATS else "export.menu"
    here = encode_scope(scope)
    rows = [
        [_b(context, PERIOD_NAME[p], "p", mode, here, p.value) for p in Period][:2],
        [_b(context, PERIOD_NAME[p], "p", mode, here, p.value) for p in Period][2:],
        [_b(context, "stats.btn_custom", "r", mode, here)],
    ]
    choices: list[tuple[str, Scope]] = []
    org = context.services.org.repo
    if person.role is Role.OPERATOR:
        choices.append((context.label("stats.county"), Scope()))
        if scope.station_id is None:
            choices += [(s.name, Scope(s.id)) for s in await org.stations()]
    if person.role is not Role.OFFICER and scope.station_id is not None:
        station = await org.station(scope.station_id)
        if station is not None:
            choices.append((station.name, Scope(station.id)))
        offices = await org.offices(scope.station_id)
        choices += [(o.name, Scope(scope.station_id, o.id)) for o in offices]
    buttons = [
        InlineKeyboardButton(
            ("✅ " if encode_scope(choice) == here else "") + name,
            callback_data=callbacks.encode(FEATURE, "m", mode, encode_scope(choice)),
        )
        for name, choice in choices
    ]
    rows += button_rows(buttons)
    if mode == STATS and scope.station_id is not None and person.role is not Role.OFFICER:
        month = month_of(context.services.stats.today())
        rows.append([_b(context, "zero.btn", "z", scope.station_id, month)])
    rows += board_row(context, person)
    return context.t(key, scope=title), InlineKeyboardMarkup(rows)


async def _private_only(p: Press) -> None:
    """Every /stats and /export button's first rule: figures never go to a group."""
    if not p.private:
        raise DomainError("not_allowed")


async def _mode_scope(p: Press) -> tuple[str, Scope]:
    """The mode (stats or export) and the scope of a press, checked again on each press."""
    mode = p.data.args[0]
    if mode not in (STATS, EXPORT):
        raise ValueError(mode)
    return mode, await decode_scope(p.context, p.person, p.data.args[1])


async def _switch_scope(p: Press) -> None:
    mode, scope = await _mode_scope(p)
    text, markup = await _menu(p.context, p.person, mode, scope)
    await p.query.answer()
    await show(p.query, p.context.t("stats.wrap", body=text), markup)


async def _ask_range(p: Press) -> None:
    mode, _ = await _mode_scope(p)
    await conversation.save(
        p.update,
        p.context,
        Flow.STATS,
        StatsState.RANGE,
        {"mode": mode, "scope": p.data.args[1]},
    )
    await p.query.answer()
    await p.context.reply(p.update, "stats.ask_range")


async def _period(p: Press) -> None:
    mode, scope = await _mode_scope(p)
    first, last = period_days(Period(p.data.args[2]), p.context.services.stats.today())
    await p.query.answer()
    await _produce(p.update, p.context, p.person, mode, scope, first, last)


async def _zeros(p: Press) -> None:
    station_id, month = p.data.int_arg(0), p.data.args[1]
    await _check_zero_rights(p.context, p.person, station_id, month, write=False)
    await p.query.answer()
    await _show_zeros(p.update, p.context, p.person, station_id, month, edit=True)


async def _record_zero(p: Press) -> None:
    context = p.context
    station_id, month, item = p.data.int_arg(0), p.data.args[1], FiveZero(p.data.args[2])
    await _check_zero_rights(context, p.person, station_id, month, write=True)
    await conversation.save(
        p.update,
        context,
        Flow.STATS,
        StatsState.ZERO,
        {"station": station_id, "month": month, "item": item.value},
    )
    await p.query.answer()
    await context.reply(
        p.update,
        "zero.ask",
        name=context.label(ZERO_NAME[item]),
        month=_views(context).month_name(context.locale, month_days(month)[0]),
    )
    known = (await context.services.stats.zeros(station_id, [month]))[month][item.value]
    if known.known is not None:  # what the bot counted, offered as the answer
        await context.reply(p.update, "zero.ask_known", n=known.known)


ACTIONS: dict[str, Action] = {
    "m": _switch_scope,
    "p": _period,
    "r": _ask_range,
    "z": _zeros,
    "zr": _record_zero,
}


async def _produce(
    update: Update,
    context: CustomContext,
    person: Person,
    mode: str,
    scope: Scope,
    first: date,
    last: date,
) -> None:
    views = _views(context)
    chat = update.effective_chat
    assert chat is not None
    # the figures (or the workbook) are read and sent by the outbox sender: a year of a
    # county is a long read, and nobody's update — a backup call — waits for it
    await views.ask(chat.id, context.locale, mode, scope, first, last, person)


async def _typed(update: Update, context: CustomContext) -> tuple[Person, str] | None:
    """What both steps take: the person (gone: the conversation ends) and a text."""
    message = update.effective_message
    person = context.person
    assert message is not None
    if person is None:
        await conversation.end(update, context)
        return None
    if not message.text:
        await context.reply(update, "stats.text_expected")
        return None
    return person, message.text


async def _refused(update: Update, context: CustomContext, error: DomainError) -> None:
    if error.code == "not_allowed":
        await conversation.end(update, context)
    await context.reply(update, error.message_key, **error.params)


async def _take_range(update: Update, context: CustomContext, talk: Conversation) -> None:
    """A typed range of dates for a report or an export."""
    typed = await _typed(update, context)
    if typed is None:
        return
    person, text = typed
    try:
        first, last = parse_range(text, context.services.stats.today())
        scope = await decode_scope(context, person, str(talk.data["scope"]))
    except DomainError as error:
        await _refused(update, context, error)
        return
    await conversation.end(update, context)
    await _produce(update, context, person, str(talk.data["mode"]), scope, first, last)


async def _take_zero(update: Update, context: CustomContext, talk: Conversation) -> None:
    """A five-zeros count and note."""
    typed = await _typed(update, context)
    if typed is None:
        return
    person, text = typed
    try:
        count, note = parse_zero_entry(text)
        station_id, month = int(talk.data["station"]), str(talk.data["month"])
        await context.services.stats.record_zero(
            person, station_id, month, FiveZero(talk.data["item"]), count, note
        )
    except DomainError as error:
        await _refused(update, context, error)
        return
    await conversation.end(update, context)
    await context.reply(update, "zero.saved")
    await _show_zeros(update, context, person, station_id, month, edit=False)


async def _check_zero_rights(
    context: CustomContext, person: Person, station_id: int, month: str, write: bool
) -> None:
    today = context.services.stats.today()
    first, _ = month_days(parse_month(month, today))  # forged: ValueError, "no longer valid"
    if first > today:
        raise DomainError("zero_month_future")
    if write:
        station = await context.services.org.repo.station(station_id)
        if station is None or not can_manage_station(person, station_id):
            raise DomainError("not_allowed")
        return
    scope = await context.services.stats.scope_for(person, station_id=station_id)
    if scope.office_id is not None:  # officers see their office only, not the station's zeros
        raise DomainError("not_allowed")


async def _show_zeros(
    update: Update,
    context: CustomContext,
    person: Person,
    station_id: int,
    month: str,
    edit: bool,
) -> None:
    """A month's five zeros (buttons to record each, for the chief), and the history."""
    views = _views(context)
    months = [month]
    for _ in range(HISTORY_MONTHS - 1):
        months.append(previous_month(months[-1]))
    entries = await context.services.stats.zeros(station_id, months)
    station = await context.services.org.repo.station(station_id)
    locale = context.locale
    lines = [
        str(
            context.t(
                "zero.title",
                station=station.name if station else "",
                month=views.month_name(locale, month_days(month)[0]),
            )
        ),
        *views.zeros_month(locale, month, entries[month]),
        "",
        str(context.t("zero.history")),
        *(views.zeros_summary(locale, m, entries[m]) for m in months[1:]),
    ]
    rows: list[list[InlineKeyboardButton]] = []
    if can_manage_station(person, station_id):
        rows += button_rows(
            [
                InlineKeyboardButton(
                    "✏️ " + context.label(ZERO_NAME[item]),
                    callback_data=callbacks.encode(FEATURE, "zr", station_id, month, item.value),
                )
                for item in FiveZero
            ]
        )
    navigation = [_b(context, "zero.btn_previous", "z", station_id, previous_month(month))]
    this_month = month_of(context.services.stats.today())
    if month != this_month:
        navigation.append(_b(context, "zero.btn_this_month", "z", station_id, this_month))
    rows.append(navigation)
    text = Html("\n".join(lines))
    markup = InlineKeyboardMarkup(rows)
    query = update.callback_query
    if edit and query is not None:
        await show(query, text, markup)
    else:
        await context.reply(update, "stats.wrap", body=text, reply_markup=markup)


on_press = actions_handler(
    ACTIONS,
    "Every /stats and /export button; the scope is checked again on each press.",
    guard=_private_only,
)


# a typed range, or a five-zeros count and note (docs/flows/stats.mmd)
STEPS: dict[StatsState, StepHandler] = {
    StatsState.RANGE: _take_range,
    StatsState.ZERO: _take_zero,
}
