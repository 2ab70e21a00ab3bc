"""Station settings: every entry declared once with its type, default, bounds and label.

Deployment-wide defaults come from `Settings` (environment); a value a chief stores with
`/settings` wins for that station. Later features append entries to `SETTINGS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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


_PARSERS: dict[SettingType, Callable[[str], Any]] = {
    SettingType.INT: _parse_int,
    SettingType.TIME: _parse_time,
    SettingType.SECONDS_LIST: _parse_seconds_list,
    SettingType.BOOL: _parse_bool,
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

SETTINGS_BY_KEY: dict[str, SettingSpec] = {spec.key: spec for spec in SETTINGS}


def spec_for(key: str) -> SettingSpec:
    try:
        return SETTINGS_BY_KEY[key]
    except KeyError:
        raise DomainError("stale") from None
