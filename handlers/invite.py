"""/invite: choose the role (and partner type, station, office) and get a deep link; with a
count (`/invite 30`), a printable sheet of that many single-use QR codes. Expired invitations
nobody used are listed and revoked here too. `python bot.py invites` does the same from the
server's console (see `console`)."""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers import labels
from handlers.common import refuse, show, stale_button
from handlers.context import CustomContext
from handlers.keyboards import button_rows
from locales import Html, Translator
from models import callbacks
from models.clock import Clock, OffsetClock
from models.config import Settings
from models.errors import DomainError
from models.org import Invitation, Office, PartnerType, Person, Role, Station
from models.rules import invitable_roles
from models.services import Services
from models.services.invitations import check_sheet_count
from models.store.db import Database, SchemaTooNewError
from models.store.org_repo import OrgRepository

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


async def invite_step(update: Update, context: CustomContext) -> None:
    """A press in the invitation dialog: the next choice, or the invitation (or sheet); or
    the expired invitations, or revoking them."""
    query = update.callback_query
    person = context.person
    data = callbacks.decode(query.data if query else None)
    if query is None or person is None or data is None:
        await stale_button(update, context)
        return
    if data.action == "exp":
        await _list_expired(update, context, person)
    elif data.action == "rev":
        await _revoke_expired(update, context, person)
    elif data.action == "go" and len(data.args) in (4, 5):
        await _step(update, context, person, data.args)
    else:
        await stale_button(update, context)


async def _step(
    update: Update, context: CustomContext, person: Person, args: tuple[str, ...]
) -> None:
    query = update.callback_query
    assert query is not None
    try:
        role = Role(args[0])
        partner = PartnerType(args[1]) if args[1] != UNSET else None
        station_id = int(args[2]) if args[2] != UNSET else None
        office_id = int(args[3]) if args[3] != UNSET else None
        count = int(args[4]) if len(args) == 5 else None
    except ValueError:
        await stale_button(update, context)
        return
    if role not in invitable_roles(person):
        await refuse(update, context)
        return
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
    await _send_sheet(update, context, made)


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


async def _where(org: OrgRepository, invitation: Invitation) -> str:
    """The office's name, else the station's; empty for an operator's invitation."""
    if invitation.office_id is not None:
        office = await org.office(invitation.office_id)
        return office.name if office else ""
    if invitation.station_id is not None:
        station = await org.station(invitation.station_id)
        return station.name if station else ""
    return ""


def _role_label(translator: Translator, locale: str, invitation: Invitation) -> str:
    role = translator.plain(locale, labels.ROLE[invitation.role])
    if invitation.partner_type is None:
        return role
    kind = translator.plain(locale, labels.PARTNER[invitation.partner_type])
    return html.unescape(translator.text(locale, "invite.partner_role", role=role, kind=kind))


async def _describe(context: CustomContext, invitation: Invitation) -> str:
    where = await _where(context.services.org.repo, invitation)
    role = _role_label(context.app.translator, context.locale, invitation)
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
    org: OrgRepository,
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
    where = await _where(org, first) or "—"
    role = _role_label(translator, SHEET_LOCALE, first)
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
                plain("sheet.expires", date=_local_day(invitation.expires_at, zone)),
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


def _local_day(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d")


async def _send_sheet(update: Update, context: CustomContext, made: list[Invitation]) -> None:
    """Say what was made, and queue the sheet's pages as PNG files (drawn by the sender)."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    services = context.services
    pages = await sheet_pages(
        services.org.repo,
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
            role=_role_label(context.app.translator, context.locale, first),
            where=await _where(services.org.repo, first) or "—",
            expires=_local_day(first.expires_at, services.settings.zone),
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
async def _list_expired(update: Update, context: CustomContext, person: Person) -> None:
    query = update.callback_query
    assert query is not None
    found = await context.services.invitations.expired_unused(person)
    await query.answer()
    if not found:
        await show(query, context.t("invite.expired_none"))
        return
    groups: Counter[tuple[str, str, str]] = Counter()
    org, zone = context.services.org.repo, context.services.settings.zone
    for invitation in found:
        role = _role_label(context.app.translator, context.locale, invitation)
        groups[
            (await _where(org, invitation) or "—", role, _local_day(invitation.expires_at, zone))
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


async def _revoke_expired(update: Update, context: CustomContext, person: Person) -> None:
    query = update.callback_query
    assert query is not None
    revoked = await context.services.invitations.revoke_expired(person)
    await query.answer()
    if not revoked:
        await show(query, context.t("invite.expired_none"))
        return
    await show(query, context.t("invite.revoked", count=len(revoked)))


# the console: python bot.py invites ...
def console_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `python bot.py invites`."""
    parser.add_argument("--station", help="the station's code (or its exact name)")
    parser.add_argument("--office", help="the office's code (or its exact name)")
    parser.add_argument(
        "--role",
        default=Role.MEMBER.value,
        choices=[r.value for r in Role if r.needs_station],
        help="the role the invitations give (default: member)",
    )
    parser.add_argument(
        "--partner-type",
        choices=[p.value for p in PartnerType],
        help="the kind of partner, for --role partner",
    )
    parser.add_argument("--count", help="how many single-use invitations (1 to 100)")
    parser.add_argument(
        "--out", type=Path, help="the sheet to write: FILE.pdf, or FILE.png (FILE-N.png per page)"
    )
    parser.add_argument(
        "--bot-username", help="the bot's @username, for the links in the QR codes"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--list-expired", action="store_true", help="list expired invitations nobody used"
    )
    mode.add_argument(
        "--revoke-expired", action="store_true", help="revoke expired invitations nobody used"
    )


def console(settings: Settings, args: argparse.Namespace) -> int:
    """`python bot.py invites`: make a sheet, or list or revoke expired unused invitations;
    answers in the deployment's default language. 0 when done, 2 when refused."""
    return asyncio.run(Console(settings).run(args))


class ConsoleError(Exception):
    """A refusal of the console command: a catalog key and its parameters."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class Console:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        offset = timedelta(seconds=settings.clock_offset_seconds)
        # the bot's own time, rehearsals included (see PATROL_CLOCK_OFFSET_SECONDS)
        self.clock = clock or (OffsetClock(offset) if offset else Clock())
        self.locale = settings.default_locale
        self.translator = Translator.load(settings.default_locale)

    def say(self, key: str, /, **params: object) -> str:
        return html.unescape(self.translator.text(self.locale, key, **params))

    async def run(self, args: argparse.Namespace) -> int:
        if not self.settings.db_path.is_file():
            print(self.say("console.no_database", path=self.settings.db_path), file=sys.stderr)
            return 2
        db = Database(self.settings.db_path)
        try:
            await db.open()
        except SchemaTooNewError as error:
            print(f"mulan-patrol: PATROL_DB_PATH {error}", file=sys.stderr)
            return 2
        try:
            services = Services.create(self.settings, db, self.clock)
            if args.list_expired or args.revoke_expired:
                await self._expired(services, args)
            else:
                await self._sheet(services, args)
        except ConsoleError as error:
            print(self.say(error.key, **error.params), file=sys.stderr)
            return 2
        except DomainError as error:
            print(self.say(error.message_key, **error.params), file=sys.stderr)
            return 2
        finally:
            await db.close()
        return 0

    async def _sheet(self, services: Services, args: argparse.Namespace) -> None:
        if args.station is None or args.count is None or args.out is None:
            raise ConsoleError("console.sheet_needs")
        count = parse_count(args.count)
        username = (args.bot_username or "").lstrip("@")
        if not BOT_USERNAME.match(username):
            raise ConsoleError("console.bot_username")
        out: Path = args.out
        if out.suffix.lower() not in (".pdf", ".png"):
            raise ConsoleError("console.sheet_format")
        from models import qrsheet

        pages = qrsheet.page_count(count)
        targets = _targets(out, pages)
        for target in targets:
            if target.exists():
                raise ConsoleError("console.file_exists", path=target)
            if not target.parent.is_dir():
                raise ConsoleError("console.no_folder", path=target.parent)
        station, office = await self._scope(services.org.repo, args.station, args.office)
        drafts = await services.invitations.draft_sheet(
            None,
            Role(args.role),
            station_id=station.id,
            office_id=office.id if office else None,
            partner_type=PartnerType(args.partner_type) if args.partner_type else None,
            count=count,
        )
        specs = await sheet_pages(
            services.org.repo, self.translator, drafts, username, self.settings.zone
        )
        # drawn and written beside the targets before the invitations are stored (a big
        # sheet takes seconds to draw: not while holding the bot's database), and moved into
        # place just before they are committed: a sheet that cannot be written makes none
        sheet = SheetFiles(targets)
        try:
            await asyncio.to_thread(sheet.write, specs)
            made = await services.invitations.save(None, drafts, before_commit=sheet.place)
        except OSError as error:
            sheet.discard()
            raise ConsoleError(
                "console.sheet_not_written",
                files=", ".join(str(t) for t in targets),
                reason=error.strerror or str(error),
            ) from None
        except BaseException:
            sheet.discard()
            raise
        print(
            self.say(
                "console.sheet_written",
                count=len(made),
                role=_role_label(self.translator, self.locale, made[0]),
                where=await _where(services.org.repo, made[0]) or "—",
                expires=_local_day(made[0].expires_at, self.settings.zone),
                files=", ".join(str(t) for t in targets),
            )
        )

    async def _expired(self, services: Services, args: argparse.Namespace) -> None:
        station_id = office_id = None
        if args.station is not None:
            station, office = await self._scope(services.org.repo, args.station, args.office)
            station_id, office_id = station.id, office.id if office else None
        elif args.office is not None:
            raise ConsoleError("console.office_needs_station")
        invitations = services.invitations
        if args.revoke_expired:
            revoked = await invitations.revoke_expired(
                None, station_id=station_id, office_id=office_id
            )
            print(self.say("console.revoked", count=len(revoked)))
            return
        found = await invitations.expired_unused(None, station_id=station_id, office_id=office_id)
        for invitation in found:
            print(
                self.say(
                    "console.expired_line",
                    reference=reference(invitation),
                    where=await _where(services.org.repo, invitation) or "—",
                    role=_role_label(self.translator, self.locale, invitation),
                    expires=_local_day(invitation.expires_at, self.settings.zone),
                )
            )
        print(self.say("console.expired_count", count=len(found)))

    async def _scope(
        self, org: OrgRepository, station_key: str, office_key: str | None
    ) -> tuple[Station, Office | None]:
        """The station and office named by code (or, failing that, by their exact name)."""
        station = _named(await org.stations(), station_key)
        if station is None:
            raise ConsoleError("console.unknown_station", name=station_key)
        if office_key is None:
            return station, None
        office = _named(await org.offices(station.id), office_key)
        if office is None:
            raise ConsoleError("console.unknown_office", name=office_key, station=station.name)
        return station, office


def _named(items: list[Named], key: str) -> Named | None:
    """The one item whose code is `key`, else the one whose name is; None if none or several."""
    for field in ("code", "name"):
        found = [item for item in items if getattr(item, field) == key.strip()]
        if len(found) == 1:
            return found[0]
    return None


class SheetFiles:
    """The files of a sheet, written whole or not at all: each page goes to a hidden
    temporary file beside its target, and is renamed to the target only when every page
    was written; `discard` removes whatever was written."""

    def __init__(self, targets: list[Path]) -> None:
        self.targets = targets
        self.temporary: list[Path] = []
        self.placed: list[Path] = []

    def write(self, specs: list[dict[str, Any]]) -> None:
        """Draw the pages and write them: all in one PDF, or one PNG per page."""
        from models import qrsheet

        if len(self.targets) == 1 and self.targets[0].suffix.lower() == ".pdf":
            contents = [qrsheet.render_pdf(specs)]
        else:
            contents = [qrsheet.render(spec) for spec in specs]
        for target, data in zip(self.targets, contents, strict=True):
            handle, name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".part", dir=target.parent
            )
            self.temporary.append(Path(name))
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())

    async def place(self) -> None:
        """Rename the written pages to their targets."""
        for temporary, target in zip(self.temporary, self.targets, strict=True):
            temporary.replace(target)
            self.placed.append(target)

    def discard(self) -> None:
        for path in (*self.temporary, *self.placed):
            path.unlink(missing_ok=True)


def _targets(out: Path, pages: int) -> list[Path]:
    """The files a sheet is written to: one PDF, or a PNG per page (`FILE-N.png` if several)."""
    if out.suffix.lower() == ".pdf" or pages == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{page}{out.suffix}") for page in range(1, pages + 1)]
