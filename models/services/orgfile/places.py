"""Places: create or update each place of an office's file (its kinds, location, shifts and
need), keep the hours of the places the file does not give when the station's shift list
changes, and list or deactivate the places the file leaves out."""

from __future__ import annotations

from models.org import Place, PlaceKind
from models.orgfile import DEFAULT_NEED, DEFAULT_PLACE_SHIFTS, PlaceSpec, Problem
from models.services.orgfile.common import (
    active_field,
    best_row,
    default_templates,
    diff,
    kind_names,
    kinds_of,
    renumbered,
    shift_names,
    show,
)
from models.services.orgfile.context import ApplyContext, StationRun
from models.services.orgfile.report import ChangeKind


async def apply_place(
    ctx: ApplyContext,
    run: StationRun,
    office_id: int,
    prefix: str,
    want: PlaceSpec,
    rows: list[Place],
    matched: set[int],
) -> tuple[int, bool]:
    """Create or update one place; return its id and whether it is a hot spot now."""
    label = f"{prefix}/{want.name}"
    row = best_row([r for r in rows if r.id not in matched and r.name == want.name])
    if row is None:
        return await _create(ctx, run, office_id, label, want)
    return await _update(ctx, run, label, want, row)


async def _create(
    ctx: ApplyContext, run: StationRun, office_id: int, label: str, want: PlaceSpec
) -> tuple[int, bool]:
    kinds = want.kinds or frozenset()
    shifts = shift_indices(ctx, want, run.templates, DEFAULT_PLACE_SHIFTS)
    need = want.need if want.need is not None else DEFAULT_NEED
    place_id = await ctx.repo.add_place(
        office_id,
        name=want.name,
        kinds=kinds,
        latitude=want.latitude,
        longitude=want.longitude,
        shifts=shifts,
        need=need,
        at=ctx.now,
    )
    run.handled.add(place_id)  # numbered by the new list already
    await ctx.audit(
        "place",
        place_id,
        None,
        {
            "name": want.name,
            "kinds": kind_names(kinds),
            "latitude": want.latitude,
            "longitude": want.longitude,
            "shifts": list(shifts),
            "need": need,
        },
    )
    what = [", ".join(kind_names(kinds)) or "no kind"]
    if PlaceKind.PATROL_AREA in kinds:
        what.append(f"shifts {show(shift_names(shifts, run.templates))}, need {need}")
    ctx.change(ChangeKind.CREATE, "place", label, what)
    return place_id, PlaceKind.HOT_SPOT in kinds


async def _update(
    ctx: ApplyContext, run: StationRun, label: str, want: PlaceSpec, row: Place
) -> tuple[int, bool]:
    run.handled.add(row.id)
    old_kinds = kinds_of(row)
    kinds = want.kinds if want.kinds is not None else old_kinds
    located = want.latitude is not None
    latitude = want.latitude if located else row.latitude
    longitude = want.longitude if located else row.longitude
    kept, hours = _kept_shifts(ctx, run, label, want, row, kinds)
    shifts = shift_indices(ctx, want, run.templates, kept)
    need = want.need if want.need is not None else row.patrol_need
    before, after, details = diff(
        ("kinds", kind_names(old_kinds), kind_names(kinds)),
        ("latitude", row.latitude, latitude),
        ("longitude", row.longitude, longitude),
        ("shifts", hours, shift_names(shifts, run.templates)),
        ("need", row.patrol_need, need),
        active_field(row.active),
    )
    renumbering = run.renumbering
    stored = tuple(sorted(set(row.shifts)))
    if renumbering is not None and shifts != stored:
        details += renumbered(renumbering, row.shifts, shifts, before, after)
    if details:
        await ctx.repo.set_place(
            row.id,
            kinds=kinds,
            latitude=latitude,
            longitude=longitude,
            shifts=shifts if renumbering is not None or shifts != kept else row.shifts,
            need=need,
            active=True,
        )
        await ctx.audit("place", row.id, before, after)
        ctx.change(ChangeKind.UPDATE, "place", label, details)
    return row.id, PlaceKind.HOT_SPOT in kinds


def _kept_shifts(
    ctx: ApplyContext,
    run: StationRun,
    label: str,
    want: PlaceSpec,
    row: Place,
    kinds: frozenset[PlaceKind],
) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The place's stored shifts as numbers of the station's new templates, and their hours
    (what it keeps when the file does not give its shifts)."""
    renumbering = run.renumbering
    if renumbering is None:
        # shifts past the station's templates are never planned: not a change
        kept = tuple(sorted(i for i in set(row.shifts) if i < len(run.templates)))
        return kept, shift_names(kept, run.templates)
    # the station's list changed: the same hours are at other positions
    kept, hours = renumbering.indices(row.shifts), renumbering.names(row.shifts)
    if want.shifts is None and hours and not kept and PlaceKind.PATROL_AREA in kinds:
        ctx.problems.append(no_shift_left(run, label, hours))
    return kept, hours


def shift_indices(
    ctx: ApplyContext, want: PlaceSpec, templates: tuple[str, ...], otherwise: tuple[int, ...]
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
            ctx.problems.append(
                Problem(
                    origin.line,
                    origin.where,
                    f"{text} is not one of the station's shifts ({', '.join(templates)})",
                )
            )
    return tuple(sorted(indices))


async def renumber_others(ctx: ApplyContext, run: StationRun) -> None:
    """Keep the hours of the station's places the file did not give (places it leaves
    out, of offices it leaves out, removed ones) when its shift list changed; refuse the
    file if an active patrol area would be left with no shift."""
    renumbering = run.renumbering
    assert renumbering is not None
    for office in await ctx.org.offices(run.id, active_only=False):
        for row in await ctx.org.places(office.id, active_only=False):
            shifts = renumbering.indices(row.shifts)
            if row.id in run.handled or shifts == tuple(sorted(set(row.shifts))):
                continue
            label = f"{run.spec.name}/{office.name}/{row.name}"
            hours = renumbering.names(row.shifts)
            if row.active and row.is_patrol_area and hours and not shifts:
                ctx.problems.append(no_shift_left(run, label, hours))
                continue
            await ctx.repo.set_place(
                row.id,
                kinds=kinds_of(row),
                latitude=row.latitude,
                longitude=row.longitude,
                shifts=shifts,
                need=row.patrol_need,
                active=row.active,
            )
            before, after, details = diff(("shifts", hours, shift_names(shifts, renumbering.new)))
            details += renumbered(renumbering, row.shifts, shifts, before, after)
            if not row.active:
                details += ("a removed place",)
            await ctx.audit("place", row.id, before, after)
            ctx.change(ChangeKind.UPDATE, "place", label, details)


def no_shift_left(run: StationRun, label: str, hours: tuple[str, ...]) -> Problem:
    """The problem of a patrol area whose every shift leaves the station's list."""
    station = run.spec
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


async def place_extra(ctx: ApplyContext, prefix: str, row: Place) -> None:
    label = f"{prefix}/{row.name}"
    if not ctx.prune:
        ctx.change(ChangeKind.KEEP, "place", label, ["not in the file"])
        return
    await deactivate_place(ctx, row)
    ctx.change(ChangeKind.REMOVE, "place", label, ["deactivated"])


async def deactivate_place(ctx: ApplyContext, row: Place) -> None:
    await ctx.repo.set_place(
        row.id,
        kinds=kinds_of(row),
        latitude=row.latitude,
        longitude=row.longitude,
        shifts=row.shifts,
        need=row.patrol_need,
        active=False,
    )
    await ctx.audit("place", row.id, {"active": True}, {"active": False})
