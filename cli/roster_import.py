"""`python bot.py import-roster FILE.csv|FILE.xlsx`: the people of an office's roster wait to
join (they still open an invitation link themselves; onboarding matches their name), and
`--list` shows who has not joined yet. Answers in the deployment's default language, like
`python bot.py invites`; exit 0 done, 2 a bad file or request (nothing written), 1 another
error."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from cli.invites import Console, ConsoleError
from handlers import labels
from models.config import Settings
from models.org import Office, PartnerType, Role, Station
from models.roster import PENDING_DAYS, PendingPerson
from models.roster_import import (
    Column,
    Roster,
    RosterFileError,
    RosterProblem,
    RosterProblemKind,
    Where,
    read_roster,
)
from models.services.roster_import import ImportReport, RosterImportError, RosterService
from models.store.db import Database, SchemaTooNewError

if TYPE_CHECKING:  # (read through the services' repositories, annotated here)
    from models.store.org_repo import OrgRepository

PROBLEMS: dict[RosterProblemKind, str] = {
    RosterProblemKind.NO_HEADER: "import.no_header",
    RosterProblemKind.COLUMNS_MISSING: "import.columns_missing",
    RosterProblemKind.EMPTY: "import.empty",
    RosterProblemKind.TOO_MANY: "import.too_many",
    RosterProblemKind.NO_NAME: "import.no_name",
    RosterProblemKind.NAME_TOO_LONG: "import.name_too_long",
    RosterProblemKind.NO_ROLE: "import.no_role",
    RosterProblemKind.BAD_ROLE: "import.bad_role",
    RosterProblemKind.PARTNER_KIND: "import.partner_kind",
    RosterProblemKind.OPERATOR: "import.operator_role",
    RosterProblemKind.NO_OFFICE: "import.no_office",
    RosterProblemKind.UNKNOWN_OFFICE: "import.unknown_office",
    RosterProblemKind.UNKNOWN_OFFICE_IN: "import.unknown_office_in",
    RosterProblemKind.AMBIGUOUS_OFFICE: "import.ambiguous_office",
    RosterProblemKind.NO_STATION: "import.no_station",
    RosterProblemKind.BAD_PHONE: "import.bad_phone",
    RosterProblemKind.PHONE_SHORTENED: "import.phone_shortened",
    RosterProblemKind.PHONE_LOST_ZERO: "import.phone_lost_zero",
    RosterProblemKind.TWICE: "import.twice",
    RosterProblemKind.PHONE_TWICE: "import.phone_twice",
    RosterProblemKind.REGISTERED: "import.registered",
    RosterProblemKind.PENDING: "import.pending",
}
FILE_PROBLEMS = {
    "format": "import.format",
    "bad_csv": "import.bad_csv",
    "not_text": "import.not_text",
    "bad_xlsx": "import.bad_xlsx",
    "too_big": "import.too_big",
    "bad_merge": "import.bad_merge",
}
COLUMNS = {
    Column.NAME: "import.column_name",
    Column.ROLE: "import.column_role",
    Column.OFFICE: "import.column_office",
}


def console_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `python bot.py import-roster`."""
    parser.add_argument(
        "file",
        nargs="?",
        type=Path,
        help="the roster, FILE.csv or FILE.xlsx: columns 姓名 角色 警务室 电话"
        " (or name, role, office, phone)",
    )
    parser.add_argument(
        "--station", help="the station's code (or exact name) whose offices the file names"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="check the file and show the result; write nothing"
    )
    parser.add_argument(
        "--skip-known",
        action="store_true",
        help="skip people already registered or already waiting, instead of refusing the file",
    )
    parser.add_argument("--list", action="store_true", help="list who has not joined yet")
    parser.add_argument(
        "--phones", action="store_true", help="with --list: show the phone numbers in full"
    )


def console(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(RosterConsole(settings).run(args))


class RosterConsole(Console):
    async def run(self, args: argparse.Namespace) -> int:
        if args.list == (args.file is not None):
            print(self.say("import.file_or_list"), file=sys.stderr)
            return 2
        roster: Roster | None = None
        if args.file is not None:
            try:
                roster = await asyncio.to_thread(read_roster, args.file)
            except OSError as error:
                reason = error.strerror or str(error)
                print(
                    self.say("import.unreadable", path=args.file, reason=reason), file=sys.stderr
                )
                return 2
            except RosterFileError as error:
                key = FILE_PROBLEMS[error.code]
                print(self.say(key, path=args.file, **error.params), file=sys.stderr)
                return 2
        if not self.settings.db_path.is_file():
            print(self.say("console.no_database", path=self.settings.db_path), file=sys.stderr)
            return 2
        db = Database(self.settings.db_path)
        try:
            await db.open()
            try:
                return await self._run(db, args, roster)
            finally:
                await db.close()
        except SchemaTooNewError as error:
            print(f"mulan-patrol: PATROL_DB_PATH {error}", file=sys.stderr)
            return 2
        except (sqlite3.Error, OSError) as error:
            print(
                f"mulan-patrol: PATROL_DB_PATH {self.settings.db_path}: {error}", file=sys.stderr
            )
            return 1

    async def _run(self, db: Database, args: argparse.Namespace, roster: Roster | None) -> int:
        service = RosterService(db, self.clock)
        try:
            station = None
            if args.station is not None:
                station, _ = await self._scope(service.org, args.station, None)
            if roster is None:
                await self._list(service, station, args.phones)
                return 0
            report = await service.import_roster(
                roster,
                source=args.file.name,
                station=station,
                dry_run=args.dry_run,
                skip_known=args.skip_known,
            )
        except ConsoleError as error:
            print(self.say(error.key, **error.params), file=sys.stderr)
            return 2
        except RosterImportError as error:
            print(
                self.say("import.refused", path=args.file, count=len(error.problems)),
                file=sys.stderr,
            )
            for problem in error.problems:
                print(self._problem_line(problem), file=sys.stderr)
            if roster is not None:
                self._unread(roster, sys.stderr)
            return 2
        self._report(report, roster, args.file)
        return 0

    # the import
    def _report(self, report: ImportReport, roster: Roster, path: Path) -> None:
        for item in report.created:
            entry = item.entry
            place = item.office.name if item.office else item.station.name
            print(
                self.say(
                    "import.created_line",
                    where=self._where(entry.where),
                    name=entry.name,
                    role=self._role(entry.role, entry.partner_type),
                    place=place,
                )
            )
        for problem in report.skipped:
            print(
                self.say(
                    "import.skipped_line",
                    where=self._where(problem.where),
                    reason=self._problem(problem),
                )
            )
        if roster.sheets_without_header:
            sheets = self._joined(roster.sheets_without_header)
            print(self.say("import.sheets_ignored", sheets=sheets))
        self._unread(roster, sys.stdout)
        count = len(report.created)
        if report.dry_run:
            print(self.say("import.dry_run", path=path, count=count))
        else:
            print(self.say("import.done", path=path, count=count, days=PENDING_DAYS))

    def _unread(self, roster: Roster, out: TextIO) -> None:
        """A note for each header row with columns the import does not read."""
        for unread in roster.unread_columns:
            columns = self._joined(
                f"“{c}”" if self.locale == "zh_CN" else f'"{c}"' for c in unread.cells
            )
            print(
                self.say(
                    "import.unread_columns", where=self._where(unread.where), columns=columns
                ),
                file=out,
            )

    def _problem_line(self, problem: RosterProblem) -> str:
        if problem.where is None:
            return self.say("import.problem_file", problem=self._problem(problem))
        return self.say(
            "import.problem_line", where=self._where(problem.where), problem=self._problem(problem)
        )

    def _problem(self, problem: RosterProblem) -> str:
        params: dict[str, object] = {}
        for name, value in problem.params.items():
            if isinstance(value, Where):
                params[name] = self._where(value)
            elif isinstance(value, datetime):
                params[name] = self._day(value)
            elif name == "columns" and isinstance(value, list):
                params[name] = self._joined(self.say(COLUMNS[Column(c)]) for c in value)
            elif isinstance(value, list):
                params[name] = self._joined(str(v) for v in value)
            else:
                params[name] = value
        return self.say(PROBLEMS[problem.kind], **params)

    def _where(self, where: Where | None) -> str:
        if where is None:
            return ""
        if where.sheet is not None:
            return self.say("import.at_sheet_row", sheet=where.sheet, row=where.row)
        return self.say("import.at_row", row=where.row)

    # the list
    async def _list(self, service: RosterService, station: Station | None, phones: bool) -> None:
        waiting = await service.waiting(station.id if station else None)
        if not waiting:
            print(self.say("import.list_none"))
            return
        stations = {s.id: s for s in await service.org.stations(active_only=False)}
        offices: dict[int, Office | None] = {}
        shown: int | None = None
        for pending in waiting:
            if pending.station_id != shown:
                shown = pending.station_id
                there = stations.get(shown)
                count = sum(1 for p in waiting if p.station_id == shown)
                name = there.name if there else f"#{shown}"
                print(self.say("import.list_station", station=name, count=count))
            print(await self._list_line(service.org, pending, offices, stations, phones))
        print(self.say("import.list_count", count=len(waiting), days=PENDING_DAYS))

    async def _list_line(
        self,
        org: OrgRepository,
        pending: PendingPerson,
        offices: dict[int, Office | None],
        stations: dict[int, Station],
        phones: bool,
    ) -> str:
        if pending.office_id is not None:
            if pending.office_id not in offices:
                offices[pending.office_id] = await org.office(pending.office_id)
            office = offices[pending.office_id]
            place = office.name if office else f"#{pending.office_id}"
        else:
            station = stations.get(pending.station_id)
            place = station.name if station else f"#{pending.station_id}"
        phone = pending.phone if phones else masked(pending.phone)
        return self.say(
            "import.list_line",
            name=pending.name,
            role=self._role(pending.role, pending.partner_type),
            place=place,
            phone=phone or "—",
            day=self._day(pending.imported_at),
            source=pending.source,
            row=pending.source_row,
        )

    # words
    def _role(self, role: Role, partner_type: PartnerType | None) -> str:
        text = self.translator.plain(self.locale, labels.ROLE[role])
        if partner_type is None:
            return text
        kind = self.translator.plain(self.locale, labels.PARTNER[partner_type])
        return self.say("invite.partner_role", role=text, kind=kind)

    def _joined(self, items: Iterable[str]) -> str:
        return ("、" if self.locale == "zh_CN" else ", ").join(items)

    def _day(self, moment: datetime) -> str:
        day = moment.astimezone(self.settings.zone).date()
        return self.translator.day(self.locale, day, with_year=True)


def masked(phone: str | None) -> str | None:
    """A phone number with its middle hidden, for a list on a screen others may see:
    `138****5678`, `0351-***4567`."""
    if not phone:
        return phone
    area, dash, local = phone.rpartition("-")
    if dash:
        return f"{area}-{'*' * (len(local) - 4)}{local[-4:]}"
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"
