"""Groups: tracked from `my_chat_member`, kept across a supergroup migration, and registered
with /register (staff or public, with station, office or village, and language)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from handlers import labels
from handlers.common import Action, Press, actions_handler, refuse, show
from handlers.context import CustomContext
from handlers.keyboards import button_rows
from locales import LOCALES, NATIVE_NAMES
from models import callbacks
from models.errors import DomainError
from models.org import GroupKind, Person, Role
from models.rules import can_manage_station

FEATURE = "grp"
UNSET = "-"
WHOLE_STATION = 0
NO_VILLAGE = 0


async def bot_membership_changed(update: Update, context: CustomContext) -> None:
    """The bot was added to, or removed/banned from, a group."""
    change = update.my_chat_member
    if change is None or change.chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return
    await context.services.groups.bot_status_changed(
        change.chat.id, change.chat.title or "", change.chat.type, change.new_chat_member.status
    )


async def group_migrated(update: Update, context: CustomContext) -> None:
    """A group became a supergroup: its registration follows the new chat id."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        await context.services.groups.migrated(message.chat.id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id:
        await context.services.groups.migrated(message.migrate_from_chat_id, message.chat.id)


@dataclass(frozen=True)
class Draft:
    """The registration choices so far, carried in the buttons and checked again at the end."""

    kind: GroupKind
    station: int | None = None
    office: int | None = None
    village: int | None = None

    def data(self, locale: str = UNSET) -> str:
        return callbacks.encode(
            FEATURE,
            "go",
            self.kind.value,
            _opt(self.station),
            _opt(self.office),
            _opt(self.village),
            locale,
        )


def _opt(value: int | None) -> str:
    return UNSET if value is None else str(value)


def _int(text: str) -> int | None:
    return None if text == UNSET else int(text)


async def register_command(update: Update, context: CustomContext) -> None:
    """/register in a group: a chief or operator says what this group is."""
    chat = update.effective_chat
    person = context.person
    if chat is None or chat.type == ChatType.PRIVATE:
        await context.reply(update, "groups.register_in_group")
        return
    if person is None or person.role not in (Role.OPERATOR, Role.CHIEF):
        await refuse(update, context)
        return
    buttons = [
        InlineKeyboardButton(
            context.label(labels.GROUP_KIND[kind]), callback_data=Draft(kind).data()
        )
        for kind in GroupKind
    ]
    await context.reply(update, "groups.choose_kind", reply_markup=InlineKeyboardMarkup([buttons]))


async def _register_step(p: Press) -> None:
    """A press in the registration dialog: next question, or register."""
    context, person, query = p.context, p.person, p.query
    if len(p.data.args) != 5:
        raise ValueError("a registration press carries five choices")
    if person.role not in (Role.OPERATOR, Role.CHIEF):
        raise DomainError("not_allowed")
    args = p.data.args
    draft = Draft(GroupKind(args[0]), _int(args[1]), _int(args[2]), _int(args[3]))
    locale = args[4]
    if person.role is Role.CHIEF:
        draft = replace(draft, station=person.station_id)
    if draft.station is not None and not can_manage_station(person, draft.station):
        raise DomainError("not_allowed")
    await query.answer()
    question = await _next_question(context, person, draft)
    if question is not None:
        key, markup = question
        await show(query, context.t(key), markup)
        return
    if locale not in LOCALES:
        await show(query, context.t("groups.choose_language"), _language_keyboard(draft))
        return
    assert draft.station is not None
    group = await context.services.groups.register(
        person,
        p.chat.id,
        kind=draft.kind,
        station_id=draft.station,
        office_id=draft.office or None,
        place_id=draft.village or None,
        locale=locale,
    )
    context.locale = locale
    await show(
        query,
        context.t(
            "groups.registered_public"
            if group.kind is GroupKind.PUBLIC
            else "groups.registered_staff"
        ),
    )


# pressed in the group by a chief or operator (the gatekeeper lets no stranger press there)
ACTIONS: dict[str, Action] = {"go": _register_step}
register_step = actions_handler(ACTIONS, "The registration dialog's buttons (see ACTIONS).")


async def _next_question(
    context: CustomContext, person: Person, draft: Draft
) -> tuple[str, InlineKeyboardMarkup] | None:
    org = context.services.org
    if draft.station is None:
        stations = await org.stations_for(person)
        buttons = [
            InlineKeyboardButton(s.name, callback_data=replace(draft, station=s.id).data())
            for s in stations
        ]
        return "groups.choose_station", InlineKeyboardMarkup(button_rows(buttons))
    if draft.office is None:
        offices = await org.repo.offices(draft.station)
        buttons = [
            InlineKeyboardButton(o.name, callback_data=replace(draft, office=o.id).data())
            for o in offices
        ]
        buttons.append(
            InlineKeyboardButton(
                context.label("groups.whole_station"),
                callback_data=replace(draft, office=WHOLE_STATION, village=NO_VILLAGE).data(),
            )
        )
        return "groups.choose_office", InlineKeyboardMarkup(button_rows(buttons))
    if draft.village is None:
        villages = [p for p in await org.repo.places(draft.office) if p.is_village]
        if draft.kind is GroupKind.STAFF or not villages:
            return None
        buttons = [
            InlineKeyboardButton(p.name, callback_data=replace(draft, village=p.id).data())
            for p in villages
        ]
        buttons.append(
            InlineKeyboardButton(
                context.label("groups.no_village"),
                callback_data=replace(draft, village=NO_VILLAGE).data(),
            )
        )
        return "groups.choose_village", InlineKeyboardMarkup(button_rows(buttons))
    return None


def _language_keyboard(draft: Draft) -> InlineKeyboardMarkup:
    filled = replace(
        draft,
        office=draft.office if draft.office is not None else WHOLE_STATION,
        village=draft.village if draft.village is not None else NO_VILLAGE,
    )
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(NATIVE_NAMES[c], callback_data=filled.data(c)) for c in LOCALES]]
    )
