"""Callback data `feature:action:arg...`, built and parsed in one place, under 64 bytes."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import quote, unquote

MAX_BYTES = 64
# SQLite's integers are 64-bit: a forged number beyond them is refused as stale data here,
# before any handler turns it into a query (where it would raise OverflowError).
INT_RANGE = range(-(2**63), 2**63)
_DIGITS = re.compile(r"-?\d+")


@dataclass(frozen=True)
class Callback:
    feature: str
    action: str
    args: tuple[str, ...]

    def int_arg(self, index: int) -> int:
        """An integer argument; a forged or missing one raises ValueError."""
        return int(self.args[index])

    def choice(self, index: int, allowed: Collection[str]) -> str:
        """An argument that must be one of `allowed`; anything else raises ValueError."""
        value = self.args[index]
        if value not in allowed:
            raise ValueError(f"unexpected button argument {value!r}")
        return value


def encode(feature: str, action: str, *args: object) -> str:
    parts = [feature, action, *(quote(str(a), safe="") for a in args)]
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data too long: {data}")
    return data


def decode(data: str | None) -> Callback | None:
    """The parts of a button's data; None for data no button of ours carries (too long,
    malformed, or a number out of range): the press is then refused as stale."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) < 2:
        return None
    args = tuple(unquote(p) for p in parts[2:])
    for arg in args:
        # every run of digits, as a handler may read one out of an argument ("o12", "-7")
        for digits in _DIGITS.findall(arg):
            if int(digits) not in INT_RANGE:
                return None
    return Callback(parts[0], parts[1], args)


def pattern(feature: str) -> str:
    """The `CallbackQueryHandler` pattern for one feature's buttons."""
    return f"^{feature}:"
