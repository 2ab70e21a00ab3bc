"""Time: one clock the whole bot reads (tests move it), UTC in storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time in UTC; `FrozenClock` in tests replaces it."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class OffsetClock(Clock):
    """Wall-clock time shifted by a fixed amount: a rehearsal (or a test of a bot process)
    that lives on a chosen day while time runs as usual; every restart keeps the shift."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class FrozenClock(Clock):
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)


def to_db(moment: datetime) -> str:
    """Store an aware datetime as UTC ISO-8601 to the millisecond (a step due at 10.7 s must
    not come due at 10 s after a restart). Rows written to the second by older versions sort
    correctly among these: "…:00+00:00" < "…:00.123+00:00" < "…:01+00:00"."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime cannot be stored")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
