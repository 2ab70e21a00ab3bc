"""`python bot.py invites`: a printable sheet of invitation QR codes, and the expired
unused invitations listed or revoked — the same invitation service the bot uses."""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handlers.invite import (
    BOT_USERNAME,
    Named,
    local_day,
    parse_count,
    reference,
    role_label,
    sheet_pages,
    where_of,
)
from locales import Translator
from models.clock import Clock, OffsetClock
from models.config import Settings
from models.errors import DomainError
from models.org import Office, PartnerType, Role, Station
from models.services import Services
from models.store.db import Database, SchemaTooNewError

if TYPE_CHECKING:  # (read through the services' repositories, annotated here)
    from models.store.org_repo import OrgRepository


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
            services.org, self.translator, drafts, username, self.settings.zone
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
                role=role_label(self.translator, self.locale, made[0]),
                where=await where_of(services.org, made[0]) or "—",
                expires=local_day(made[0].expires_at, self.settings.zone),
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
                    where=await where_of(services.org, invitation) or "—",
                    role=role_label(self.translator, self.locale, invitation),
                    expires=local_day(invitation.expires_at, self.settings.zone),
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
