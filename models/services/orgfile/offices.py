"""Offices: match each office of the station's file, create or update it, apply its places,
and list or deactivate the offices (and places) the file leaves out."""

from __future__ import annotations

from models.org import Office, Place
from models.orgfile import HotSpotRef, OfficeSpec
from models.services.orgfile.common import (
    active_field,
    coded_label,
    counts,
    diff,
    located_at,
    match_row,
)
from models.services.orgfile.context import ApplyContext, StationRun
from models.services.orgfile.places import apply_place, deactivate_place, place_extra
from models.services.orgfile.report import ChangeKind


async def apply_offices(ctx: ApplyContext, run: StationRun) -> None:
    """The station's offices as the file gives them, then those it leaves out."""
    offices = await ctx.org.offices(run.id, active_only=False)
    used: set[int] = set()
    for office in run.spec.offices:
        used.add(await _office(ctx, run, office, [r for r in offices if r.id not in used]))
    for row in offices:
        if row.active and row.id not in used:
            await _office_extra(ctx, run.spec.name, row)
            run.names.update({p.id: p.name for p in await ctx.org.places(row.id)})


async def _office(ctx: ApplyContext, run: StationRun, want: OfficeSpec, rows: list[Office]) -> int:
    label = coded_label(f"{run.spec.name}/{want.name}", want.code)
    row = match_row(want.code, want.name, rows)
    if row is None:
        office_id = await _create(ctx, run.id, label, want)
        places: list[Place] = []
    else:
        office_id = row.id
        await _update(ctx, label, want, row)
        places = await ctx.org.places(office_id, active_only=False)
    prefix = f"{run.spec.name}/{want.name}"
    matched: set[int] = set()
    for place in want.places:
        place_id, is_hot_spot = await apply_place(
            ctx, run, office_id, prefix, place, places, matched
        )
        matched.add(place_id)
        run.names[place_id] = place.name
        if is_hot_spot:
            run.hot_spots[HotSpotRef(want.key, place.name)] = place_id
    for row_place in places:
        if row_place.active and row_place.id not in matched:
            run.names[row_place.id] = row_place.name
            await place_extra(ctx, prefix, row_place)
    return office_id


async def _create(ctx: ApplyContext, station_id: int, label: str, want: OfficeSpec) -> int:
    office_id = await ctx.repo.add_office(
        station_id,
        name=want.name,
        code=want.code,
        latitude=want.latitude,
        longitude=want.longitude,
        at=ctx.now,
    )
    await ctx.audit(
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
    ctx.change(ChangeKind.CREATE, "office", label, located_at(want.latitude, want.longitude))
    return office_id


async def _update(ctx: ApplyContext, label: str, want: OfficeSpec, row: Office) -> None:
    located = want.latitude is not None
    latitude = want.latitude if located else row.latitude
    longitude = want.longitude if located else row.longitude
    before, after, details = diff(
        ("code", row.code, want.code),
        ("name", row.name, want.name),
        ("latitude", row.latitude, latitude),
        ("longitude", row.longitude, longitude),
        active_field(row.active),
    )
    if details:
        await ctx.repo.set_office(
            row.id,
            name=want.name,
            code=want.code,
            latitude=latitude,
            longitude=longitude,
            active=True,
        )
        await ctx.audit("office", row.id, before, after)
        ctx.change(ChangeKind.UPDATE, "office", label, details)


async def _office_extra(ctx: ApplyContext, station_name: str, row: Office) -> None:
    places = await ctx.org.places(row.id)
    people = await ctx.repo.people_in_offices([row.id])
    label = coded_label(f"{station_name}/{row.name}", row.code)
    details = counts(places=len(places))
    if not ctx.prune:
        ctx.change(ChangeKind.KEEP, "office", label, ["not in the file", *details])
        return
    await deactivate_office(ctx, row)
    if people:
        details.append(f"{people} people still belong to it")
    ctx.change(ChangeKind.REMOVE, "office", label, ["deactivated", *details])


async def deactivate_office(ctx: ApplyContext, row: Office) -> None:
    await ctx.repo.set_office(
        row.id,
        name=row.name,
        code=row.code,
        latitude=row.latitude,
        longitude=row.longitude,
        active=False,
    )
    await ctx.audit("office", row.id, {"active": True}, {"active": False})
    for place in await ctx.org.places(row.id):
        await deactivate_place(ctx, place)
