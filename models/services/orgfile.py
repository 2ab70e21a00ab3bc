"""`bot.py apply FILE` and `bot.py export-org FILE`: bring the database to an organisation file
and write the file back from the database.

Applying matches by stable keys (a station's code, an office's code within its station, a place's
name within its office, a peak period's name within its station; a station or office without a
code by its name), creates what is missing, updates what changed, reactivates what was removed,
and lists what the database has beyond the file: within the stations the file lists, that is
deactivated only with `prune`; a station the file does not list only with `prune_stations`.
A changed shift list keeps every place at its hours (places store their shifts as positions in
the list). Everything happens in one write transaction (a dry run rolls it back) and every
change is audited as `org:apply` with no actor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum, StrEnum
from typing import Any, Protocol, TypeVar

from models.clock import Clock
from models.config import Settings
from models.errors import DomainError
from models.org import Office, Place, PlaceKind, Station
from models.orgfile import (
    DEFAULT_NEED,
    DEFAULT_PLACE_SHIFTS,
    SHIFTS_KEY,
    HotSpotRef,
    OfficeSpec,
    OrgFileError,
    OrgSpec,
    PeakSpec,
    PlaceSpec,
    Problem,
    StationSpec,
    setting_text,
)
from models.station_settings import SETTINGS, SETTINGS_BY_KEY, ShiftRenumbering
from models.store.db import Database
from models.store.misc_repo import AuditRepository, StationSettingsRepository
from models.store.org_repo import OrgRepository
from models.store.orgfile_repo import OrgFileRepository, StoredPeak

ACTION = "org:apply"


class ChangeKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    # deactivated (a setting: reset to its default); only with --prune (--prune-stations for a
    # station the file does not list)
    REMOVE = "remove"
    KEEP = "keep"  # in the database but not in the file, and kept


_MARK = {
    ChangeKind.CREATE: "+",
    ChangeKind.UPDATE: "~",
    ChangeKind.REMOVE: "-",
    ChangeKind.KEEP: "?",
}


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    subject: str  # station, office, place, setting, peak
    label: str
    details: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{_MARK[self.kind]} {self.subject} {self.label}"
        return f"{text}: {'; '.join(self.details)}" if self.details else text


@dataclass
class ApplyReport:
    dry_run: bool = False
    prune: bool = False
    prune_stations: bool = False
    changes: list[Change] = field(default_factory=list)

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind is kind)

    @property
    def changed(self) -> bool:
        return any(c.kind is not ChangeKind.KEEP for c in self.changes)

    def lines(self, source: str) -> list[str]:
        """What a person reads after `apply`: each change, then the counts."""
        lines = [str(c) for c in self.changes]
        if self.changed:
            lines.append(
                f"{self.count(ChangeKind.CREATE)} created, {self.count(ChangeKind.UPDATE)}"
                f" updated, {self.count(ChangeKind.REMOVE)} removed"
            )
        else:
            lines.append(f"no changes: the database already matches {source}")
        kept = [c for c in self.changes if c.kind is ChangeKind.KEEP]
        if inside := sum(1 for c in kept if c.subject != "station"):
            lines.append(
                f"{inside} in the database but not in the file: kept"
                " (apply with --prune to deactivate them)"
            )
        if stations := sum(1 for c in kept if c.subject == "station"):
            lines.append(
                f"{stations} stations in the database but not in the file: kept"
                " (apply with --prune-stations to deactivate them)"
            )
        if self.dry_run:
            lines.append("dry run: nothing was changed")
        return lines


class _DryRun(Exception):
    """Raised inside the transaction of a dry run, so it rolls back."""


def default_templates() -> tuple[str, ...]:
    """The shift templates of a station that has not set its own."""
    spec = SETTINGS_BY_KEY[SHIFTS_KEY]
    # the default shifts do not depend on the deployment's settings, which apply does not read
    return templates_of(spec.dump(spec.default(Settings.model_construct())))


def templates_of(text: str) -> tuple[str, ...]:
    """Stored shift templates (`08:00-11:00,14:00-17:00`) one by one."""
    spec = SETTINGS_BY_KEY[SHIFTS_KEY]
    return tuple(spec.dump((pair,)) for pair in spec.parse(text))


class OrgFileService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.org = OrgRepository(db)
        self.repo = OrgFileRepository(db)
        self.settings = StationSettingsRepository(db)
        self.audit = AuditRepository(db)

    async def apply(
        self,
        spec: OrgSpec,
        *,
        prune: bool = False,
        prune_stations: bool = False,
        dry_run: bool = False,
    ) -> ApplyReport:
        """Bring the database to `spec` in one transaction; raise `OrgFileError` (changing
        nothing) when the file does not fit the database, e.g. a shift the station lacks.
        `prune` deactivates what the listed stations have beyond the file (and resets their
        settings the file leaves out); `prune_stations` deactivates the stations it lacks."""
        report = ApplyReport(dry_run=dry_run, prune=prune, prune_stations=prune_stations)
        try:
            async with self.db.write():
                run = _Apply(self, report, prune, prune_stations)
                await run.organisation(spec)
                if run.problems:
                    by_line = sorted(run.problems, key=lambda p: p.line or 0)
                    raise OrgFileError(by_line)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        return report

    async def export(self) -> OrgSpec:
        """The active organisation, in the order it was created."""
        stations = []
        for station in sorted(await self.org.stations(), key=lambda s: s.id):
            stations.append(await self._export_station(station))
        return OrgSpec(tuple(stations))

    async def _export_station(self, station: Station) -> StationSpec:
        stored = await self.settings.values(station.id)
        shifts_text = stored.pop(SHIFTS_KEY, None)
        shifts = _templates_or_none(shifts_text)
        templates = shifts or default_templates()
        settings = {}
        for spec in SETTINGS:
            if spec.key in stored:
                settings[spec.key] = _canonical(spec.key, stored[spec.key])
        offices = []
        refs: dict[int, HotSpotRef] = {}
        for office in sorted(await self.org.offices(station.id), key=lambda o: o.id):
            key = office.code if office.code is not None else office.name
            places = []
            for place in sorted(await self.org.places(office.id), key=lambda p: p.id):
                places.append(_place_spec(place, templates))
                if place.is_hot_spot:
                    refs[place.id] = HotSpotRef(key, place.name)
            offices.append(
                OfficeSpec(
                    name=office.name,
                    code=office.code,
                    latitude=office.latitude,
                    longitude=office.longitude,
                    places=tuple(places),
                )
            )
        peaks = tuple(
            PeakSpec(
                name=peak.name,
                start=peak.start,
                end=peak.end,
                level=peak.level,
                hot_spots=frozenset(refs[i] for i in peak.hot_spots if i in refs),
            )
            for peak in await self.repo.peaks(station.id)
            if peak.active
        )
        return StationSpec(
            name=station.name,
            code=station.code,
            shifts=shifts,
            settings=settings,
            offices=tuple(offices),
            peaks=peaks,
        )


class _Apply:
    """One application of a file: walks the file beside the database, station by station."""

    def __init__(
        self, service: OrgFileService, report: ApplyReport, prune: bool, prune_stations: bool
    ) -> None:
        self.s = service
        self.report = report
        self.prune = prune
        self.prune_stations = prune_stations
        self.now = service.clock.now()
        self.problems: list[Problem] = []
        # the station being applied: its shift list's change (None: the same list), and the
        # places the file gave (renumbered as they are updated)
        self.renumbering: ShiftRenumbering | None = None
        self.station_spec = StationSpec(name="")
        self.handled: set[int] = set()

    def change(
        self, kind: ChangeKind, subject: str, label: str, details: Iterable[str] = ()
    ) -> None:
        self.report.changes.append(Change(kind, subject, label, tuple(details)))

    async def audit(
        self, subject_type: str, subject_id: int, before: object, after: object
    ) -> None:
        await self.s.audit.record(
            at=self.now,
            actor_id=None,
            action=ACTION,
            subject_type=subject_type,
            subject_id=subject_id,
            before=before,
            after=after,
        )

    # --- stations ---------------------------------------------------------------------------
    async def organisation(self, spec: OrgSpec) -> None:
        rows = await self.s.org.stations(active_only=False)
        matched: set[int] = set()
        for want in spec.stations:
            station_id = await self.station(want, rows, matched)
            matched.add(station_id)
        for row in rows:
            if row.active and row.id not in matched:
                await self.station_extra(row)

    async def station(self, want: StationSpec, rows: list[Station], matched: set[int]) -> int:
        label = _label(want.name, want.code)
        row = _match(want.code, want.name, [r for r in rows if r.id not in matched])
        if row is None:
            station = await self.s.org.add_station(want.name, self.now, want.code)
            station_id = station.id
            await self.audit("station", station_id, None, {"name": want.name, "code": want.code})
            self.change(ChangeKind.CREATE, "station", label)
        else:
            station_id = row.id
            before, after, details = _diff(
                ("code", row.code, want.code), ("name", row.name, want.name), _active(row.active)
            )
            if details:
                await self.s.repo.set_station(
                    station_id, name=want.name, code=want.code, active=True
                )
                await self.audit("station", station_id, before, after)
                self.change(ChangeKind.UPDATE, "station", label, details)
        old_templates, templates = await self.settings(station_id, want)
        self.station_spec, self.handled = want, set()
        self.renumbering = None
        if row is not None and old_templates != templates:
            self.renumbering = ShiftRenumbering(old_templates, templates)
        places: dict[HotSpotRef, int] = {}
        names: dict[int, str] = {}
        offices = await self.s.org.offices(station_id, active_only=False)
        used: set[int] = set()
        for office in want.offices:
            used.add(
                await self.office(
                    station_id, want, office, offices, used, templates, places, names
                )
            )
        for row_office in offices:
            if row_office.active and row_office.id not in used:
                await self.office_extra(want.name, row_office)
                names.update({p.id: p.name for p in await self.s.org.places(row_office.id)})
        if self.renumbering is not None:
            await self.renumber_others(station_id, want)
        await self.peaks(station_id, want, places, names)
        return station_id

    async def station_extra(self, row: Station) -> None:
        offices = await self.s.org.offices(row.id)
        places = [p for o in offices for p in await self.s.org.places(o.id)]
        peaks = [p for p in await self.s.repo.peaks(row.id) if p.active]
        people = await self.s.repo.people_of_station(row.id)
        details = _counts(offices=len(offices), places=len(places), peaks=len(peaks))
        label = _label(row.name, row.code)
        if not self.prune_stations:
            self.change(ChangeKind.KEEP, "station", label, ["not in the file", *details])
            return
        await self.s.repo.set_station(row.id, name=row.name, code=row.code, active=False)
        await self.audit("station", row.id, {"active": True}, {"active": False})
        for office in offices:
            await self._deactivate_office(office)
        for peak in peaks:
            await self._deactivate_peak(peak)
        if people:
            details.append(f"{people} people still belong to it")
        self.change(ChangeKind.REMOVE, "station", label, ["deactivated", *details])

    # --- settings and shift templates ---------------------------------------------------------
    async def settings(
        self, station_id: int, want: StationSpec
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Store the file's settings; return the shift templates the station had and those
        it will have."""
        stored = await self.s.settings.values(station_id)
        # a stored list that no longer parses is the default to the bot (see /settings)
        had = _templates_or_none(stored.get(SHIFTS_KEY)) or default_templates()
        wanted = dict(want.settings)
        if want.shifts is not None:
            wanted[SHIFTS_KEY] = ",".join(want.shifts)
        for key, text in wanted.items():
            old = stored.get(key)
            if old is not None and _canonical(key, old) == text:
                continue
            await self.s.repo.put_setting(station_id, key, text, self.now)
            await self.audit("station", station_id, {key: old}, {key: text})
            kind = ChangeKind.CREATE if old is None else ChangeKind.UPDATE
            shown = f"{old} -> {text}" if old is not None else f"set to {text}"
            self.change(kind, "setting", f"{want.name}/{key}", [shown])
        for key, old in stored.items():
            if key in wanted:
                continue
            label = f"{want.name}/{key}"
            if self.prune:
                await self.s.settings.delete(station_id, key)
                await self.audit("station", station_id, {key: old}, {key: None})
                self.change(ChangeKind.REMOVE, "setting", label, [f"{old} -> the default"])
            else:
                self.change(ChangeKind.KEEP, "setting", label, [f"{old}, not in the file"])
        if want.shifts is not None:
            return had, want.shifts
        if not self.prune:
            return had, had
        return had, default_templates()

    # --- offices and places -------------------------------------------------------------------
    async def office(
        self,
        station_id: int,
        station: StationSpec,
        want: OfficeSpec,
        rows: list[Office],
        used: set[int],
        templates: tuple[str, ...],
        hot_spots: dict[HotSpotRef, int],
        names: dict[int, str],
    ) -> int:
        label = _label(f"{station.name}/{want.name}", want.code)
        row = _match(want.code, want.name, [r for r in rows if r.id not in used])
        if row is None:
            office_id = await self.s.repo.add_office(
                station_id,
                name=want.name,
                code=want.code,
                latitude=want.latitude,
                longitude=want.longitude,
                at=self.now,
            )
            await self.audit(
                "office",
                office_id,
                None,
                {
                    "name": want.name,
                    "code": want.code,
                    "latitude": want.latitude,
                    "longitude": want.longitude,
                },
            )
            self.change(
                ChangeKind.CREATE, "office", label, _located(want.latitude, want.longitude)
            )
            places: list[Place] = []
        else:
            office_id = row.id
            located = want.latitude is not None
            latitude = want.latitude if located else row.latitude
            longitude = want.longitude if located else row.longitude
            before, after, details = _diff(
                ("code", row.code, want.code),
                ("name", row.name, want.name),
                ("latitude", row.latitude, latitude),
                ("longitude", row.longitude, longitude),
                _active(row.active),
            )
            if details:
                await self.s.repo.set_office(
                    office_id,
                    name=want.name,
                    code=want.code,
                    latitude=latitude,
                    longitude=longitude,
                    active=True,
                )
                await self.audit("office", office_id, before, after)
                self.change(ChangeKind.UPDATE, "office", label, details)
            places = await self.s.org.places(office_id, active_only=False)
        prefix = f"{station.name}/{want.name}"
        matched: set[int] = set()
        for place in want.places:
            place_id, is_hot_spot = await self.place(
                office_id, prefix, place, places, matched, templates
            )
            matched.add(place_id)
            names[place_id] = place.name
            if is_hot_spot:
                hot_spots[HotSpotRef(want.key, place.name)] = place_id
        for row_place in places:
            if row_place.active and row_place.id not in matched:
                names[row_place.id] = row_place.name
                await self.place_extra(prefix, row_place)
        return office_id

    async def office_extra(self, station_name: str, row: Office) -> None:
        places = await self.s.org.places(row.id)
        people = await self.s.repo.people_in_offices([row.id])
        label = _label(f"{station_name}/{row.name}", row.code)
        details = _counts(places=len(places))
        if not self.prune:
            self.change(ChangeKind.KEEP, "office", label, ["not in the file", *details])
            return
        await self._deactivate_office(row)
        if people:
            details.append(f"{people} people still belong to it")
        self.change(ChangeKind.REMOVE, "office", label, ["deactivated", *details])

    async def _deactivate_office(self, row: Office) -> None:
        await self.s.repo.set_office(
            row.id,
            name=row.name,
            code=row.code,
            latitude=row.latitude,
            longitude=row.longitude,
            active=False,
        )
        await self.audit("office", row.id, {"active": True}, {"active": False})
        for place in await self.s.org.places(row.id):
            await self._deactivate_place(place)

    async def place(
        self,
        office_id: int,
        prefix: str,
        want: PlaceSpec,
        rows: list[Place],
        matched: set[int],
        templates: tuple[str, ...],
    ) -> tuple[int, bool]:
        """Create or update one place; return its id and whether it is a hot spot now."""
        label = f"{prefix}/{want.name}"
        row = _best([r for r in rows if r.id not in matched and r.name == want.name])
        if row is None:
            kinds = want.kinds or frozenset()
            shifts = self.shift_indices(want, templates, DEFAULT_PLACE_SHIFTS)
            need = want.need if want.need is not None else DEFAULT_NEED
            place_id = await self.s.repo.add_place(
                office_id,
                name=want.name,
                kinds=kinds,
                latitude=want.latitude,
                longitude=want.longitude,
                shifts=shifts,
                need=need,
                at=self.now,
            )
            self.handled.add(place_id)  # numbered by the new list already
            await self.audit(
                "place",
                place_id,
                None,
                {
                    "name": want.name,
                    "kinds": _kinds(kinds),
                    "latitude": want.latitude,
                    "longitude": want.longitude,
                    "shifts": list(shifts),
                    "need": need,
                },
            )
            what = [", ".join(_kinds(kinds)) or "no kind"]
            if PlaceKind.PATROL_AREA in kinds:
                what.append(f"shifts {_show(_shift_names(shifts, templates))}, need {need}")
            self.change(ChangeKind.CREATE, "place", label, what)
            return place_id, PlaceKind.HOT_SPOT in kinds
        self.handled.add(row.id)
        old_kinds = frozenset(k for k in PlaceKind if row.has_kind(k))
        kinds = want.kinds if want.kinds is not None else old_kinds
        located = want.latitude is not None
        latitude = want.latitude if located else row.latitude
        longitude = want.longitude if located else row.longitude
        renumbering = self.renumbering
        if renumbering is None:
            # shifts past the station's templates are never planned: not a change
            kept = tuple(sorted(i for i in set(row.shifts) if i < len(templates)))
            hours = _shift_names(kept, templates)
        else:  # the station's list changed: the same hours are at other positions
            kept, hours = renumbering.indices(row.shifts), renumbering.names(row.shifts)
            if want.shifts is None and hours and not kept and PlaceKind.PATROL_AREA in kinds:
                self.problems.append(self.no_shift_left(label, hours))
        shifts = self.shift_indices(want, templates, kept)
        need = want.need if want.need is not None else row.patrol_need
        before, after, details = _diff(
            ("kinds", _kinds(old_kinds), _kinds(kinds)),
            ("latitude", row.latitude, latitude),
            ("longitude", row.longitude, longitude),
            ("shifts", hours, _shift_names(shifts, templates)),
            ("need", row.patrol_need, need),
            _active(row.active),
        )
        stored = tuple(sorted(set(row.shifts)))
        if renumbering is not None and shifts != stored:
            details += _renumbered(renumbering, row.shifts, shifts, before, after)
        if details:
            await self.s.repo.set_place(
                row.id,
                kinds=kinds,
                latitude=latitude,
                longitude=longitude,
                shifts=shifts if renumbering is not None or shifts != kept else row.shifts,
                need=need,
                active=True,
            )
            await self.audit("place", row.id, before, after)
            self.change(ChangeKind.UPDATE, "place", label, details)
        return row.id, PlaceKind.HOT_SPOT in kinds

    def shift_indices(
        self, want: PlaceSpec, templates: tuple[str, ...], otherwise: tuple[int, ...]
    ) -> tuple[int, ...]:
        """The place's shifts as numbers of the station's templates (as places store them);
        `otherwise` when the file does not give them."""
        if want.shifts is None:
            return otherwise
        indices = []
        for text, origin in zip(want.shifts, want.shift_origins, strict=True):
            if text in templates:
                indices.append(templates.index(text))
            else:
                self.problems.append(
                    Problem(
                        origin.line,
                        origin.where,
                        f"{text} is not one of the station's shifts ({', '.join(templates)})",
                    )
                )
        return tuple(sorted(indices))

    async def renumber_others(self, station_id: int, station: StationSpec) -> None:
        """Keep the hours of the station's places the file did not give (places it leaves
        out, of offices it leaves out, removed ones) when its shift list changed; refuse the
        file if an active patrol area would be left with no shift."""
        renumbering = self.renumbering
        assert renumbering is not None
        for office in await self.s.org.offices(station_id, active_only=False):
            for row in await self.s.org.places(office.id, active_only=False):
                shifts = renumbering.indices(row.shifts)
                if row.id in self.handled or shifts == tuple(sorted(set(row.shifts))):
                    continue
                label = f"{station.name}/{office.name}/{row.name}"
                hours = renumbering.names(row.shifts)
                if row.active and row.is_patrol_area and hours and not shifts:
                    self.problems.append(self.no_shift_left(label, hours))
                    continue
                await self.s.repo.set_place(
                    row.id,
                    kinds=frozenset(k for k in PlaceKind if row.has_kind(k)),
                    latitude=row.latitude,
                    longitude=row.longitude,
                    shifts=shifts,
                    need=row.patrol_need,
                    active=row.active,
                )
                before, after, details = _diff(
                    ("shifts", hours, _shift_names(shifts, renumbering.new))
                )
                details += _renumbered(renumbering, row.shifts, shifts, before, after)
                if not row.active:
                    details += ("a removed place",)
                await self.audit("place", row.id, before, after)
                self.change(ChangeKind.UPDATE, "place", label, details)

    def no_shift_left(self, label: str, hours: tuple[str, ...]) -> Problem:
        """The problem of a patrol area whose every shift leaves the station's list."""
        station = self.station_spec
        lost = ", ".join(hours)
        without = (
            f"without {lost}, patrol area {label} would have no shift: give that place its"
            " `shifts:` in the file"
        )
        if station.shifts is not None:
            return station.shifts_origin.problem(f"{without}, or keep {lost} in this list")
        default = ", ".join(default_templates())
        return station.origin.problem(
            f"--prune resets the station's shifts to the default ({default}); {without}, or"
            " give the station its `shifts:` list"
        )

    async def place_extra(self, prefix: str, row: Place) -> None:
        label = f"{prefix}/{row.name}"
        if not self.prune:
            self.change(ChangeKind.KEEP, "place", label, ["not in the file"])
            return
        await self._deactivate_place(row)
        self.change(ChangeKind.REMOVE, "place", label, ["deactivated"])

    async def _deactivate_place(self, row: Place) -> None:
        await self.s.repo.set_place(
            row.id,
            kinds=frozenset(k for k in PlaceKind if row.has_kind(k)),
            latitude=row.latitude,
            longitude=row.longitude,
            shifts=row.shifts,
            need=row.patrol_need,
            active=False,
        )
        await self.audit("place", row.id, {"active": True}, {"active": False})

    # --- peak periods -------------------------------------------------------------------------
    async def peaks(
        self,
        station_id: int,
        station: StationSpec,
        hot_spots: dict[HotSpotRef, int],
        names: dict[int, str],
    ) -> None:
        rows = await self.s.repo.peaks(station_id)
        matched: set[int] = set()
        for want in station.peaks:
            label = f"{station.name}/{want.name}"
            for ref, origin in want.hot_spot_origins:
                if ref not in hot_spots:  # the file left out its kinds; the database has others
                    self.problems.append(
                        Problem(
                            origin.line,
                            origin.where,
                            f"{ref.place!r} is not a hot spot (add hot_spot to its kinds)",
                        )
                    )
            spots = frozenset(hot_spots[ref] for ref in want.hot_spots if ref in hot_spots)
            row = _best([r for r in rows if r.id not in matched and r.name == want.name])
            if row is None:
                period_id = await self.s.repo.add_peak(
                    station_id,
                    name=want.name,
                    start=want.start,
                    end=want.end,
                    level=want.level,
                    hot_spots=spots,
                    at=self.now,
                )
                matched.add(period_id)
                await self.audit(
                    "peak_period",
                    period_id,
                    None,
                    {
                        "name": want.name,
                        "start": want.start.isoformat(),
                        "end": want.end.isoformat(),
                        "level": want.level.value,
                        "hot_spots": sorted(spots),
                    },
                )
                self.change(
                    ChangeKind.CREATE,
                    "peak",
                    label,
                    [f"{want.start} to {want.end}", want.level.value, _names(spots, names)],
                )
                continue
            matched.add(row.id)
            before, after, details = _diff(
                ("start", row.start, want.start),
                ("end", row.end, want.end),
                ("level", row.level.value, want.level.value),
                ("hot_spots", _names(row.hot_spots, names), _names(spots, names)),
                _active(row.active),
            )
            if row.hot_spots != spots and "hot_spots" not in after:
                # the same names, other places (e.g. a hot spot that was removed and re-added)
                before["hot_spots"], after["hot_spots"] = sorted(row.hot_spots), sorted(spots)
                details += ("hot spots: the same names, other places",)
            if details:
                await self.s.repo.set_peak(
                    row.id,
                    start=want.start,
                    end=want.end,
                    level=want.level,
                    hot_spots=spots,
                    active=True,
                )
                await self.audit("peak_period", row.id, before, after)
                self.change(ChangeKind.UPDATE, "peak", label, details)
        for row in rows:
            if row.active and row.id not in matched:
                label = f"{station.name}/{row.name}"
                if self.prune:
                    await self._deactivate_peak(row)
                    self.change(ChangeKind.REMOVE, "peak", label, ["deactivated"])
                else:
                    self.change(ChangeKind.KEEP, "peak", label, ["not in the file"])

    async def _deactivate_peak(self, row: StoredPeak) -> None:
        await self.s.repo.set_peak(
            row.id,
            start=row.start,
            end=row.end,
            level=row.level,
            hot_spots=row.hot_spots,
            active=False,
        )
        await self.audit("peak_period", row.id, {"active": True}, {"active": False})


# --- helpers ----------------------------------------------------------------------------------
class _Row(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def active(self) -> bool: ...


class _CodedRow(_Row, Protocol):
    @property
    def code(self) -> str | None: ...

    @property
    def name(self) -> str: ...


R = TypeVar("R", bound=_Row)
C = TypeVar("C", bound=_CodedRow)


def _match(code: str | None, name: str, rows: list[C]) -> C | None:
    """The row with this code; else one without a code and with this name (a file that gives
    a code to a station or office made in Telegram adopts it)."""
    if code is not None:
        for row in rows:
            if row.code == code:
                return row
    return _best([r for r in rows if r.code is None and r.name == name])


def _best(rows: list[R]) -> R | None:
    """Among rows of the same key: the oldest active one, else the newest removed one."""
    active = sorted((r for r in rows if r.active), key=lambda r: r.id)
    if active:
        return active[0]
    removed = sorted(rows, key=lambda r: r.id)
    return removed[-1] if removed else None


def _label(name: str, code: str | None) -> str:
    return f"{name} [{code}]" if code is not None else name


def _active(was_active: bool) -> tuple[str, bool, bool]:
    return ("active", was_active, True)


def _diff(*fields: tuple[str, Any, Any]) -> tuple[dict[str, Any], dict[str, Any], tuple[str, ...]]:
    """The fields that differ: before and after (for the audit log) and a line for each."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    details: list[str] = []
    for name, old, new in fields:
        if old == new:
            continue
        before[name], after[name] = _plain(old), _plain(new)
        if name == "active":
            details.append("reactivated")
        else:
            details.append(f"{name} {_show(old)} -> {_show(new)}")
    return before, after, tuple(details)


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | frozenset | set):
        return [_plain(v) for v in value]
    return value


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _renumbered(
    renumbering: ShiftRenumbering,
    stored: tuple[int, ...],
    shifts: tuple[int, ...],
    before: dict[str, Any],
    after: dict[str, Any],
) -> tuple[str, ...]:
    """What a place's report line and audit entry say when the station's new shift list
    moved its shifts to other positions: the positions (1-based, as the list is read) go in
    the audit entry; the line says that the hours stayed, or which are gone."""
    before["shift_numbers"] = [i + 1 for i in sorted(set(stored))]
    after["shift_numbers"] = [i + 1 for i in shifts]
    hours, now = renumbering.names(stored), _shift_names(shifts, renumbering.new)
    if lost := [h for h in hours if h in renumbering.removed]:
        return (f"no longer in the station's shifts: {', '.join(lost)}",)
    if hours == now:
        return (f"shifts kept at {_show(now)} (renumbered: the station's shift list changed)",)
    return ()  # the file gave other hours: the line says so already


def _kinds(kinds: frozenset[PlaceKind]) -> tuple[str, ...]:
    return tuple(k.value for k in PlaceKind if k in kinds)


def _shift_names(indices: Iterable[int], templates: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(templates[i] if i < len(templates) else f"#{i + 1}" for i in sorted(indices))


def _names(ids: Iterable[int], names: dict[int, str]) -> str:
    return ", ".join(sorted(names.get(i, f"#{i}") for i in ids))


def _located(latitude: float | None, longitude: float | None) -> list[str]:
    return [f"at {latitude}, {longitude}"] if latitude is not None else []


def _counts(**counts: int) -> list[str]:
    return [f"{count} {what}" for what, count in counts.items() if count]


def _canonical(key: str, text: str) -> str:
    """A stored setting in the form the file uses (the text as stored if it no longer parses)."""
    spec = SETTINGS_BY_KEY.get(key)
    if spec is None:
        return text
    try:
        return setting_text(spec, text)
    except DomainError:
        return text


def _templates_or_none(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    try:
        return templates_of(text)
    except DomainError:
        return None


def _place_spec(place: Place, templates: tuple[str, ...]) -> PlaceSpec:
    kinds = frozenset(k for k in PlaceKind if place.has_kind(k))
    effective = tuple(sorted(i for i in set(place.shifts) if i < len(templates)))
    shifts: tuple[str, ...] | None = None
    if place.is_patrol_area or effective != DEFAULT_PLACE_SHIFTS:
        shifts = tuple(templates[i] for i in effective)
    return PlaceSpec(
        name=place.name,
        kinds=kinds,
        latitude=place.latitude,
        longitude=place.longitude,
        shifts=shifts,
        need=place.patrol_need,
    )


# --- the commands -------------------------------------------------------------------------------
