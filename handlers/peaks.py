"""/peaks: the next 90 days of holidays and peak periods with their hot spots (provisional
ones marked); chiefs add, re-date and remove their station's periods; operators load the
official holiday schedule once the State Council publishes it."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import date
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers import conversation
from handlers.common import Action, Press, StalePress, actions_handler, refuse, show
from handlers.context import CustomContext
from handlers.conversation import Conversation, Flow, StepHandler
from handlers.keyboards import button_rows
from locales import Html
from models import callbacks
from models.calendar import Holiday, HolidayKey, Level
from models.errors import DomainError
from models.org import Person, Role
from models.patrol import parse_leave
from models.rules import can_manage_station
from models.services.org import clean_name
from models.services.peaks import horizon
from scheduler.peaks import HOLIDAY_NAME, LEVEL_NAME, PeakJobs

FEATURE = "pk"


class PeaksState(StrEnum):
    NAME = "peaks:name"
    DATES = "peaks:dates"
    LEVEL = "peaks:level"
    HOT_SPOTS = "peaks:hot_spots"
    REDATE = "peaks:redate"
    IMPORT = "peaks:import"


def _jobs(context: CustomContext) -> PeakJobs:
    return context.app.peak_jobs


def _b(context: CustomContext, key: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        context.label(key), callback_data=callbacks.encode(FEATURE, action, *args)
    )


async def peaks_command(update: Update, context: CustomContext) -> None:
    """/peaks: the coming holidays and peak periods of the person's station."""
    person = context.person
    if person is None or not person.role.is_staff:
        await refuse(update, context)
        return
    if person.role is Role.OPERATOR:
        stations = await context.services.org.stations_for(person)
        buttons = [
            InlineKeyboardButton(s.name, callback_data=callbacks.encode(FEATURE, "st", s.id))
            for s in stations
        ]
        rows = button_rows(buttons)
        rows.append([_b(context, "peak.btn_import", "import")])
        await context.reply(update, "peak.choose_station", reply_markup=InlineKeyboardMarkup(rows))
        return
    assert person.station_id is not None
    text, markup = await _view(context, person, person.station_id)
    await context.reply(update, "peak.wrap", body=text, reply_markup=markup)


async def _view(
    context: CustomContext, person: Person, station_id: int
) -> tuple[Html, InlineKeyboardMarkup | None]:
    today = context.services.patrol.today()
    first, last = horizon(today)
    peaks = await context.services.peaks.peaks(station_id, first, last)
    jobs = _jobs(context)
    lines = [context.t("peak.title")]
    for peak in peaks:
        lines.append(context.t("peak.line", **await jobs.describe(context.locale, peak)))
    if not peaks:
        lines.append(context.t("peak.none"))
    rows: list[list[InlineKeyboardButton]] = []
    if can_manage_station(person, station_id):
        for peak in peaks:
            if peak.period_id is None:
                continue
            rows.append(
                [
                    InlineKeyboardButton(
                        f"✏️ {peak.name}",
                        callback_data=callbacks.encode(FEATURE, "redate", peak.period_id),
                    ),
                    InlineKeyboardButton(
                        f"🗑 {peak.name}",
                        callback_data=callbacks.encode(FEATURE, "rm", peak.period_id),
                    ),
                ]
            )
        rows.append([_b(context, "peak.btn_add", "add", station_id)])
    return Html("\n".join(lines)), InlineKeyboardMarkup(rows) if rows else None


async def _station(p: Press) -> None:
    """A station's peaks (operators)."""
    if p.person.role is not Role.OPERATOR:
        raise DomainError("not_allowed")
    text, markup = await _view(p.context, p.person, p.data.int_arg(0))
    await p.query.answer()
    await show(p.query, p.context.t("peak.wrap", body=text), markup)


async def _import(p: Press) -> None:
    """Load the official holidays: ask for them (operators)."""
    if p.person.role is not Role.OPERATOR:
        raise DomainError("not_allowed")
    await conversation.save(p.update, p.context, Flow.PEAKS, PeaksState.IMPORT, {})
    await p.query.answer()
    await p.context.reply(p.update, "peak.ask_import")


# The official schedule: an import changes only the holidays it names; making a year exactly
# what was loaded (removing the others) is a separate choice, shown and confirmed first.


def _keys_code(keys: Collection[HolidayKey]) -> str:
    """Holidays in a button's data: their places in HolidayKey, e.g. "3.4"."""
    order = list(HolidayKey)
    return ".".join(str(order.index(k)) for k in sorted(keys, key=order.index))


def _keys_of(code: str) -> set[HolidayKey]:
    order = list(HolidayKey)
    return {order[int(i)] for i in code.split(".")}  # (forged: ValueError / IndexError)


def _holiday_names(context: CustomContext, holidays: Sequence[Holiday]) -> str:
    provisional = context.label("peak.provisional_short")
    return "、".join(
        context.label(HOLIDAY_NAME[h.key]) + (provisional if h.provisional else "")
        for h in holidays
    )


async def _imported(
    update: Update, context: CustomContext, years: dict[int, list[HolidayKey]]
) -> None:
    """What was loaded, per year, and what of that year was left as it was — with, for a
    year that has others, the choice to keep only what was loaded."""
    lines, rows = [], []
    for year, keys in sorted(years.items()):
        names = "、".join(context.label(HOLIDAY_NAME[k]) for k in keys)
        lines.append(str(context.t("peak.imported_year", year=year, names=names)))
        others = [h for h in await context.services.peaks.year_holidays(year) if h.key not in keys]
        if others:
            names = _holiday_names(context, others)
            lines.append(str(context.t("peak.imported_others", year=year, names=names)))
            label = html.unescape(context.t("peak.btn_replace_year", year=year, count=len(others)))
            data = callbacks.encode(FEATURE, "rpl", year, _keys_code(keys))
            rows.append([InlineKeyboardButton(label, callback_data=data)])
    await context.reply(
        update,
        "peak.imported",
        summary=Html("\n".join(lines)),
        reply_markup=InlineKeyboardMarkup(rows) if rows else None,
    )


async def _replace_ask(p: Press) -> None:
    """Keep only what was loaded for a year: first, what would be removed (operators)."""
    if p.person.role is not Role.OPERATOR:
        raise DomainError("not_allowed")
    year, code = p.data.int_arg(0), p.data.args[1]
    keep = _keys_of(code)
    others = [h for h in await p.context.services.peaks.year_holidays(year) if h.key not in keep]
    if not others:
        raise StalePress
    markup = InlineKeyboardMarkup(
        [
            [
                _b(p.context, "peak.btn_replace_confirm", "rplok", year, code),
                _b(p.context, "peak.btn_replace_keep", "rplno", year),
            ]
        ]
    )
    await p.query.answer()
    names = _holiday_names(p.context, others)
    await show(p.query, p.context.t("peak.replace_confirm", year=year, names=names), markup)


async def _replace(p: Press) -> None:
    """Confirmed: the year is exactly what was loaded (the service checks the operator)."""
    year, keep = p.data.int_arg(0), _keys_of(p.data.args[1])
    before = await p.context.services.peaks.year_holidays(year)
    await p.context.services.peaks.replace_year(p.person, year, keep)
    removed = [h for h in before if h.key not in keep]
    await p.query.answer()
    names = _holiday_names(p.context, removed)
    await show(p.query, p.context.t("peak.replaced", year=year, names=names))
    await _jobs(p.context).ensure_alerts()


async def _replace_cancel(p: Press) -> None:
    await p.query.answer()
    await show(p.query, p.context.t("peak.replace_kept", year=p.data.int_arg(0)))


async def _add(p: Press) -> None:
    """Add a peak period to a station with hot spots: ask for its name."""
    station_id = p.data.int_arg(0)
    if not can_manage_station(p.person, station_id):
        raise DomainError("not_allowed")
    if not await p.context.services.peaks.hot_spots(station_id):
        raise DomainError("peak_no_hot_spot")
    await conversation.save(
        p.update, p.context, Flow.PEAKS, PeaksState.NAME, {"station": station_id}
    )
    await p.query.answer()
    await p.context.reply(p.update, "peak.ask_name")


async def _remove(p: Press) -> None:
    await p.context.services.peaks.remove(p.person, p.data.int_arg(0))
    await p.query.answer()
    await show(p.query, p.context.t("peak.removed"))


async def _redate(p: Press) -> None:
    """New dates for a period: ask for them."""
    found = await p.context.services.peaks.repo.get(p.data.int_arg(0))
    if found is None or not can_manage_station(p.person, found[0]):
        raise DomainError("not_allowed")
    await conversation.save(
        p.update, p.context, Flow.PEAKS, PeaksState.REDATE, {"period": p.data.int_arg(0)}
    )
    await p.query.answer()
    await p.context.reply(p.update, "peak.ask_dates")


# a button of the add-a-period conversation: the press and the conversation
Step = Callable[[Press, Conversation], Awaitable[None]]


def _at(state: PeaksState, step: Step) -> Action:
    """A button that belongs to `state` of the conversation; anywhere else it is stale."""

    async def action(p: Press) -> None:
        talk = await conversation.current(p.update, p.context)
        if talk is None or talk.flow is not Flow.PEAKS or talk.state != state:
            raise StalePress("not at this step of a peak period")
        await step(p, talk)

    return action


async def _level(p: Press, talk: Conversation) -> None:
    level = Level(p.data.args[0])
    await conversation.save(
        p.update,
        p.context,
        Flow.PEAKS,
        PeaksState.HOT_SPOTS,
        {**talk.data, "level": level.value, "spots": []},
    )
    await p.query.answer()
    chosen = p.context.t("peak.level_chosen", level=p.context.label(LEVEL_NAME[level]))
    await show(p.query, chosen)
    await _ask_spots(p.update, p.context, int(talk.data["station"]), [])


async def _toggle_spot(p: Press, talk: Conversation) -> None:
    spots = set(talk.data.get("spots", [])) ^ {p.data.int_arg(0)}
    await conversation.save(
        p.update,
        p.context,
        Flow.PEAKS,
        PeaksState.HOT_SPOTS,
        {**talk.data, "spots": sorted(spots)},
    )
    await p.query.answer()
    markup = await _spots_keyboard(p.context, int(talk.data["station"]), sorted(spots))
    await show(p.query, p.context.t("peak.ask_hot_spots"), markup)


async def _spots_done(p: Press, talk: Conversation) -> None:
    """The hot spots chosen (or, after an overlap, keep both periods): save the period."""
    await p.query.answer()
    await _save_period(p.update, p.context, p.person, talk, allow_overlap=p.data.action == "keep")


ACTIONS: dict[str, Action] = {
    "st": _station,
    "import": _import,
    "rpl": _replace_ask,
    "rplok": _replace,
    "rplno": _replace_cancel,
    "add": _add,
    "rm": _remove,
    "redate": _redate,
    "lvl": _at(PeaksState.LEVEL, _level),
    "hs": _at(PeaksState.HOT_SPOTS, _toggle_spot),
    "hsdone": _at(PeaksState.HOT_SPOTS, _spots_done),
    "keep": _at(PeaksState.HOT_SPOTS, _spots_done),
}


async def _ask_spots(
    update: Update, context: CustomContext, station_id: int, chosen: list[int]
) -> None:
    markup = await _spots_keyboard(context, station_id, chosen)
    await context.reply(update, "peak.ask_hot_spots", reply_markup=markup)


async def _spots_keyboard(
    context: CustomContext, station_id: int, chosen: list[int]
) -> InlineKeyboardMarkup:
    buttons = []
    for place_id in await context.services.peaks.hot_spots(station_id):
        place = await context.services.org.repo.place(place_id)
        if place is None:
            continue
        mark = "✅ " if place_id in chosen else "▫️ "
        buttons.append(
            InlineKeyboardButton(
                mark + place.name, callback_data=callbacks.encode(FEATURE, "hs", place_id)
            )
        )
    rows = button_rows(buttons)
    rows.append([_b(context, "peak.btn_done", "hsdone")])
    return InlineKeyboardMarkup(rows)


async def _save_period(
    update: Update, context: CustomContext, person: Person, talk: Conversation, allow_overlap: bool
) -> None:
    data = talk.data
    try:
        await context.services.peaks.add_period(
            person,
            int(data["station"]),
            str(data["name"]),
            date.fromisoformat(data["start"]),
            date.fromisoformat(data["end"]),
            Level(data["level"]),
            [int(s) for s in data.get("spots", [])],
            context.services.patrol.today(),
            allow_overlap=allow_overlap,
        )
    except DomainError as error:
        if error.code == "peak_overlap":
            await context.reply(
                update,
                "peak.overlap",
                name=str(error.params.get("name", "")),
                reply_markup=InlineKeyboardMarkup([[_b(context, "peak.btn_keep_both", "keep")]]),
            )
            return
        if error.code in ("peak_no_hot_spot",):
            await context.reply(update, error.message_key)
            return
        raise
    await conversation.end(update, context)
    await context.reply(update, "peak.saved", name=str(data["name"]))
    await _jobs(context).ensure_alerts()  # a period added late is alerted at once


def _typed(step: StepHandler) -> StepHandler:
    """A typed step: the text asked for, and a refusal answered (the step stays)."""
    answered = conversation.answering_refusals(step)

    async def take(update: Update, context: CustomContext, talk: Conversation) -> None:
        message = update.effective_message
        assert context.person is not None and message is not None
        if not message.text:
            await context.reply(update, "peak.as_text")
            return
        await answered(update, context, talk)

    return take


async def _take_name(update: Update, context: CustomContext, talk: Conversation) -> None:
    message = update.effective_message
    assert message is not None and message.text
    name = clean_name(message.text)
    await conversation.save(
        update, context, Flow.PEAKS, PeaksState.DATES, {**talk.data, "name": name}
    )
    await context.reply(update, "peak.ask_dates")


async def _take_dates(update: Update, context: CustomContext, talk: Conversation) -> None:
    """The dates of a new period, or the new dates of one (REDATE)."""
    person, message = context.person, update.effective_message
    assert person is not None and message is not None and message.text
    today = context.services.patrol.today()
    start, end = parse_leave(message.text, today)
    if (end - start).days + 1 > 31:
        raise DomainError("peak_too_long", limit=31)
    if talk.state == PeaksState.REDATE:
        await context.services.peaks.change_dates(
            person, int(talk.data["period"]), start, end, today
        )
        await conversation.end(update, context)
        await context.reply(update, "peak.redated")
        await _jobs(context).ensure_alerts()
        return
    await conversation.save(
        update,
        context,
        Flow.PEAKS,
        PeaksState.LEVEL,
        {**talk.data, "start": start.isoformat(), "end": end.isoformat()},
    )
    buttons = [_b(context, LEVEL_NAME[level], "lvl", level.value) for level in Level]
    await context.reply(update, "peak.ask_level", reply_markup=InlineKeyboardMarkup([buttons]))


async def _take_import(update: Update, context: CustomContext, talk: Conversation) -> None:
    """The official schedule, pasted."""
    person, message = context.person, update.effective_message
    assert person is not None and message is not None and message.text
    years = await context.services.peaks.load_official(person, message.text)
    await conversation.end(update, context)
    await _imported(update, context, years)
    await _jobs(context).ensure_alerts()


async def _use_buttons(update: Update, context: CustomContext, talk: Conversation) -> None:
    await context.reply(update, "report.use_buttons")


# name, dates, or the official schedule, typed; the other steps are buttons
# (docs/flows/peaks.mmd)
STEPS: dict[PeaksState, StepHandler] = {
    PeaksState.NAME: _typed(_take_name),
    PeaksState.DATES: _typed(_take_dates),
    PeaksState.LEVEL: _typed(_use_buttons),
    PeaksState.HOT_SPOTS: _typed(_use_buttons),
    PeaksState.REDATE: _typed(_take_dates),
    PeaksState.IMPORT: _typed(_take_import),
}


peaks_press = actions_handler(ACTIONS, "Every /peaks button; rights checked again by the service.")
