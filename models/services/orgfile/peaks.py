"""Peak periods: match each peak period of the station's file by name, create or update it
(its dates, level and hot spots), and list or deactivate the periods the file leaves out."""

from __future__ import annotations

from models.orgfile import PeakSpec, Problem
from models.services.orgfile.common import active_field, best_row, diff, place_names
from models.services.orgfile.context import ApplyContext, StationRun
from models.services.orgfile.report import ChangeKind
from models.store.orgfile_repo import StoredPeak


async def apply_peaks(ctx: ApplyContext, run: StationRun) -> None:
    rows = await ctx.repo.peaks(run.id)
    matched: set[int] = set()
    for want in run.spec.peaks:
        spots = _hot_spots(ctx, run, want)
        row = best_row([r for r in rows if r.id not in matched and r.name == want.name])
        if row is None:
            matched.add(await _create(ctx, run, want, spots))
        else:
            matched.add(row.id)
            await _update(ctx, run, want, spots, row)
    for row in rows:
        if row.active and row.id not in matched:
            label = f"{run.spec.name}/{row.name}"
            if ctx.prune:
                await deactivate_peak(ctx, row)
                ctx.change(ChangeKind.REMOVE, "peak", label, ["deactivated"])
            else:
                ctx.change(ChangeKind.KEEP, "peak", label, ["not in the file"])


def _hot_spots(ctx: ApplyContext, run: StationRun, want: PeakSpec) -> frozenset[int]:
    """The ids of the period's hot spots; a problem for each that is not one."""
    for ref, origin in want.hot_spot_origins:
        if ref not in run.hot_spots:  # the file left out its kinds; the database has others
            ctx.problems.append(
                Problem(
                    origin.line,
                    origin.where,
                    f"{ref.place!r} is not a hot spot (add hot_spot to its kinds)",
                )
            )
    return frozenset(run.hot_spots[ref] for ref in want.hot_spots if ref in run.hot_spots)


async def _create(
    ctx: ApplyContext, run: StationRun, want: PeakSpec, spots: frozenset[int]
) -> int:
    period_id = await ctx.repo.add_peak(
        run.id,
        name=want.name,
        start=want.start,
        end=want.end,
        level=want.level,
        hot_spots=spots,
        at=ctx.now,
    )
    await ctx.audit(
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
    ctx.change(
        ChangeKind.CREATE,
        "peak",
        f"{run.spec.name}/{want.name}",
        [f"{want.start} to {want.end}", want.level.value, place_names(spots, run.names)],
    )
    return period_id


async def _update(
    ctx: ApplyContext, run: StationRun, want: PeakSpec, spots: frozenset[int], row: StoredPeak
) -> None:
    names = run.names
    before, after, details = diff(
        ("start", row.start, want.start),
        ("end", row.end, want.end),
        ("level", row.level.value, want.level.value),
        ("hot_spots", place_names(row.hot_spots, names), place_names(spots, names)),
        active_field(row.active),
    )
    if row.hot_spots != spots and "hot_spots" not in after:
        # the same names, other places (e.g. a hot spot that was removed and re-added)
        before["hot_spots"], after["hot_spots"] = sorted(row.hot_spots), sorted(spots)
        details += ("hot spots: the same names, other places",)
    if details:
        await ctx.repo.set_peak(
            row.id,
            start=want.start,
            end=want.end,
            level=want.level,
            hot_spots=spots,
            active=True,
        )
        await ctx.audit("peak_period", row.id, before, after)
        ctx.change(ChangeKind.UPDATE, "peak", f"{run.spec.name}/{want.name}", details)


async def deactivate_peak(ctx: ApplyContext, row: StoredPeak) -> None:
    await ctx.repo.set_peak(
        row.id,
        start=row.start,
        end=row.end,
        level=row.level,
        hot_spots=row.hot_spots,
        active=False,
    )
    await ctx.audit("peak_period", row.id, {"active": True}, {"active": False})
