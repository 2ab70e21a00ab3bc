"""Stations: match each station of the file, create or update it, apply what it holds (its
settings, offices, places and peak periods), and list or deactivate the stations the file
leaves out."""

from __future__ import annotations

from models.org import Station
from models.orgfile import OrgSpec, StationSpec
from models.services.orgfile.common import active_field, coded_label, counts, diff, match_row
from models.services.orgfile.context import ApplyContext, StationRun
from models.services.orgfile.offices import apply_offices, deactivate_office
from models.services.orgfile.peaks import apply_peaks, deactivate_peak
from models.services.orgfile.places import renumber_others
from models.services.orgfile.report import ChangeKind
from models.services.orgfile.settings import apply_settings
from models.station_settings import ShiftRenumbering


async def apply_organisation(ctx: ApplyContext, spec: OrgSpec) -> None:
    rows = await ctx.org.stations(active_only=False)
    matched: set[int] = set()
    for want in spec.stations:
        station_id = await _station(ctx, want, rows, matched)
        matched.add(station_id)
    for row in rows:
        if row.active and row.id not in matched:
            await _station_extra(ctx, row)


async def _station(
    ctx: ApplyContext, want: StationSpec, rows: list[Station], matched: set[int]
) -> int:
    row = match_row(want.code, want.name, [r for r in rows if r.id not in matched])
    station_id = await _create_or_update(ctx, want, row)
    old_templates, templates = await apply_settings(ctx, station_id, want)
    renumbering = None
    if row is not None and old_templates != templates:
        renumbering = ShiftRenumbering(old_templates, templates)
    run = StationRun(station_id, want, templates, renumbering)
    await apply_offices(ctx, run)
    if run.renumbering is not None:
        await renumber_others(ctx, run)
    await apply_peaks(ctx, run)
    return station_id


async def _create_or_update(ctx: ApplyContext, want: StationSpec, row: Station | None) -> int:
    """The station's id: `row` brought to the file, or a new station."""
    label = coded_label(want.name, want.code)
    if row is None:
        station = await ctx.org.add_station(want.name, ctx.now, want.code)
        await ctx.audit("station", station.id, None, {"name": want.name, "code": want.code})
        ctx.change(ChangeKind.CREATE, "station", label)
        return station.id
    before, after, details = diff(
        ("code", row.code, want.code), ("name", row.name, want.name), active_field(row.active)
    )
    if details:
        await ctx.repo.set_station(row.id, name=want.name, code=want.code, active=True)
        await ctx.audit("station", row.id, before, after)
        ctx.change(ChangeKind.UPDATE, "station", label, details)
    return row.id


async def _station_extra(ctx: ApplyContext, row: Station) -> None:
    offices = await ctx.org.offices(row.id)
    places = [p for o in offices for p in await ctx.org.places(o.id)]
    peaks = [p for p in await ctx.repo.peaks(row.id) if p.active]
    people = await ctx.repo.people_of_station(row.id)
    details = counts(offices=len(offices), places=len(places), peaks=len(peaks))
    label = coded_label(row.name, row.code)
    if not ctx.prune_stations:
        ctx.change(ChangeKind.KEEP, "station", label, ["not in the file", *details])
        return
    await ctx.repo.set_station(row.id, name=row.name, code=row.code, active=False)
    await ctx.audit("station", row.id, {"active": True}, {"active": False})
    for office in offices:
        await deactivate_office(ctx, office)
    for peak in peaks:
        await deactivate_peak(ctx, peak)
    if people:
        details.append(f"{people} people still belong to it")
    ctx.change(ChangeKind.REMOVE, "station", label, ["deactivated", *details])
