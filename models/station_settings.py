"""Station settings: every entry declared once with its type, default, bounds and label.

Deployment-wide defaults come from `Settings` (environment); a value a chief stores with
`/settings` wins for that station. Later features append entries to `SETTINGS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from typing import Any

from models.config import Settings
from models.errors import DomainError

_TIME = re.compile(r"^\s*([01]?\d|2[0-3])[:：]([0-5]\d)\s*$")


class SettingType(StrEnum):
    INT = "int"
    TIME = "time"
    SECONDS_LIST = "seconds_list"
    BOOL = "bool"
    SHIFTS = "shifts"


@dataclass(frozen=True)
class SettingSpec:
    """One station setting; `label`/`hint` are catalog keys, `default` reads the deployment."""

    key: str
    type: SettingType
    label: str
    hint: str
    default: Callable[[Settings], Any]
    minimum: int | None = None
    maximum: int | None = None

    def parse(self, text: str) -> Any:
        """Turn a person's input into a value, or raise `DomainError('setting_invalid')`."""
        text = text.strip()
        try:
            value = _PARSERS[self.type](text)
        except ValueError:
            raise DomainError("setting_invalid", hint=self.hint) from None
        self._check_bounds(value)
        return value

    def _check_bounds(self, value: Any) -> None:
        numbers = value if isinstance(value, tuple) else (value,)
        for number in numbers:
            if not isinstance(number, int) or isinstance(number, bool):
                continue
            too_low = self.minimum is not None and number < self.minimum
            too_high = self.maximum is not None and number > self.maximum
            if too_low or too_high:
                raise DomainError(
                    "setting_out_of_range", minimum=self.minimum, maximum=self.maximum
                )

    def dump(self, value: Any) -> str:
        """The stored (and displayed) text form of a value."""
        if self.type is SettingType.TIME:
            return f"{value.hour:02d}:{value.minute:02d}"
        if self.type is SettingType.SECONDS_LIST:
            return ",".join(str(v) for v in value)
        if self.type is SettingType.BOOL:
            return "on" if value else "off"
        if self.type is SettingType.SHIFTS:
            return ",".join(
                f"{a.hour:02d}:{a.minute:02d}-{b.hour:02d}:{b.minute:02d}" for a, b in value
            )
        return str(value)


def _parse_int(text: str) -> int:
    return int(text)


def _parse_time(text: str) -> time:
    match = _TIME.match(text)
    if not match:
        raise ValueError(text)
    return time(int(match.group(1)), int(match.group(2)))


MAX_LIST = 6


def _parse_seconds_list(text: str) -> tuple[int, ...]:
    parts = [p for p in re.split(r"[,，\s]+", text) if p]
    if not parts or len(parts) > MAX_LIST:
        raise ValueError(text)
    return tuple(int(p) for p in parts)


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("on", "yes", "true", "1", "开", "是"):
        return True
    if lowered in ("off", "no", "false", "0", "关", "否"):
        return False
    raise ValueError(text)


def _parse_shifts(text: str) -> tuple[tuple[time, time], ...]:
    """`08:00-11:00,14:00-17:00`: shift templates, in order, each ending after it starts."""
    shifts = []
    for part in [p for p in re.split(r"[,，\s]+", text) if p]:
        start, sep, end = part.replace("～", "-").replace("~", "-").partition("-")
        if not sep:
            raise ValueError(text)
        begin, finish = _parse_time(start), _parse_time(end)
        if finish <= begin:
            raise ValueError(text)
        shifts.append((begin, finish))
    if not shifts or len(shifts) > MAX_LIST:
        raise ValueError(text)
    return tuple(shifts)


_PARSERS: dict[SettingType, Callable[[str], Any]] = {
    SettingType.INT: _parse_int,
    SettingType.TIME: _parse_time,
    SettingType.SECONDS_LIST: _parse_seconds_list,
    SettingType.BOOL: _parse_bool,
    SettingType.SHIFTS: _parse_shifts,
}

SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "invitation_days",
        SettingType.INT,
        label="setting.invitation_days",
        hint="setting.hint.days",
        default=lambda s: s.invitation_days,
        minimum=1,
        maximum=90,
    ),
    SettingSpec(
        "quiet_start",
        SettingType.TIME,
        label="setting.quiet_start",
        hint="setting.hint.time",
        default=lambda s: time(22, 0),
    ),
    SettingSpec(
        "quiet_end",
        SettingType.TIME,
        label="setting.quiet_end",
        hint="setting.hint.time",
        default=lambda s: time(7, 0),
    ),
    SettingSpec(
        "backup_step_waits",
        SettingType.SECONDS_LIST,
        label="setting.backup_step_waits",
        hint="setting.hint.seconds_list",
        default=lambda s: s.backup_step_waits,
        minimum=10,
        maximum=3600,
    ),
)

SETTINGS += (
    SettingSpec(
        "report_draft_minutes",
        SettingType.INT,
        label="setting.report_draft_minutes",
        hint="setting.hint.minutes",
        default=lambda s: 120,
        minimum=10,
        maximum=1440,
    ),
    SettingSpec(
        "report_remind_urgent_minutes",
        SettingType.INT,
        label="setting.report_remind_urgent_minutes",
        hint="setting.hint.minutes",
        default=lambda s: 10,
        minimum=1,
        maximum=240,
    ),
    SettingSpec(
        "report_remind_normal_minutes",
        SettingType.INT,
        label="setting.report_remind_normal_minutes",
        hint="setting.hint.minutes",
        default=lambda s: 120,
        minimum=5,
        maximum=1440,
    ),
)

SETTINGS += (
    SettingSpec(
        "shifts",
        SettingType.SHIFTS,
        label="setting.shifts",
        hint="setting.hint.shifts",
        default=lambda s: ((time(8), time(11)), (time(14), time(17)), (time(19), time(21))),
    ),
    SettingSpec(
        "plan_time",
        SettingType.TIME,
        label="setting.plan_time",
        hint="setting.hint.time",
        default=lambda s: time(20, 0),
    ),
    SettingSpec(
        "publish_time",
        SettingType.TIME,
        label="setting.publish_time",
        hint="setting.hint.time",
        default=lambda s: time(7, 30),
    ),
    SettingSpec(
        "shift_reminder_minutes",
        SettingType.INT,
        label="setting.shift_reminder_minutes",
        hint="setting.hint.minutes",
        default=lambda s: 30,
        minimum=5,
        maximum=180,
    ),
    SettingSpec(
        "missed_checkin_minutes",
        SettingType.INT,
        label="setting.missed_checkin_minutes",
        hint="setting.hint.minutes",
        default=lambda s: 15,
        minimum=5,
        maximum=120,
    ),
    SettingSpec(
        "checkin_autoclose_minutes",
        SettingType.INT,
        label="setting.checkin_autoclose_minutes",
        hint="setting.hint.minutes",
        default=lambda s: 120,
        minimum=15,
        maximum=720,
    ),
)

SETTINGS += (
    SettingSpec(
        "peak_alert_days",
        SettingType.INT,
        label="setting.peak_alert_days",
        hint="setting.hint.days",
        default=lambda s: 3,
        minimum=1,
        maximum=30,
    ),
    SettingSpec(
        "peak_alert_time",
        SettingType.TIME,
        label="setting.peak_alert_time",
        hint="setting.hint.time",
        default=lambda s: time(9, 0),
    ),
    SettingSpec(
        "peak_eve_time",
        SettingType.TIME,
        label="setting.peak_eve_time",
        hint="setting.hint.time",
        default=lambda s: time(18, 0),
    ),
    SettingSpec(
        "boost_busy",
        SettingType.INT,
        label="setting.boost_busy",
        hint="setting.hint.factor",
        default=lambda s: 2,
        minimum=1,
        maximum=5,
    ),
    SettingSpec(
        "boost_very_busy",
        SettingType.INT,
        label="setting.boost_very_busy",
        hint="setting.hint.factor",
        default=lambda s: 3,
        minimum=1,
        maximum=6,
    ),
)

SETTINGS += (
    SettingSpec(
        "tip_weekday",
        SettingType.INT,
        label="setting.tip_weekday",
        hint="setting.hint.weekday",
        default=lambda s: 1,
        minimum=1,
        maximum=7,
    ),
    SettingSpec(
        "tip_time",
        SettingType.TIME,
        label="setting.tip_time",
        hint="setting.hint.time",
        default=lambda s: time(10, 0),
    ),
    SettingSpec(
        "report_time",
        SettingType.TIME,
        label="setting.report_time",
        hint="setting.hint.time",
        default=lambda s: time(8, 0),
    ),
)

SETTINGS_BY_KEY: dict[str, SettingSpec] = {spec.key: spec for spec in SETTINGS}


def spec_for(key: str) -> SettingSpec:
    try:
        return SETTINGS_BY_KEY[key]
    except KeyError:
        raise DomainError("stale") from None


# --- shift templates ------------------------------------------------------------------------
def shift_templates(shifts: Iterable[tuple[time, time]]) -> tuple[str, ...]:
    """Shift templates as text (`08:00-11:00`), one by one and in order."""
    spec = SETTINGS_BY_KEY["shifts"]
    return tuple(spec.dump((pair,)) for pair in shifts)


@dataclass(frozen=True)
class ShiftRenumbering:
    """A station's shift templates changing from `old` to `new`. Places store their shifts as
    positions in the list, so each place keeps its hours by taking the new position of each
    of its old shifts; a shift no longer in the list is dropped from the places that had it
    (and a position past the old list, which was never planned, is dropped too)."""

    old: tuple[str, ...]
    new: tuple[str, ...]

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(t for t in self.old if t not in self.new)

    def indices(self, stored: Iterable[int]) -> tuple[int, ...]:
        """The new positions of the old shifts at `stored`, sorted."""
        old = [self.old[i] for i in set(stored) if 0 <= i < len(self.old)]
        return tuple(sorted({self.new.index(t) for t in old if t in self.new}))

    def names(self, stored: Iterable[int]) -> tuple[str, ...]:
        """The hours of the old positions `stored` (as the place is walked before the change)."""
        return tuple(self.old[i] for i in sorted(set(stored)) if 0 <= i < len(self.old))
