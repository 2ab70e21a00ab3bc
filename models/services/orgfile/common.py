"""What the parts of an application share: matching rows to the file, the fields that
changed, and how stored values (shift templates, settings) read in the file."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any, Protocol, TypeVar

from models.config import Settings
from models.errors import DomainError
from models.org import Place, PlaceKind
from models.orgfile import SHIFTS_KEY, setting_text
from models.station_settings import SETTINGS_BY_KEY, ShiftRenumbering

ACTION = "org:apply"


def default_templates() -> tuple[str, ...]:
    """The shift templates of a station that has not set its own."""
    spec = SETTINGS_BY_KEY[SHIFTS_KEY]
    # the default shifts do not depend on the deployment's settings, which apply does not read
    return templates_of(spec.dump(spec.default(Settings.model_construct())))


def templates_of(text: str) -> tuple[str, ...]:
    """Stored shift templates (`08:00-11:00,14:00-17:00`) one by one."""
    spec = SETTINGS_BY_KEY[SHIFTS_KEY]
    return tuple(spec.dump((pair,)) for pair in spec.parse(text))


def templates_or_none(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    try:
        return templates_of(text)
    except DomainError:
        return None


def canonical(key: str, text: str) -> str:
    """A stored setting in the form the file uses (the text as stored if it no longer parses)."""
    spec = SETTINGS_BY_KEY.get(key)
    if spec is None:
        return text
    try:
        return setting_text(spec, text)
    except DomainError:
        return text


# --- matching rows to the file ----------------------------------------------------------------
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


def match_row(code: str | None, name: str, rows: list[C]) -> C | None:
    """The row with this code; else one without a code and with this name (a file that gives
    a code to a station or office made in Telegram adopts it)."""
    if code is not None:
        for row in rows:
            if row.code == code:
                return row
    return best_row([r for r in rows if r.code is None and r.name == name])


def best_row(rows: list[R]) -> R | None:
    """Among rows of the same key: the oldest active one, else the newest removed one."""
    active = sorted((r for r in rows if r.active), key=lambda r: r.id)
    if active:
        return active[0]
    removed = sorted(rows, key=lambda r: r.id)
    return removed[-1] if removed else None


# --- what changed -----------------------------------------------------------------------------
def active_field(was_active: bool) -> tuple[str, bool, bool]:
    return ("active", was_active, True)


def diff(*fields: tuple[str, Any, Any]) -> tuple[dict[str, Any], dict[str, Any], tuple[str, ...]]:
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
            details.append(f"{name} {show(old)} -> {show(new)}")
    return before, after, tuple(details)


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | frozenset | set):
        return [_plain(v) for v in value]
    return value


def renumbered(
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
    hours, now = renumbering.names(stored), shift_names(shifts, renumbering.new)
    if lost := [h for h in hours if h in renumbering.removed]:
        return (f"no longer in the station's shifts: {', '.join(lost)}",)
    if hours == now:
        return (f"shifts kept at {show(now)} (renumbered: the station's shift list changed)",)
    return ()  # the file gave other hours: the line says so already


# --- how values read in the report ------------------------------------------------------------
def coded_label(name: str, code: str | None) -> str:
    return f"{name} [{code}]" if code is not None else name


def show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def kinds_of(place: Place) -> frozenset[PlaceKind]:
    return frozenset(k for k in PlaceKind if place.has_kind(k))


def kind_names(kinds: frozenset[PlaceKind]) -> tuple[str, ...]:
    return tuple(k.value for k in PlaceKind if k in kinds)


def shift_names(indices: Iterable[int], templates: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(templates[i] if i < len(templates) else f"#{i + 1}" for i in sorted(indices))


def place_names(ids: Iterable[int], names: dict[int, str]) -> str:
    return ", ".join(sorted(names.get(i, f"#{i}") for i in ids))


def located_at(latitude: float | None, longitude: float | None) -> list[str]:
    return [f"at {latitude}, {longitude}"] if latitude is not None else []


def counts(**numbers: int) -> list[str]:
    return [f"{count} {what}" for what, count in numbers.items() if count]
