"""/invite: choose the role (and partner type, station, office) and get a deep link."""

from __future__ import annotations

from dataclasses import dataclass, replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers import callbacks, labels
from handlers.common import refuse, show, stale_button
from handlers.context import CustomContext
from handlers.keyboards import button_rows
from models.org import Invitation, PartnerType, Person, Role
from models.rules import invitable_roles

FEATURE = "inv"
UNSET = "-"


def deep_link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"


async def invite_command(update: Update, context: CustomContext) -> None:
    """/invite: start with the roles this person may invite."""
    person = context.person
    if person is None or not invitable_roles(person):
        await refuse(update, context)
        return
    await context.reply(update, "invite.choose_role", reply_markup=_role_keyboard(context, person))


async def invite_step(update: Update, context: CustomContext) -> None:
    """A press in the invitation dialog: ask for the next missing choice, or create it."""
    query = update.callback_query
    person = context.person
    data = callbacks.decode(query.data if query else None)
    if query is None or person is None or data is None or len(data.args) != 4:
        await stale_button(update, context)
        return
    try:
        role = Role(data.args[0])
        partner = PartnerType(data.args[1]) if data.args[1] != UNSET else None
        station_id = int(data.args[2]) if data.args[2] != UNSET else None
        office_id = int(data.args[3]) if data.args[3] != UNSET else None
    except ValueError:
        await stale_button(update, context)
        return
    if role not in invitable_roles(person):
        await refuse(update, context)
        return
    if person.role is not Role.OPERATOR:
        station_id = person.station_id
    if person.role is Role.OFFICER:
        office_id = person.office_id
    draft = Draft(role, partner, station_id, office_id)
    choice = await _next_choice(context, person, draft)
    await query.answer()
    if choice is not None:
        key, markup = choice
        await show(query, context.t(key), markup)
        return
    invitation = await context.services.invitations.create(
        person, role, station_id=station_id, office_id=office_id, partner_type=partner
    )
    await show(query, await _describe(context, invitation))


@dataclass(frozen=True)
class Draft:
    """The choices made so far, carried in the buttons (and checked again on creation)."""

    role: Role
    partner: PartnerType | None = None
    station: int | None = None
    office: int | None = None

    def data(self) -> str:
        return callbacks.encode(
            FEATURE,
            "go",
            self.role.value,
            self.partner.value if self.partner else UNSET,
            self.station if self.station is not None else UNSET,
            self.office if self.office is not None else UNSET,
        )


Choice = tuple[str, InlineKeyboardMarkup]


async def _next_choice(context: CustomContext, person: Person, draft: Draft) -> Choice | None:
    if draft.role is Role.PARTNER and draft.partner is None:
        buttons = [
            InlineKeyboardButton(
                context.label(labels.PARTNER[p]), callback_data=replace(draft, partner=p).data()
            )
            for p in PartnerType
        ]
        return "invite.choose_partner", InlineKeyboardMarkup(button_rows(buttons))
    if draft.role.needs_station and draft.station is None:
        stations = await context.services.org.stations_for(person)
        buttons = [
            InlineKeyboardButton(s.name, callback_data=replace(draft, station=s.id).data())
            for s in stations
        ]
        key = "invite.choose_station" if buttons else "invite.no_station"
        return key, InlineKeyboardMarkup(button_rows(buttons))
    if draft.role.needs_office and draft.office is None and draft.station is not None:
        offices = await context.services.org.repo.offices(draft.station)
        buttons = [
            InlineKeyboardButton(o.name, callback_data=replace(draft, office=o.id).data())
            for o in offices
        ]
        key = "invite.choose_office" if buttons else "invite.no_office"
        return key, InlineKeyboardMarkup(button_rows(buttons))
    return None


def _role_keyboard(context: CustomContext, person: Person) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(context.label(labels.ROLE[role]), callback_data=Draft(role).data())
        for role in invitable_roles(person)
    ]
    return InlineKeyboardMarkup(button_rows(buttons))


async def _describe(context: CustomContext, invitation: Invitation) -> str:
    org = context.services.org.repo
    where = ""
    if invitation.office_id is not None:
        office = await org.office(invitation.office_id)
        where = office.name if office else ""
    elif invitation.station_id is not None:
        station = await org.station(invitation.station_id)
        where = station.name if station else ""
    role = context.t(labels.ROLE[invitation.role])
    if invitation.partner_type is not None:
        role = context.t(
            "invite.partner_role",
            role=role,
            kind=context.t(labels.PARTNER[invitation.partner_type]),
        )
    expires = invitation.expires_at.astimezone(context.services.settings.zone)
    return context.t(
        "invite.created",
        role=role,
        where=where or "—",
        link=deep_link(context.bot.username, invitation.code),
        expires=expires.strftime("%Y-%m-%d %H:%M"),
        uses=invitation.uses_left,
    )
