"""The entry points: apply an organisation file in one write transaction, and export the
active organisation as one."""

from __future__ import annotations

from models.clock import Clock
from models.org import Place, Station
from models.orgfile import (
    DEFAULT_PLACE_SHIFTS,
    SHIFTS_KEY,
    HotSpotRef,
    OfficeSpec,
    OrgFileError,
    OrgSpec,
    PeakSpec,
    PlaceSpec,
    StationSpec,
)
from models.services.orgfile.common import (
    canonical,
    default_templates,
    kinds_of,
    templates_or_none,
)
from models.services.orgfile.context import ApplyContext
from models.services.orgfile.report import ApplyReport
from models.services.orgfile.stations import apply_organisation
from models.station_settings import SETTINGS
from models.store.db import Database
from models.store.misc_repo import AuditRepository, StationSettingsRepository
from models.store.org_repo import OrgRepository
from models.store.orgfile_repo import OrgFileRepository


class _DryRun(Exception):
    """Raised inside the transaction of a dry run, so it rolls back."""


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
                ctx = ApplyContext(
                    self.org,
                    self.repo,
                    self.settings,
                    self.audit,
                    report,
                    prune,
                    prune_stations,
                    self.clock.now(),
                )
                await apply_organisation(ctx, spec)
                if ctx.problems:
                    by_line = sorted(ctx.problems, key=lambda p: p.line or 0)
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
        shifts = templates_or_none(shifts_text)
        templates = shifts or default_templates()
        settings = {}
        for spec in SETTINGS:
            if spec.key in stored:
                settings[spec.key] = canonical(spec.key, stored[spec.key])
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


def _place_spec(place: Place, templates: tuple[str, ...]) -> PlaceSpec:
    kinds = kinds_of(place)
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
