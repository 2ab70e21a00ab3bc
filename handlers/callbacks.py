"""Callback data `feature:action:arg...`, built and parsed in one place, under 64 bytes."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote

MAX_BYTES = 64


@dataclass(frozen=True)
class Callback:
    feature: str
    action: str
    args: tuple[str, ...]

    def int_arg(self, index: int) -> int:
        """An integer argument; a forged or missing one raises ValueError."""
        return int(self.args[index])


def encode(feature: str, action: str, *args: object) -> str:
    parts = [feature, action, *(quote(str(a), safe="") for a in args)]
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data too long: {data}")
    return data


def decode(data: str | None) -> Callback | None:
    if not data:
        return None
    parts = data.split(":")
    if len(parts) < 2:
        return None
    return Callback(parts[0], parts[1], tuple(unquote(p) for p in parts[2:]))


def pattern(feature: str) -> str:
    """The `CallbackQueryHandler` pattern for one feature's buttons."""
    return f"^{feature}:"
