"""The patrol planner: for an office and a date, who walks which area in which shift, with
which officer. Pure and deterministic (same inputs, same plan); fair over time.

Fairness: every day each available member earns an equal share of that day's slots
(`slots / available members`) as her *expected* shifts; the day's slots go to the available
members who are furthest behind (expected minus actual), at most one shift a day each. This
largest-remainder rule keeps every member within one shift of her expected number over any
window, so shifts are in proportion to the days she was available. Areas rotate: each slot
goes to the chosen member who has walked that area least (and longest ago)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Slot:
    """One place in one shift that needs `need` members (on peak days, more)."""

    area_id: int
    shift: int
    need: int = 1
    hot_spot: bool = False


@dataclass(frozen=True)
class Member:
    id: int
    available: bool
    paired_officers: tuple[int, ...] = ()


@dataclass
class History:
    """What the planner remembers: expected and actual shifts per member over the window,
    and each member's visits to each area (count, last date)."""

    expected: dict[int, float] = field(default_factory=dict)
    actual: dict[int, int] = field(default_factory=dict)
    visits: dict[int, dict[int, tuple[int, date]]] = field(default_factory=dict)

    def credit(self, member_id: int) -> float:
        return self.expected.get(member_id, 0.0) - self.actual.get(member_id, 0)


@dataclass(frozen=True)
class Assignment:
    member_id: int
    area_id: int
    shift: int
    officer_id: int | None


@dataclass(frozen=True)
class DayPlan:
    day: date
    assignments: tuple[Assignment, ...]
    unfilled: tuple[Slot, ...]  # one entry per missing member
    available: tuple[int, ...]
    slots: int


def plan_day(
    day: date,
    members: Sequence[Member],
    slots: Sequence[Slot],
    officers: Sequence[int],
    history: History,
) -> DayPlan:
    """The plan for one office and one day."""
    available = sorted(m.id for m in members if m.available)
    wanted = [slot for slot in _expanded(slots)]
    chosen = sorted(available, key=lambda m: (-round(history.credit(m), 9), m))[: len(wanted)]
    # Give each slot (hot spots first, then by area and shift) to the chosen member who has
    # walked that area least, then longest ago; ties by id: deterministic.
    free = set(chosen)
    assignments: list[Assignment] = []
    unfilled: list[Slot] = []
    paired = {m.id: m.paired_officers for m in members}
    officer_load: dict[int, int] = dict.fromkeys(officers, 0)
    for slot in sorted(wanted, key=lambda s: (not s.hot_spot, s.shift, s.area_id)):
        if not free:
            unfilled.append(Slot(slot.area_id, slot.shift, 1, slot.hot_spot))
            continue
        member = min(free, key=lambda m: _visit_key(history, m, slot.area_id))
        free.discard(member)
        officer = _officer_for(paired.get(member, ()), officers, officer_load)
        assignments.append(Assignment(member, slot.area_id, slot.shift, officer))
    return DayPlan(
        day=day,
        assignments=tuple(sorted(assignments, key=lambda a: (a.shift, a.area_id, a.member_id))),
        unfilled=tuple(unfilled),
        available=tuple(available),
        slots=len(wanted),
    )


def _expanded(slots: Iterable[Slot]) -> list[Slot]:
    """A slot needing N members counts as N places."""
    return [Slot(s.area_id, s.shift, 1, s.hot_spot) for s in slots for _ in range(s.need)]


def _visit_key(history: History, member_id: int, area_id: int) -> tuple[int, date, int]:
    count, last = history.visits.get(member_id, {}).get(area_id, (0, date.min))
    return count, last, member_id


def _officer_for(
    paired: Sequence[int], officers: Sequence[int], load: dict[int, int]
) -> int | None:
    """Her paired officer when available; else the available officer with the fewest slots."""
    for officer in paired:
        if officer in load:
            load[officer] += 1
            return officer
    if not load:
        return None
    officer = min(load, key=lambda o: (load[o], o))
    load[officer] += 1
    return officer


def record(history: History, plan: DayPlan) -> None:
    """Add a day's plan to the history."""
    if plan.available:
        share = min(1.0, plan.slots / len(plan.available))
        for member in plan.available:
            history.expected[member] = history.expected.get(member, 0.0) + share
    for a in plan.assignments:
        history.actual[a.member_id] = history.actual.get(a.member_id, 0) + 1
        visits = history.visits.setdefault(a.member_id, {})
        count, _last = visits.get(a.area_id, (0, date.min))
        visits[a.area_id] = (count + 1, plan.day)


def spread(history: History, members: Iterable[int]) -> Mapping[int, float]:
    """Actual minus expected shifts per member (the fairness figure)."""
    return {m: history.actual.get(m, 0) - history.expected.get(m, 0.0) for m in members}
