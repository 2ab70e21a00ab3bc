"""Importing a roster: the checked rows of a file (see `models/roster_import.py`) become pending
people of their office, in one transaction that writes nothing when any row is wrong (an
office nobody knows, a person twice in the file, someone already registered or already
waiting in that office). Each pending person is audited as `roster:import`, without their
name or phone. They join later through an invitation of their office: onboarding matches the
name they give (see `PeopleService.register`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.clock import Clock
from models.org import Office, Person, Station
from models.roster import PendingPerson, name_key
from models.roster_import import (
    OfficeCell,
    Roster,
    RosterEntry,
    RosterProblem,
    RosterProblemKind,
)
from models.store.db import Database
from models.store.misc_repo import AuditRepository
from models.store.org_repo import OrgRepository
from models.store.people_repo import PeopleRepository
from models.store.roster_repo import RosterRepository

ACTION = "roster:import"
SUBJECT = "pending_person"

Place = tuple[Station, Office | None]
PlaceKey = tuple[int, int | None, str]  # station, office (None: the station's own), name key


@dataclass(frozen=True)
class PlannedPerson:
    """A row that becomes (or, in a dry run, would become) a pending person."""

    entry: RosterEntry
    station: Station
    office: Office | None


@dataclass
class ImportReport:
    dry_run: bool = False
    created: list[PlannedPerson] = field(default_factory=list)
    skipped: list[RosterProblem] = field(default_factory=list)  # known people (--skip-known)


class RosterImportError(Exception):
    """The roster was refused whole; every problem names its row."""

    def __init__(self, problems: list[RosterProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


class RosterService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.repo = RosterRepository(db)
        self.org = OrgRepository(db)
        self.people = PeopleRepository(db)
        self.audit = AuditRepository(db)

    async def import_roster(
        self,
        roster: Roster,
        *,
        source: str,
        station: Station | None = None,
        actor: Person | None = None,
        dry_run: bool = False,
        skip_known: bool = False,
    ) -> ImportReport:
        """Make the roster's people pending, all or none: `RosterImportError` lists every
        problem (the file's and the database's). Offices are looked up in `station` when
        given, else in every active station. With `skip_known`, people already registered or
        already waiting in their office are skipped (and reported) instead of refused."""
        report = ImportReport(dry_run=dry_run)
        problems = list(roster.problems)
        async with self.db.write():
            scope = await self._scope(station)
            for cell in roster.unchecked_offices:
                if isinstance(found := _resolve(cell, scope, station), RosterProblem):
                    problems.append(found)
            seen: dict[PlaceKey, RosterEntry] = {}
            registered: dict[int, dict[tuple[int | None, str], Person]] = {}
            for entry in roster.entries:
                place = _resolve(_office_cell(entry), scope, station)
                if isinstance(place, RosterProblem):
                    problems.append(place)
                    continue
                row_station, office = place
                key = (row_station.id, office.id if office else None, name_key(entry.name))
                if key in seen:
                    problems.append(
                        RosterProblem(
                            RosterProblemKind.TWICE,
                            entry.where,
                            {"name": entry.name, "other": seen[key].where},
                        )
                    )
                    continue
                seen[key] = entry
                if row_station.id not in registered:
                    registered[row_station.id] = {
                        (p.office_id, name_key(p.name)): p
                        for p in await self.people.in_station(row_station.id, active_only=True)
                    }
                known = await self._known(
                    entry, row_station, office, key, registered[row_station.id]
                )
                if known is None:
                    report.created.append(PlannedPerson(entry, row_station, office))
                elif skip_known:
                    report.skipped.append(known)
                else:
                    problems.append(known)
            if problems:
                problems.sort(key=lambda p: p.where.order if p.where else (-1, 0))
                raise RosterImportError(problems)
            if not dry_run:
                await self._create(report.created, source, actor)
        return report

    async def waiting(self, station_id: int | None = None) -> list[PendingPerson]:
        """Who has not joined yet (of one station), by station, office and name."""
        return await self.repo.waiting_in(station_id)

    async def _scope(self, station: Station | None) -> list[tuple[Station, list[Office]]]:
        stations = [station] if station is not None else await self.org.stations()
        return [(s, await self.org.offices(s.id)) for s in stations]

    async def _known(
        self,
        entry: RosterEntry,
        station: Station,
        office: Office | None,
        key: PlaceKey,
        registered: dict[tuple[int | None, str], Person],
    ) -> RosterProblem | None:
        """Why this person need not be imported: registered, or waiting already."""
        place = office.name if office else station.name
        if (key[1], key[2]) in registered:
            return RosterProblem(
                RosterProblemKind.REGISTERED, entry.where, {"name": entry.name, "place": place}
            )
        waiting = await self.repo.waiting(key[0], key[1], key[2])
        if waiting:
            return RosterProblem(
                RosterProblemKind.PENDING,
                entry.where,
                {"name": entry.name, "place": place, "since": waiting[0].imported_at},
            )
        return None

    async def _create(
        self, planned: list[PlannedPerson], source: str, actor: Person | None
    ) -> None:
        now = self.clock.now()
        for item in planned:
            entry = item.entry
            office_id = item.office.id if item.office else None
            row_source = f"{source} ({entry.where.sheet})" if entry.where.sheet else source
            pending_id = await self.repo.add(
                station_id=item.station.id,
                office_id=office_id,
                name=entry.name,
                name_key=name_key(entry.name),
                phone=entry.phone,
                role=entry.role,
                partner_type=entry.partner_type,
                source=row_source,
                source_row=entry.where.row,
                imported_by=actor.id if actor else None,
                at=now,
            )
            after: dict[str, object] = {
                "role": entry.role.value,
                "partner_type": entry.partner_type.value if entry.partner_type else None,
                "station_id": item.station.id,
                "office_id": office_id,
                "phone": entry.phone is not None,  # whether it has one; never the number
                "source": f"{row_source}:{entry.where.row}",
            }
            if actor is None:
                after["via"] = "console"
            await self.audit.record(
                at=now,
                actor_id=actor.id if actor else None,
                action=ACTION,
                subject_type=SUBJECT,
                subject_id=pending_id,
                after=after,
            )


def _office_cell(entry: RosterEntry) -> OfficeCell:
    return OfficeCell(entry.where, entry.office, not entry.role.needs_office)


def _resolve(
    entry: OfficeCell, scope: list[tuple[Station, list[Office]]], chosen: Station | None
) -> Place | RosterProblem:
    """The station and office of a row: an office by its code, else its exact name (spaces
    and full-width letters aside). A chief or duty row belongs to a station: its office cell
    may be empty (the station given with --station, or the only one), name the station, or
    name one of its offices (None is returned as its office)."""
    text = entry.office
    if entry.station_role:
        if not text:
            if chosen is not None:
                return chosen, None
            if len(scope) == 1:
                return scope[0][0], None
            return RosterProblem(RosterProblemKind.NO_STATION, entry.where)
        stations = _named([s for s, _ in scope], text)
        if len(stations) == 1:
            return stations[0], None
    offices = [(s, o) for s, os in scope for o in os]
    found = _named_offices(offices, text)
    if len(found) == 1:
        station, office = found[0]
        return (station, None) if entry.station_role else (station, office)
    if found:
        return RosterProblem(
            RosterProblemKind.AMBIGUOUS_OFFICE,
            entry.where,
            {"office": text, "stations": sorted({s.name for s, _ in found})},
        )
    if chosen is not None:
        return RosterProblem(
            RosterProblemKind.UNKNOWN_OFFICE_IN,
            entry.where,
            {"office": text, "station": chosen.name},
        )
    return RosterProblem(RosterProblemKind.UNKNOWN_OFFICE, entry.where, {"office": text})


def _named(stations: list[Station], text: str) -> list[Station]:
    key = name_key(text)
    for field_name in ("code", "name"):
        found = [s for s in stations if name_key(getattr(s, field_name) or "") == key]
        if found:
            return found
    return []


def _named_offices(
    offices: list[tuple[Station, Office]], text: str
) -> list[tuple[Station, Office]]:
    """The offices whose code is `text`, else those whose name is."""
    key = name_key(text)
    by_code = [(s, o) for s, o in offices if o.code is not None and name_key(o.code) == key]
    return by_code or [(s, o) for s, o in offices if name_key(o.name) == key]
