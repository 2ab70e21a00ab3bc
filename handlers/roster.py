"""/roster: the people of an office, and changing a person's role, office, pairing, activation."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers import labels
from handlers.common import Action, Press, View, actions_handler, refuse, showing
from handlers.context import CustomContext
from handlers.keyboards import button_rows
from handlers.menu import publish_person_commands
from locales import Html
from models import callbacks
from models.errors import DomainError
from models.org import Office, PartnerType, Person, Role
from models.rules import assignable_roles, can_manage_person

FEATURE = "ros"
STATION_STAFF = 0  # the "office" id meaning a station's people with no office
UNSET = "-"
T = TypeVar("T")


async def roster_command(update: Update, context: CustomContext) -> None:
    """/roster: officers see their office; chief and duty pick an office; operators a station."""
    person = context.person
    if person is None or not person.role.is_staff:
        await refuse(update, context)
        return
    if person.role is Role.OFFICER and person.office_id is not None:
        text, markup = await _office_view(context, person, person.office_id)
    elif person.role is Role.OPERATOR:
        text, markup = await _stations_view(context, person)
    else:
        assert person.station_id is not None
        text, markup = await _station_view(context, person.station_id)
    await context.reply(update, "roster.wrap", body=text, reply_markup=markup)


async def _staff_only(p: Press) -> None:
    """Every roster button's first rule (each one re-checks the presser's rights too)."""
    if not p.person.role.is_staff:
        raise DomainError("not_allowed")


def _showing(make: Callable[[Press], Awaitable[View]]) -> Action:
    """A button whose answer is a view, shown in place of the menu."""
    return showing("roster.wrap", make)


async def _station(p: Press) -> View:
    station_id = p.data.int_arg(0)
    if p.person.role is not Role.OPERATOR and p.person.station_id != station_id:
        raise DomainError("not_allowed")
    return await _station_view(p.context, station_id)


async def _office(p: Press) -> View:
    return await _office_view(p.context, p.person, p.data.int_arg(0), p.data.int_arg(1))


async def _operators(p: Press) -> View:
    return await _operators_view(p.context, p.person)


async def _card(p: Press) -> View:
    return await _person_view(p.context, p.person, p.data.int_arg(0))


async def _roles(p: Press) -> View:
    return await _role_choices(p.context, p.person, p.data.int_arg(0))


async def _set_role(p: Press) -> View:
    context, actor, data = p.context, p.person, p.data
    people = context.services.people
    target_id = data.int_arg(0)
    role = Role(data.args[1])
    partner = _opt(data.args, 2, PartnerType)
    office = _opt(data.args, 3, int)
    target = await people.manageable(actor, target_id)
    if role is Role.PARTNER and partner is None:
        return await _partner_choices(context, actor, target)
    if role.needs_office and target.office_id is None and office is None:
        return await _office_choices(context, actor, target, role, partner)
    await _refresh_menu(context, await people.change_role(actor, target_id, role, partner, office))
    return await _person_view(context, actor, target_id)


async def _moves(p: Press) -> View:
    return await _move_choices(p.context, p.person, p.data.int_arg(0))


async def _move(p: Press) -> View:
    context, actor, data = p.context, p.person, p.data
    target_id = data.int_arg(0)
    moved = await context.services.people.move(actor, target_id, data.int_arg(1))
    if not can_manage_person(actor, moved):  # e.g. an officer's member now elsewhere
        destination = await context.services.org.repo.office(data.int_arg(1))
        text = context.t(
            "roster.moved_away",
            name=moved.name,
            office=destination.name if destination else "—",
        )
        return text, None
    return await _person_view(context, actor, target_id)


async def _pairs(p: Press) -> View:
    return await _pair_choices(p.context, p.person, p.data.int_arg(0))


async def _toggle_pair(p: Press) -> View:
    target_id = p.data.int_arg(0)
    await p.context.services.people.toggle_pairing(p.person, target_id, p.data.int_arg(1))
    return await _pair_choices(p.context, p.person, target_id)


async def _activate(p: Press) -> View:
    context, actor, target_id = p.context, p.person, p.data.int_arg(0)
    changed = await context.services.people.set_active(actor, target_id, p.data.args[1] == "1")
    await _refresh_menu(context, changed)
    return await _person_view(context, actor, target_id)


ACTIONS: dict[str, Action] = {
    "st": _showing(_station),
    "of": _showing(_office),
    "ops": _showing(_operators),
    "p": _showing(_card),
    "role": _showing(_roles),
    "setrole": _showing(_set_role),
    "move": _showing(_moves),
    "setoff": _showing(_move),
    "pair": _showing(_pairs),
    "tog": _showing(_toggle_pair),
    "act": _showing(_activate),
}
roster_press = actions_handler(
    ACTIONS,
    "Every roster button; each one re-checks the rights of the presser on the server.",
    guard=_staff_only,
)


async def _refresh_menu(context: CustomContext, target: Person) -> None:
    """A person whose role or access changed sees the commands that now apply to them."""
    locale = target.locale or context.services.settings.default_locale
    await publish_person_commands(
        context.bot, context.app.translator, target, locale, context.services.settings.webapp_url
    )


async def _stations_view(context: CustomContext, actor: Person) -> View:
    stations = await context.services.org.stations_for(actor)
    if not stations:
        return context.t("roster.no_stations"), None
    buttons = [
        InlineKeyboardButton(s.name, callback_data=callbacks.encode(FEATURE, "st", s.id))
        for s in stations
    ]
    buttons.append(
        InlineKeyboardButton(
            context.label("roster.operators_title"), callback_data=callbacks.encode(FEATURE, "ops")
        )
    )
    return context.t("roster.choose_station"), InlineKeyboardMarkup(button_rows(buttons))


async def _station_view(context: CustomContext, station_id: int) -> View:
    offices = await context.services.org.repo.offices(station_id)
    buttons = [
        InlineKeyboardButton(
            o.name, callback_data=callbacks.encode(FEATURE, "of", o.id, station_id)
        )
        for o in offices
    ]
    buttons.append(
        InlineKeyboardButton(
            context.label("roster.station_staff"),
            callback_data=callbacks.encode(FEATURE, "of", STATION_STAFF, station_id),
        )
    )
    return context.t("roster.choose_office"), InlineKeyboardMarkup(button_rows(buttons))


async def _office_view(
    context: CustomContext, actor: Person, office_id: int, station_id: int | None = None
) -> View:
    services = context.services
    if office_id == STATION_STAFF:
        if station_id is None:
            raise DomainError("stale")
        people = await services.people.station_staff(actor, station_id)
        title = context.t("roster.station_staff")
    else:
        office = await services.org.repo.office(office_id)
        if office is None:
            raise DomainError("stale")
        people = await services.people.roster(actor, office)
        title = Html(html.escape(office.name, quote=False))
    pairings = await services.people.repo.pairings_in_office(office_id) if office_id else {}
    names = {p.id: p.name for p in people}
    lines = [context.t("roster.office_title", office=title, count=sum(p.active for p in people))]
    buttons = []
    for p in people:
        partners = ", ".join(names.get(o, "?") for o in pairings.get(p.id, []))
        lines.append(_person_line(context, p, partners))
        if can_manage_person(actor, p):
            buttons.append(
                InlineKeyboardButton(p.name, callback_data=callbacks.encode(FEATURE, "p", p.id))
            )
    if not people:
        lines.append(context.t("roster.empty"))
    markup = InlineKeyboardMarkup(button_rows(buttons, 3)) if buttons else None
    return Html("\n".join(lines)), markup


def _person_line(context: CustomContext, person: Person, partners: str) -> Html:
    role = context.t(labels.ROLE[person.role])
    if person.partner_type is not None:
        role = context.t(labels.PARTNER[person.partner_type])
    key = "roster.line" if person.active else "roster.line_inactive"
    line = context.t(key, name=person.name, role=role)
    if partners:
        line = Html(line + context.t("roster.paired_with", officers=partners))
    return line


async def _person_view(context: CustomContext, actor: Person, target_id: int) -> View:
    services = context.services
    target = await services.people.manageable(actor, target_id)
    office: Office | None = None
    if target.office_id is not None:
        office = await services.org.repo.office(target.office_id)
    officers = await services.people.officers_of(target)
    role = context.t(labels.ROLE[target.role])
    if target.partner_type is not None:
        role = context.t(
            "invite.partner_role", role=role, kind=context.t(labels.PARTNER[target.partner_type])
        )
    text = context.t(
        "roster.person",
        name=target.name,
        role=role,
        office=office.name if office else "—",
        phone=target.phone or "—",
        officers=", ".join(o.name for o in officers) or "—",
        status=context.t("roster.active" if target.active else "roster.inactive"),
    )
    rows = [
        [
            _button(context, "roster.btn_role", "role", target.id),
            _button(context, "roster.btn_pair", "pair", target.id),
        ]
    ]
    if target.role.needs_office:
        rows[0].append(_button(context, "roster.btn_move", "move", target.id))
    if target.id != actor.id:
        if target.active:
            rows.append([_button(context, "roster.btn_deactivate", "act", target.id, 0)])
        else:
            rows.append([_button(context, "roster.btn_reactivate", "act", target.id, 1)])
    back = target.office_id or STATION_STAFF
    rows.append([_button(context, "roster.btn_back", "of", back, target.station_id or 0)])
    return text, InlineKeyboardMarkup(rows)


def _opt(args: tuple[str, ...], index: int, kind: Callable[[str], T]) -> T | None:
    """An optional callback argument ("-" or missing: not chosen yet)."""
    if len(args) <= index or args[index] == UNSET:
        return None
    return kind(args[index])


def _button(context: CustomContext, key: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        context.label(key), callback_data=callbacks.encode(FEATURE, action, *args)
    )


async def _role_choices(context: CustomContext, actor: Person, target_id: int) -> View:
    target = await context.services.people.manageable(actor, target_id)
    buttons = [
        InlineKeyboardButton(
            context.label(labels.ROLE[role]),
            callback_data=callbacks.encode(FEATURE, "setrole", target.id, role.value),
        )
        for role in assignable_roles(actor, target)
    ]
    buttons.append(_button(context, "roster.btn_back", "p", target.id))
    return context.t("roster.choose_role", name=target.name), InlineKeyboardMarkup(
        button_rows(buttons)
    )


async def _partner_choices(context: CustomContext, actor: Person, target: Person) -> View:
    buttons = [
        InlineKeyboardButton(
            context.label(labels.PARTNER[p]),
            callback_data=callbacks.encode(
                FEATURE, "setrole", target.id, Role.PARTNER.value, p.value, UNSET
            ),
        )
        for p in PartnerType
    ]
    buttons.append(_button(context, "roster.btn_back", "p", target.id))
    text = context.t("roster.choose_partner", name=target.name)
    return text, InlineKeyboardMarkup(button_rows(buttons))


async def _office_choices(
    context: CustomContext,
    actor: Person,
    target: Person,
    role: Role,
    partner: PartnerType | None,
) -> View:
    """Someone without an office (duty, chief) who takes an office role: which office?"""
    if target.station_id is None:
        raise DomainError("station_required")
    offices = await context.services.org.repo.offices(target.station_id)
    buttons = [
        InlineKeyboardButton(
            o.name,
            callback_data=callbacks.encode(
                FEATURE,
                "setrole",
                target.id,
                role.value,
                partner.value if partner else UNSET,
                o.id,
            ),
        )
        for o in offices
    ]
    buttons.append(_button(context, "roster.btn_back", "p", target.id))
    text = context.t("roster.choose_move", name=target.name)
    return text, InlineKeyboardMarkup(button_rows(buttons))


async def _operators_view(context: CustomContext, actor: Person) -> View:
    operators = await context.services.people.operators(actor)
    lines = [context.t("roster.operators_title")]
    lines += [_person_line(context, p, "") for p in operators]
    buttons = [
        InlineKeyboardButton(p.name, callback_data=callbacks.encode(FEATURE, "p", p.id))
        for p in operators
        if p.id != actor.id
    ]
    return Html("\n".join(lines)), InlineKeyboardMarkup(button_rows(buttons, 3))


async def _move_choices(context: CustomContext, actor: Person, target_id: int) -> View:
    target = await context.services.people.manageable(actor, target_id)
    if target.station_id is None or not target.role.needs_office:
        raise DomainError("not_allowed")
    offices = await context.services.org.repo.offices(target.station_id)
    buttons = [
        InlineKeyboardButton(
            o.name, callback_data=callbacks.encode(FEATURE, "setoff", target.id, o.id)
        )
        for o in offices
        if o.id != target.office_id
    ]
    buttons.append(_button(context, "roster.btn_back", "p", target.id))
    return context.t("roster.choose_move", name=target.name), InlineKeyboardMarkup(
        button_rows(buttons)
    )


async def _pair_choices(context: CustomContext, actor: Person, target_id: int) -> View:
    services = context.services
    target = await services.people.manageable(actor, target_id)
    if target.role not in (Role.MEMBER, Role.PARTNER) or target.office_id is None:
        raise DomainError("pair_members_only")
    paired = {o.id for o in await services.people.officers_of(target)}
    officers = [
        p
        for p in await services.people.repo.in_office(target.office_id, active_only=True)
        if p.role is Role.OFFICER
    ]
    buttons = [
        InlineKeyboardButton(
            ("✅ " if o.id in paired else "▫️ ") + o.name,
            callback_data=callbacks.encode(FEATURE, "tog", target.id, o.id),
        )
        for o in officers
    ]
    buttons.append(_button(context, "roster.btn_back", "p", target.id))
    key = "roster.choose_pair" if officers else "roster.no_officers"
    return context.t(key, name=target.name), InlineKeyboardMarkup(button_rows(buttons))
