"""/settings: a chief (or an operator, for any station) views and changes station settings."""

from __future__ import annotations

from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers import conversation
from handlers.common import Action, Press, actions_handler, refuse, show
from handlers.context import CustomContext
from handlers.conversation import Conversation, Flow, StepHandler
from handlers.keyboards import button_rows
from locales import Html
from models import callbacks
from models.errors import DomainError
from models.org import Person, Role
from models.rules import can_manage_station
from models.station_settings import spec_for

FEATURE = "set"

View = tuple[Html, InlineKeyboardMarkup | None]


class SettingsState(StrEnum):
    VALUE = "settings:value"


async def settings_command(update: Update, context: CustomContext) -> None:
    """/settings: the chief's station, or a choice of station for an operator."""
    person = context.person
    if person is None or person.role not in (Role.OPERATOR, Role.CHIEF):
        await refuse(update, context)
        return
    if person.role is Role.CHIEF:
        assert person.station_id is not None
        text, markup = await _settings_view(context, person, person.station_id)
    else:
        stations = await context.services.org.stations_for(person)
        buttons = [
            InlineKeyboardButton(s.name, callback_data=callbacks.encode(FEATURE, "st", s.id))
            for s in stations
        ]
        key = "settings.choose_station" if stations else "roster.no_stations"
        text, markup = context.t(key), InlineKeyboardMarkup(button_rows(buttons))
    await context.reply(update, "settings.wrap", body=text, reply_markup=markup)


async def _may_manage(p: Press) -> None:
    """Every /settings button's first rule: the station is one the presser manages."""
    if not can_manage_station(p.person, p.data.int_arg(0)):
        raise DomainError("not_allowed")


def _in_language(action: Action) -> Action:
    """A refusal (e.g. a reset that would leave a patrol area with no shift) with its hint
    and names in the person's language; the question stays."""

    async def translated(p: Press) -> None:
        try:
            await action(p)
        except DomainError as error:
            raise DomainError(error.code, **_params(p.context, error)) from None

    return translated


async def _ask(p: Press) -> None:
    """Ask for a setting's new value."""
    await _ask_value(p.update, p.context, p.person, p.data.int_arg(0), p.data.args[1])
    await p.query.answer()


async def _station(p: Press, renumbered: int = 0) -> None:
    """A station's settings, shown in place of the menu."""
    text, markup = await _settings_view(p.context, p.person, p.data.int_arg(0), renumbered)
    await p.query.answer()
    await show(p.query, p.context.t("settings.wrap", body=text), markup)


async def _reset(p: Press) -> None:
    """A setting back to its default; the station's settings again."""
    services = p.context.services
    reset = await services.station_settings.reset(p.person, p.data.int_arg(0), p.data.args[1])
    await conversation.end(p.update, p.context)
    await _station(p, reset.renumbered)


ACTIONS: dict[str, Action] = {
    "st": _in_language(_station),
    "k": _in_language(_ask),
    "r": _in_language(_reset),
}
settings_press = actions_handler(
    ACTIONS,
    "A /settings button: show a station, ask for a value, or reset one to its default.",
    guard=_may_manage,
)


async def _take_value(update: Update, context: CustomContext, talk: Conversation) -> None:
    """The new value typed for a setting: validated, stored, then the list again."""
    person = context.person
    message = update.effective_message
    assert person is not None and message is not None
    station_id, key = int(talk.data["station"]), str(talk.data["key"])
    spec = spec_for(key)
    if not message.text:
        await context.reply(update, "settings.value_as_text", hint=context.t(spec.hint))
        return
    try:
        change = await context.services.station_settings.change(
            person, station_id, key, message.text
        )
    except DomainError as error:
        if error.code == "not_allowed":
            raise
        # the question stays: the next message is another try
        await context.reply(update, error.message_key, **_params(context, error))
        return
    await conversation.end(update, context)
    text, markup = await _settings_view(context, person, station_id, change.renumbered)
    await context.reply(update, "settings.saved", body=text, reply_markup=markup)


async def _ask_value(
    update: Update, context: CustomContext, person: Person, station_id: int, key: str
) -> None:
    spec = spec_for(key)
    current = await context.services.station_settings.value(station_id, key)
    await conversation.save(
        update, context, Flow.SETTINGS, SettingsState.VALUE, {"station": station_id, "key": key}
    )
    reset = InlineKeyboardButton(
        context.label("settings.btn_reset"),
        callback_data=callbacks.encode(FEATURE, "r", station_id, key),
    )
    await context.reply(
        update,
        "settings.ask_value",
        label=context.t(spec.label),
        current=spec.dump(current),
        hint=context.t(spec.hint),
        reply_markup=InlineKeyboardMarkup([[reset]]),
    )


def _params(context: CustomContext, error: DomainError) -> dict[str, object]:
    """A refusal's parameters in the person's language: a hint is a catalog key, a list of
    names is joined as the language lists things."""
    params = dict(error.params)
    if "hint" in params:
        params["hint"] = context.t(str(params["hint"]))
    separator = "、" if context.locale.startswith("zh") else ", "
    for name, value in params.items():
        if isinstance(value, tuple):
            params[name] = separator.join(str(v) for v in value)
    return params


async def _settings_view(
    context: CustomContext, person: Person, station_id: int, renumbered: int = 0
) -> View:
    """The station's settings; after a change of its shift list, how many places had their
    shifts moved to keep their hours."""
    services = context.services
    station = await services.org.repo.station(station_id)
    if station is None or not can_manage_station(person, station_id):
        raise DomainError("not_allowed")
    lines = [context.t("settings.title", station=station.name)]
    buttons = []
    for key, value, customised in await services.station_settings.all(station_id):
        spec = spec_for(key)
        line_key = "settings.line_custom" if customised else "settings.line_default"
        lines.append(context.t(line_key, label=context.t(spec.label), value=spec.dump(value)))
        buttons.append(
            InlineKeyboardButton(
                context.label(spec.label),
                callback_data=callbacks.encode(FEATURE, "k", station_id, key),
            )
        )
    if renumbered:
        lines.append(Html("\n" + context.t("settings.renumbered", count=renumbered)))
    return Html("\n".join(lines)), InlineKeyboardMarkup(button_rows(buttons))


# the new value typed after a setting's button (docs/flows/settings.mmd)
STEPS: dict[SettingsState, StepHandler] = {SettingsState.VALUE: _take_value}
