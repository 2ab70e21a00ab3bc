"""/areas: operators manage stations; chiefs manage the offices and places of their station."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers import conversation, labels
from handlers.common import Action, Press, View, actions_handler, refuse, showing
from handlers.context import CustomContext
from handlers.conversation import Conversation, Flow, StepHandler
from handlers.keyboards import button_rows
from locales import Html
from models import callbacks
from models.errors import DomainError
from models.org import Person, PlaceKind, Role
from models.rules import can_manage_station

FEATURE = "area"
KIND_ICON = {PlaceKind.VILLAGE: "🏘", PlaceKind.PATROL_AREA: "🚶", PlaceKind.HOT_SPOT: "🔥"}


class AreasState(StrEnum):
    ADD_STATION = "areas:add_station"
    RENAME_STATION = "areas:rename_station"
    ADD_OFFICE = "areas:add_office"
    RENAME_OFFICE = "areas:rename_office"
    LOCATE_OFFICE = "areas:locate_office"
    ADD_PLACE = "areas:add_place"
    LOCATE_PLACE = "areas:locate_place"


# Which button starts which text/location input, and the prompt it shows.
PROMPTS: dict[str, tuple[AreasState, str]] = {
    "addst": (AreasState.ADD_STATION, "areas.ask_station_name"),
    "renst": (AreasState.RENAME_STATION, "areas.ask_station_name"),
    "addof": (AreasState.ADD_OFFICE, "areas.ask_office_name"),
    "renof": (AreasState.RENAME_OFFICE, "areas.ask_office_name"),
    "locof": (AreasState.LOCATE_OFFICE, "areas.ask_location"),
    "addpl": (AreasState.ADD_PLACE, "areas.ask_place_name"),
    "locpl": (AreasState.LOCATE_PLACE, "areas.ask_location"),
}


async def areas_command(update: Update, context: CustomContext) -> None:
    """/areas: the operator's stations, or the chief's station."""
    person = context.person
    if person is None or person.role not in (Role.OPERATOR, Role.CHIEF):
        await refuse(update, context)
        return
    if person.role is Role.OPERATOR:
        text, markup = await _stations_view(context, person)
    else:
        assert person.station_id is not None
        text, markup = await _station_view(context, person, person.station_id)
    await context.reply(update, "areas.wrap", body=text, reply_markup=markup)


async def _take_location(update: Update, context: CustomContext, talk: Conversation) -> None:
    """The location asked for by a "locate" button (an office's or a place's)."""
    person = context.person
    message = update.effective_message
    assert person is not None and message is not None
    state = AreasState(talk.state)
    target = int(talk.data["target"])
    org = context.services.org
    if message.location is None:
        await context.reply(update, "areas.location_needed")
        return
    lat, lon = message.location.latitude, message.location.longitude
    if state is AreasState.LOCATE_OFFICE:
        await org.locate_office(person, target, lat, lon)
    else:
        await org.locate_place(person, target, lat, lon)
    await _saved(update, context, person, state, target)


async def _take_name(update: Update, context: CustomContext, talk: Conversation) -> None:
    """The name asked for by an "add" or "rename" button."""
    person = context.person
    message = update.effective_message
    assert person is not None and message is not None
    state = AreasState(talk.state)
    target = int(talk.data["target"])
    if not message.text:
        await context.reply(update, "areas.name_as_text")
        return
    try:
        await _apply_name(context, person, state, target, message.text)
    except DomainError as error:
        if error.code == "not_allowed":
            raise
        await context.reply(update, error.message_key, **error.params)
        return
    await _saved(update, context, person, state, target)


async def _saved(
    update: Update, context: CustomContext, person: Person, state: AreasState, target: int
) -> None:
    await conversation.end(update, context)
    text, markup = await _view_after(context, person, state, target)
    await context.reply(update, "areas.saved", body=text, reply_markup=markup)


async def _apply_name(
    context: CustomContext, person: Person, state: AreasState, target: int, text: str
) -> None:
    org = context.services.org
    if state is AreasState.ADD_STATION:
        await org.add_station(person, text)
    elif state is AreasState.RENAME_STATION:
        await org.rename_station(person, target, text)
    elif state is AreasState.ADD_OFFICE:
        await org.add_office(person, target, text)
    elif state is AreasState.RENAME_OFFICE:
        await org.rename_office(person, target, text)
    elif state is AreasState.ADD_PLACE:
        await org.add_place(person, target, text, {PlaceKind.VILLAGE})


async def _view_after(
    context: CustomContext, person: Person, state: AreasState, target: int
) -> View:
    if state is AreasState.ADD_STATION:
        return await _stations_view(context, person)
    if state is AreasState.RENAME_STATION or state is AreasState.ADD_OFFICE:
        return await _station_view(context, person, target)
    if state is AreasState.LOCATE_PLACE:
        return await _place_view(context, person, target)
    return await _office_view(context, person, target)


async def _start_prompt(
    update: Update, context: CustomContext, person: Person, data: callbacks.Callback
) -> None:
    state, prompt = PROMPTS[data.action]
    target = 0 if state is AreasState.ADD_STATION else data.int_arg(0)
    # Check the right before asking, so nobody types a name only to be refused.
    org = context.services.org
    if state is AreasState.ADD_STATION or state is AreasState.RENAME_STATION:
        if person.role is not Role.OPERATOR:
            raise DomainError("not_allowed")
    elif state is AreasState.ADD_OFFICE:
        if not can_manage_station(person, target):
            raise DomainError("not_allowed")
    elif state is AreasState.LOCATE_PLACE:
        await org.place_for(person, target)
    else:
        await org.office_for(person, target)
    await conversation.save(update, context, Flow.AREAS, state, {"target": target})
    await context.reply(update, prompt)


async def _prompt(p: Press) -> None:
    """A button asking for a name or a location (PROMPTS)."""
    await _start_prompt(p.update, p.context, p.person, p.data)
    await p.query.answer()


def _showing(make: Callable[[Press], Awaitable[View]]) -> Action:
    """A button whose answer is a view, shown in place of the menu."""
    return showing("areas.wrap", make)


async def _stations(p: Press) -> View:
    return await _stations_view(p.context, p.person)


async def _station(p: Press) -> View:
    return await _station_view(p.context, p.person, p.data.int_arg(0))


async def _office(p: Press) -> View:
    return await _office_view(p.context, p.person, p.data.int_arg(0))


async def _place(p: Press) -> View:
    return await _place_view(p.context, p.person, p.data.int_arg(0))


async def _toggle_kind(p: Press) -> View:
    org = p.context.services.org
    place = await org.toggle_place_kind(p.person, p.data.int_arg(0), PlaceKind(p.data.args[1]))
    return await _place_view(p.context, p.person, place.id)


async def _toggle_shift(p: Press) -> View:
    org, person = p.context.services.org, p.person
    place = await org.place_for(person, p.data.int_arg(0))
    shift = p.data.int_arg(1)
    shifts = set(place.shifts) ^ {shift}
    place = await org.set_patrol(person, place.id, tuple(shifts), place.patrol_need)
    return await _place_view(p.context, person, place.id)


async def _need(p: Press) -> View:
    org, person = p.context.services.org, p.person
    place = await org.place_for(person, p.data.int_arg(0))
    need = place.patrol_need + (1 if p.data.choice(1, ("+", "-")) == "+" else -1)
    await org.set_patrol(person, place.id, place.shifts, need)
    return await _place_view(p.context, person, place.id)


async def _remove_place(p: Press) -> View:
    org, person = p.context.services.org, p.person
    place = await org.place_for(person, p.data.int_arg(0))
    await org.remove_place(person, place.id)
    return await _office_view(p.context, person, place.office_id)


ACTIONS: dict[str, Action] = {
    **dict.fromkeys(PROMPTS, _prompt),
    "list": _showing(_stations),
    "st": _showing(_station),
    "of": _showing(_office),
    "pl": _showing(_place),
    "kind": _showing(_toggle_kind),
    "shift": _showing(_toggle_shift),
    "need": _showing(_need),
    "rmpl": _showing(_remove_place),
}
areas_press = actions_handler(
    ACTIONS, "Every /areas button; rights are checked again by the services (see ACTIONS)."
)


def _button(context: CustomContext, key: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        context.label(key), callback_data=callbacks.encode(FEATURE, action, *args)
    )


async def _stations_view(context: CustomContext, person: Person) -> View:
    if person.role is not Role.OPERATOR:
        raise DomainError("not_allowed")
    stations = await context.services.org.repo.stations()
    buttons = [
        InlineKeyboardButton(s.name, callback_data=callbacks.encode(FEATURE, "st", s.id))
        for s in stations
    ]
    buttons.append(_button(context, "areas.btn_add_station", "addst"))
    key = "areas.stations" if stations else "areas.no_stations"
    return context.t(key, count=len(stations)), InlineKeyboardMarkup(button_rows(buttons))


async def _station_view(context: CustomContext, person: Person, station_id: int) -> View:
    repo = context.services.org.repo
    station = await repo.station(station_id)
    if station is None or not can_manage_station(person, station_id):
        raise DomainError("not_allowed")
    offices = await repo.offices(station_id)
    lines = [context.t("areas.station_title", station=station.name)]
    for office in offices:
        places = await repo.places(office.id)
        lines.append(context.t("areas.office_line", office=office.name, count=len(places)))
    if not offices:
        lines.append(context.t("areas.no_offices"))
    buttons = [
        InlineKeyboardButton(o.name, callback_data=callbacks.encode(FEATURE, "of", o.id))
        for o in offices
    ]
    rows = button_rows(buttons)
    rows.append([_button(context, "areas.btn_add_office", "addof", station_id)])
    if person.role is Role.OPERATOR:
        rows[-1].append(_button(context, "areas.btn_rename", "renst", station_id))
        rows.append([_button(context, "areas.btn_back", "list")])
    return Html("\n".join(lines)), InlineKeyboardMarkup(rows)


async def _office_view(context: CustomContext, person: Person, office_id: int) -> View:
    org = context.services.org
    office = await org.office_for(person, office_id)
    places = await org.repo.places(office_id)
    located = (
        f"{office.latitude:.5f}, {office.longitude:.5f}"
        if office.latitude is not None and office.longitude is not None
        else "—"
    )
    lines: list[str] = [context.t("areas.office_title", office=office.name, location=located)]
    for place in places:
        icons = "".join(icon for kind, icon in KIND_ICON.items() if place.has_kind(kind))
        lines.append(f"{icons or '·'} {html.escape(place.name, quote=False)}")
    if not places:
        lines.append(context.t("areas.no_places"))
    lines.append(context.t("areas.legend"))
    buttons = [
        InlineKeyboardButton(p.name, callback_data=callbacks.encode(FEATURE, "pl", p.id))
        for p in places
    ]
    rows = button_rows(buttons, 3)
    rows.append(
        [
            _button(context, "areas.btn_add_place", "addpl", office_id),
            _button(context, "areas.btn_locate", "locof", office_id),
        ]
    )
    rows.append(
        [
            _button(context, "areas.btn_rename", "renof", office_id),
            _button(context, "areas.btn_back", "st", office.station_id),
        ]
    )
    return Html("\n".join(lines)), InlineKeyboardMarkup(rows)


async def _place_view(context: CustomContext, person: Person, place_id: int) -> View:
    place = await context.services.org.place_for(person, place_id)
    kinds = [
        InlineKeyboardButton(
            ("✅ " if place.has_kind(kind) else "▫️ ") + context.label(labels.PLACE_KIND[kind]),
            callback_data=callbacks.encode(FEATURE, "kind", place.id, kind.value),
        )
        for kind in PlaceKind
    ]
    rows = [kinds]
    text = context.t("areas.place_title", place=place.name)
    if place.is_patrol_area:
        office = await context.services.org.repo.office(place.office_id)
        shifts = await context.services.patrol.shifts(office.station_id) if office else ()
        rows.append(
            [
                InlineKeyboardButton(
                    ("✅ " if index in place.shifts else "▫️ ") + f"{a:%H:%M}–{b:%H:%M}",
                    callback_data=callbacks.encode(FEATURE, "shift", place.id, index),
                )
                for index, (a, b) in enumerate(shifts)
            ]
        )
        rows.append(
            [
                InlineKeyboardButton(
                    "➖", callback_data=callbacks.encode(FEATURE, "need", place.id, "-")
                ),
                InlineKeyboardButton(
                    context.label("areas.need").format(need=place.patrol_need),
                    callback_data=callbacks.encode(FEATURE, "pl", place.id),
                ),
                InlineKeyboardButton(
                    "➕", callback_data=callbacks.encode(FEATURE, "need", place.id, "+")
                ),
            ]
        )
        text = Html(text + "\n" + context.t("areas.patrol_hint"))
    rows.append(
        [
            _button(context, "areas.btn_locate", "locpl", place.id),
            _button(context, "areas.btn_remove", "rmpl", place.id),
        ]
    )
    rows.append([_button(context, "areas.btn_back", "of", place.office_id)])
    return text, InlineKeyboardMarkup(rows)


# the name or location asked for by an /areas button (docs/flows/areas.mmd)
STEPS: dict[AreasState, StepHandler] = {
    AreasState.ADD_STATION: _take_name,
    AreasState.RENAME_STATION: _take_name,
    AreasState.ADD_OFFICE: _take_name,
    AreasState.RENAME_OFFICE: _take_name,
    AreasState.LOCATE_OFFICE: _take_location,
    AreasState.ADD_PLACE: _take_name,
    AreasState.LOCATE_PLACE: _take_location,
}
