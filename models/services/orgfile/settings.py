"""A station's settings and shift templates: store those the file gives, list or reset those
it leaves out, and say which shift templates the station had and will have."""

from __future__ import annotations

from models.orgfile import SHIFTS_KEY, StationSpec
from models.services.orgfile.common import canonical, default_templates, templates_or_none
from models.services.orgfile.context import ApplyContext
from models.services.orgfile.report import ChangeKind


async def apply_settings(
    ctx: ApplyContext, station_id: int, want: StationSpec
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Store the file's settings; return the shift templates the station had and those
    it will have."""
    stored = await ctx.settings.values(station_id)
    # a stored list that no longer parses is the default to the bot (see /settings)
    had = templates_or_none(stored.get(SHIFTS_KEY)) or default_templates()
    wanted = dict(want.settings)
    if want.shifts is not None:
        wanted[SHIFTS_KEY] = ",".join(want.shifts)
    for key, text in wanted.items():
        old = stored.get(key)
        if old is not None and canonical(key, old) == text:
            continue
        await ctx.repo.put_setting(station_id, key, text, ctx.now)
        await ctx.audit("station", station_id, {key: old}, {key: text})
        kind = ChangeKind.CREATE if old is None else ChangeKind.UPDATE
        shown = f"{old} -> {text}" if old is not None else f"set to {text}"
        ctx.change(kind, "setting", f"{want.name}/{key}", [shown])
    for key, old in stored.items():
        if key not in wanted:
            await _setting_extra(ctx, station_id, want, key, old)
    if want.shifts is not None:
        return had, want.shifts
    if not ctx.prune:
        return had, had
    return had, default_templates()


async def _setting_extra(
    ctx: ApplyContext, station_id: int, want: StationSpec, key: str, old: str
) -> None:
    """A stored setting the file leaves out: reset to its default with `prune`, else kept."""
    label = f"{want.name}/{key}"
    if ctx.prune:
        await ctx.settings.delete(station_id, key)
        await ctx.audit("station", station_id, {key: old}, {key: None})
        ctx.change(ChangeKind.REMOVE, "setting", label, [f"{old} -> the default"])
    else:
        ctx.change(ChangeKind.KEEP, "setting", label, [f"{old}, not in the file"])
