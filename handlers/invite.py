"""/invite: choose the role (and partner type, station, office) and get a deep link; with a
count (`/invite 30`), a printable sheet of that many single-use QR codes. Expired invitations
nobody used are listed and revoked here too. `python bot.py invites` does the same from the
server's console (see `console`)."""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers import labels
from handlers.common import Action, Press, actions_handler, refuse, show
from handlers.context import CustomContext
from handlers.keyboards import button_rows
from locales import Html, Translator
from models import callbacks
from models.errors import DomainError
from models.org import Invitation, Office, PartnerType, Person, Role, Station
from models.rules import invitable_roles
from models.services.invitations import check_sheet_count
from models.services.org import OrgService

if TYPE_CHECKING:
    from handlers.context import PatrolApplication

FEATURE = "inv"
UNSET = "-"
SHEET = "qrsheet"  # the outbox renderer of a sheet page
SHEET_LOCALE = "zh_CN"  # the people who scan the slips read Chinese, whoever printed them
REFERENCE_LENGTH = 6  # the start of a code, printed on its slip and in the lists
EXPIRED_LINES = 20
BOT_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
Named = TypeVar("Named", Station, Office)


def deep_link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"


def reference(invitation: Invitation) -> str:
    return invitation.code[:REFERENCE_LENGTH]


def parse_count(text: str) -> int:
    """The number of invitations asked for (`/invite 30`, also `３０`); DomainError if it is
    no whole number from 1 to the sheet's limit."""
    try:
        count = int(text.strip())
    except ValueError:
        count = 0
    check_sheet_count(count)
    return count


async def invite_command(update: Update, context: CustomContext) -> None:
    """/invite [count]: start with the roles this person may invite (for a sheet, if a count
    was given)."""
    person = context.person
    if person is None or not invitable_roles(person):
        await refuse(update, context)
        return
    if not context.args:
        expired = len(await context.services.invitations.expired_unused(person))
        markup = _role_keyboard(context, person, None, expired)
        await context.reply(update, "invite.choose_role", reply_markup=markup)
        return
    try:
        count = parse_count(context.args[0])
    except DomainError as error:
        await context.reply(update, error.message_key, **error.params)
        return
    await context.reply(
        update,
        "invite.choose_role_sheet",
        count=count,
        reply_markup=_role_keyboard(context, person, count, 0),
    )


async def _step(p: Press) -> None:
    """The next choice of the invitation dialog, or the invitation (or sheet)."""
    context, person, query, args = p.context, p.person, p.query, p.data.args
    if len(args) not in (4, 5):
        raise ValueError("an invitation step carries four or five choices")
    role = Role(args[0])
    partner = PartnerType(args[1]) if args[1] != UNSET else None
    station_id = int(args[2]) if args[2] != UNSET else None
    office_id = int(args[3]) if args[3] != UNSET else None
    count = int(args[4]) if len(args) == 5 else None
    if role not in invitable_roles(person):
        raise DomainError("not_allowed")
    if count is not None:
        check_sheet_count(count)  # a forged count: the rule's answer, as an alert
    if person.role is not Role.OPERATOR:
        station_id = person.station_id
    if person.role is Role.OFFICER:
        office_id = person.office_id
    draft = Draft(role, partner, station_id, office_id, count)
    choice = await _next_choice(context, person, draft)
    await query.answer()
    if choice is not None:
        key, markup = choice
        await show(query, context.t(key), markup)
        return
    if count is None:
        invitation = await context.services.invitations.create(
            person, role, station_id=station_id, office_id=office_id, partner_type=partner
        )
        await show(query, await _describe(context, invitation))
        return
    made = await context.services.invitations.create_sheet(
        person,
        role,
        station_id=station_id,
        office_id=office_id,
        partner_type=partner,
        count=count,
    )
    await _send_sheet(p.update, context, made)


@dataclass(frozen=True)
class Draft:
    """The choices made so far, carried in the buttons (and checked again on creation)."""

    role: Role
    partner: PartnerType | None = None
    station: int | None = None
    office: int | None = None
    count: int | None = None  # a sheet of this many single-use invitations

    def data(self) -> str:
        args: list[object] = [
            self.role.value,
            self.partner.value if self.partner else UNSET,
            self.station if self.station is not None else UNSET,
            self.office if self.office is not None else UNSET,
        ]
        if self.count is not None:
            args.append(self.count)
        return callbacks.encode(FEATURE, "go", *args)


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


def _role_keyboard(
    context: CustomContext, person: Person, count: int | None, expired: int
) -> InlineKeyboardMarkup:
    """The roles to invite as (for a sheet: station roles only); and, when some of the
    person's invitations expired unused, the way to list them."""
    roles = invitable_roles(person)
    if count is not None:
        roles = tuple(r for r in roles if r.needs_station)  # no operator slips on paper
    buttons = [
        InlineKeyboardButton(
            context.label(labels.ROLE[role]), callback_data=Draft(role, count=count).data()
        )
        for role in roles
    ]
    rows = button_rows(buttons)
    if expired:
        label = html.unescape(context.t("invite.expired_button", count=expired))
        rows.append([InlineKeyboardButton(label, callback_data=callbacks.encode(FEATURE, "exp"))])
    return InlineKeyboardMarkup(rows)


async def where_of(org: OrgService, invitation: Invitation) -> str:
    """The office's name, else the station's; empty for an operator's invitation."""
    if invitation.office_id is not None:
        office = await org.repo.office(invitation.office_id)
        return office.name if office else ""
    if invitation.station_id is not None:
        station = await org.repo.station(invitation.station_id)
        return station.name if station else ""
    return ""


def role_label(translator: Translator, locale: str, invitation: Invitation) -> str:
    role = translator.plain(locale, labels.ROLE[invitation.role])
    if invitation.partner_type is None:
        return role
    kind = translator.plain(locale, labels.PARTNER[invitation.partner_type])
    return html.unescape(translator.text(locale, "invite.partner_role", role=role, kind=kind))


async def _describe(context: CustomContext, invitation: Invitation) -> str:
    where = await where_of(context.services.org, invitation)
    role = role_label(context.app.translator, context.locale, invitation)
    expires = invitation.expires_at.astimezone(context.services.settings.zone)
    return context.t(
        "invite.created",
        role=role,
        where=where or "—",
        link=deep_link(context.bot.username, invitation.code),
        expires=expires.strftime("%Y-%m-%d %H:%M"),
        uses=invitation.uses_left,
    )


# the printed sheet
async def sheet_pages(
    org: OrgService,
    translator: Translator,
    invitations: list[Invitation],
    bot_username: str,
    zone: ZoneInfo,
) -> list[dict[str, Any]]:
    """The specs of a sheet's pages (see `models/qrsheet.py`), worded in Chinese: one cell
    per invitation (all of one role and office, as `create_sheet` makes them) with its deep
    link, office, role, number, reference and expiry date."""
    from models.qrsheet import PER_PAGE, page_count

    def plain(key: str, **params: object) -> str:
        return html.unescape(translator.text(SHEET_LOCALE, key, **params))

    first = invitations[0]
    where = await where_of(org, first) or "—"
    role = role_label(translator, SHEET_LOCALE, first)
    total, pages = len(invitations), page_count(len(invitations))
    width = len(str(total))
    cells = [
        {
            "link": deep_link(bot_username, invitation.code),
            "place": where,
            "role": role,
            "details": [
                plain(
                    "sheet.number",
                    number=f"{index:0{width}d}/{total}",
                    reference=reference(invitation),
                ),
                plain("sheet.expires", date=local_day(invitation.expires_at, zone)),
            ],
        }
        for index, invitation in enumerate(invitations, start=1)
    ]
    return [
        {
            "title": plain("sheet.title", where=where, role=role),
            "page": plain("sheet.page", page=page + 1, pages=pages),
            "footer": plain("sheet.footer"),
            "cells": cells[page * PER_PAGE : (page + 1) * PER_PAGE],
        }
        for page in range(pages)
    ]


def render_sheet(spec: dict[str, Any]) -> bytes:
    from models import qrsheet  # Pillow and the font load only when a sheet is first drawn

    return qrsheet.render(spec)


def register(app: PatrolApplication) -> None:
    """The sheet's pages are drawn by the outbox sender, like the statistics picture."""
    app.services.outbox.renderers[SHEET] = render_sheet


def local_day(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d")


async def _send_sheet(update: Update, context: CustomContext, made: list[Invitation]) -> None:
    """Say what was made, and queue the sheet's pages as PNG files (drawn by the sender)."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    services = context.services
    pages = await sheet_pages(
        services.org,
        context.app.translator,
        made,
        context.bot.username,
        services.settings.zone,
    )
    first = made[0]
    await show(
        query,
        context.t(
            "invite.sheet_created",
            count=len(made),
            role=role_label(context.app.translator, context.locale, first),
            where=await where_of(services.org, first) or "—",
            expires=local_day(first.expires_at, services.settings.zone),
            pages=len(pages),
        ),
    )
    for number, page in enumerate(pages, start=1):
        await services.outbox.send_file(
            user.id,
            SHEET,
            page,
            f"invitations-{first.id}-{number}.png",
            caption=context.t("invite.sheet_caption", page=number, pages=len(pages)),
            ref=f"invitation:{first.id}",
        )


# expired invitations nobody used
async def _list_expired(p: Press) -> None:
    context, person, query = p.context, p.person, p.query
    found = await context.services.invitations.expired_unused(person)
    await query.answer()
    if not found:
        await show(query, context.t("invite.expired_none"))
        return
    groups: Counter[tuple[str, str, str]] = Counter()
    org, zone = context.services.org, context.services.settings.zone
    for invitation in found:
        role = role_label(context.app.translator, context.locale, invitation)
        groups[
            (await where_of(org, invitation) or "—", role, local_day(invitation.expires_at, zone))
        ] += 1
    lines = [
        context.t("invite.expired_line", where=where, role=role, count=n, expires=day)
        for (where, role, day), n in list(groups.items())[:EXPIRED_LINES]
    ]
    if len(groups) > EXPIRED_LINES:
        lines.append(context.t("invite.expired_more", count=len(groups) - EXPIRED_LINES))
    revoke = InlineKeyboardButton(
        context.label("invite.revoke_button"), callback_data=callbacks.encode(FEATURE, "rev")
    )
    await show(
        query,
        context.t("invite.expired_list", count=len(found), lines=Html("\n".join(lines))),
        InlineKeyboardMarkup([[revoke]]),
    )


async def _revoke_expired(p: Press) -> None:
    context, person, query = p.context, p.person, p.query
    revoked = await context.services.invitations.revoke_expired(person)
    await query.answer()
    if not revoked:
        await show(query, context.t("invite.expired_none"))
        return
    await show(query, context.t("invite.revoked", count=len(revoked)))


# the steps carry the choices so far in their data, checked again on creation
ACTIONS: dict[str, Action] = {"go": _step, "exp": _list_expired, "rev": _revoke_expired}
invite_step = actions_handler(
    ACTIONS,
    "A press in the invitation dialog: the next choice, or the invitation (or sheet); or the"
    " expired invitations, or revoking them (see ACTIONS).",
)


# the console: python bot.py invites ...
