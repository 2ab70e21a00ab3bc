"""Patrol days: making and publishing the plan, leave and re-planning, replacing and
swapping, check-in and check-out with the patrol log, and a person's record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.calendar import Level, level_on
from models.clock import Clock
from models.errors import DomainError
from models.org import Person, Role
from models.patrol import Assignment, CheckIn, Leave, shift_times
from models.planner import Assignment as Planned
from models.planner import DayPlan, History, Member, Slot, plan_day, record
from models.services.peaks import PeakService
from models.services.station_settings import StationSettingsService
from models.store.db import Database
from models.store.org_repo import OrgRepository
from models.store.patrol_repo import PatrolRepository
from models.store.people_repo import PeopleRepository

WINDOW_DAYS = 28
MAX_NOTE = 500


@dataclass(frozen=True)
class Change:
    """An assignment that moved to someone else (or to nobody: `new` is None)."""

    old: Assignment
    new: Assignment | None


class PatrolService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        station_settings: StationSettingsService,
        zone: ZoneInfo,
        peaks: PeakService,
    ) -> None:
        self.peaks = peaks
        self.db = db
        self.clock = clock
        self.station_settings = station_settings
        self.zone = zone
        self.repo = PatrolRepository(db)
        self.people = PeopleRepository(db)
        self.org = OrgRepository(db)

    def today(self) -> date:
        return self.clock.now().astimezone(self.zone).date()

    async def shifts(self, station_id: int) -> tuple[tuple[time, time], ...]:
        value: tuple[tuple[time, time], ...] = await self.station_settings.value(
            station_id, "shifts"
        )
        return value

    # --- inputs of the planner ------------------------------------------------------
    async def slots_for(self, office_id: int, day: date) -> list[Slot]:
        office = await self.org.office(office_id)
        if office is None:
            return []
        shifts = await self.shifts(office.station_id)
        now = self.clock.now()
        # a shift that is already over is not planned (a day planned late plans what is left)
        open_shifts = {
            index
            for index, template in enumerate(shifts)
            if shift_times(day, template, self.zone)[1] > now
        }
        # on peak days a hot spot needs more people ("busy" x2, "very busy" x3 by default);
        # the planner fills hot spots first, so the extra people come from other areas
        peaks = await self.peaks.peaks(office.station_id, day, day)
        boost = {
            Level.BUSY: await self.station_settings.value(office.station_id, "boost_busy"),
            Level.VERY_BUSY: await self.station_settings.value(
                office.station_id, "boost_very_busy"
            ),
        }
        slots = []
        for place in await self.org.places(office_id):
            if not place.is_patrol_area or place.patrol_need <= 0:
                continue
            level = level_on(day, place.id, peaks) if place.is_hot_spot else None
            need = place.patrol_need * (boost[level] if level else 1)
            for shift in place.shifts:
                if shift in open_shifts:
                    slots.append(Slot(place.id, shift, need, place.is_hot_spot))
        return slots

    async def members_for(self, office_id: int, day: date) -> list[Member]:
        people = [
            p
            for p in await self.people.in_office(office_id, active_only=True)
            if p.role is Role.MEMBER
        ]
        away = await self.repo.on_leave([p.id for p in people], day)
        pairings = await self.people.pairings_in_office(office_id)
        return [Member(p.id, p.id not in away, tuple(pairings.get(p.id, ()))) for p in people]

    async def officers_for(self, office_id: int, day: date) -> list[int]:
        officers = [
            p.id
            for p in await self.people.in_office(office_id, active_only=True)
            if p.role is Role.OFFICER
        ]
        away = await self.repo.on_leave(officers, day)
        return [o for o in officers if o not in away]

    async def history(self, office_id: int, day: date) -> History:
        """The last four weeks before `day`, rebuilt from the stored days."""
        first = day - timedelta(days=WINDOW_DAYS)
        last = day - timedelta(days=1)
        history = History()
        assignments = await self.repo.assignments_between(office_id, first, last)
        by_day: dict[date, list[Assignment]] = {}
        for a in assignments:
            by_day.setdefault(a.day, []).append(a)
        for stored in await self.repo.days_between(office_id, first, last):
            d = date.fromisoformat(stored["day"])
            planned = tuple(
                Planned(a.member_id, a.area_id, a.shift, a.officer_id) for a in by_day.get(d, [])
            )
            record(
                history,
                DayPlan(d, planned, (), tuple(stored["available"]), int(stored["slots"])),
            )
        return history

    # --- making and publishing ------------------------------------------------------
    async def plan(self, office_id: int, day: date) -> DayPlan | None:
        """Plan an office's day once; None when it was already planned."""
        async with self.db.write():
            if await self.repo.day(office_id, day) is not None:
                return None
            office = await self.org.office(office_id)
            if office is None:
                return None
            shifts = await self.shifts(office.station_id)
            slots = await self.slots_for(office_id, day)
            if not slots:
                return None  # an office with no patrol areas has no patrol day
            result = plan_day(
                day,
                await self.members_for(office_id, day),
                slots,
                await self.officers_for(office_id, day),
                await self.history(office_id, day),
            )
            now = self.clock.now()
            await self.repo.save_day(
                office_id,
                day,
                result.slots,
                list(result.available),
                [{"area": s.area_id, "shift": s.shift} for s in result.unfilled],
                now,
            )
            for a in result.assignments:
                start, end = shift_times(day, shifts[a.shift], self.zone)
                await self.repo.add_assignment(
                    office_id=office_id,
                    day=day,
                    member_id=a.member_id,
                    area_id=a.area_id,
                    shift=a.shift,
                    starts_at=start,
                    ends_at=end,
                    officer_id=a.officer_id,
                    at=now,
                )
            return result

    async def publish(self, office_id: int, day: date) -> bool:
        async with self.db.write():
            return await self.repo.mark_published(office_id, day, self.clock.now())

    async def is_published(self, office_id: int, day: date) -> bool:
        stored = await self.repo.day(office_id, day)
        return stored is not None and stored["published_at"] is not None

    # --- leave and re-planning ------------------------------------------------------
    async def add_leave(
        self, person: Person, start: date, end: date, reason: str | None
    ) -> tuple[Leave, list[Change]]:
        if person.role not in (Role.MEMBER, Role.OFFICER) or person.office_id is None:
            raise DomainError("not_allowed")
        reason = (reason or "").strip()[:MAX_NOTE] or None
        async with self.db.write():
            leave_id = await self.repo.add_leave(person.id, start, end, reason, self.clock.now())
            leave = await self.repo.leave(leave_id)
            assert leave is not None
            changes = await self.replan_member(person, start, end)
            return leave, changes

    async def decline_leave(self, officer: Person, leave_id: int) -> Leave:
        async with self.db.write():
            leave = await self.repo.leave(leave_id)
            if leave is None:
                raise DomainError("stale")
            owner = await self.people.get(leave.person_id)
            if owner is None or not await self.may_manage(officer, owner.office_id):
                raise DomainError("not_allowed")
            if not await self.repo.decline_leave(leave_id, officer.id, self.clock.now()):
                raise DomainError("leave_already_declined")
            declined = await self.repo.leave(leave_id)
            assert declined is not None
            return declined

    async def replan_member(self, person: Person, first: date, last: date) -> list[Change]:
        """Her slots in [first, last] that have not started go to others, or are reported
        open; an officer's slots get another responsible officer."""
        first = max(first, self.today())
        now = self.clock.now()
        changes = []
        for old in await self.repo.of_member(person.id, first, last):
            if old.starts_at <= now:
                continue  # walked or under way: history, not plan
            await self.repo.drop_available(old.office_id, old.day, person.id)
            changes.append(await self._refill(old))
        if person.role is Role.OFFICER:
            changes += await self.officer_away(person, first, last)
        return changes

    async def officer_away(self, officer: Person, first: date, last: date) -> list[Change]:
        """Slots this officer is responsible for go to another available officer."""
        if officer.office_id is None:
            return []
        now = self.clock.now()
        changes = []
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            for a in await self.repo.assignments(officer.office_id, day):
                if a.officer_id != officer.id or a.starts_at <= now:
                    continue
                others = [o for o in await self.officers_for(a.office_id, day) if o != officer.id]
                await self.repo.set_member(a.id, a.member_id, others[0] if others else None)
                new = await self.repo.assignment(a.id)
                changes.append(Change(a, new))
        return changes

    async def _refill(self, old: Assignment) -> Change:
        """Cancel `old` and give its slot to the available member furthest behind."""
        await self.repo.cancel_assignment(old.id)
        busy = {a.member_id for a in await self.repo.assignments(old.office_id, old.day)}
        candidates = [
            m
            for m in await self.members_for(old.office_id, old.day)
            if m.available and m.id not in busy and m.id != old.member_id
        ]
        if not candidates:
            stored = await self.repo.day(old.office_id, old.day)
            unfilled = (stored or {}).get("unfilled", [])
            unfilled.append({"area": old.area_id, "shift": old.shift})
            await self.repo.set_unfilled(old.office_id, old.day, unfilled)
            return Change(old, None)
        history = await self.history(old.office_id, old.day)
        chosen = max(candidates, key=lambda m: (round(history.credit(m.id), 9), -m.id))
        officers = await self.officers_for(old.office_id, old.day)
        officer = next((o for o in chosen.paired_officers if o in officers), old.officer_id)
        new_id = await self.repo.add_assignment(
            office_id=old.office_id,
            day=old.day,
            member_id=chosen.id,
            area_id=old.area_id,
            shift=old.shift,
            starts_at=old.starts_at,
            ends_at=old.ends_at,
            officer_id=officer,
            at=self.clock.now(),
        )
        new = await self.repo.assignment(new_id)
        return Change(old, new)

    async def member_left(self, person: Person) -> list[Change]:
        """A suspended or moved member (or officer): future slots are re-planned."""
        if person.role not in (Role.MEMBER, Role.OFFICER):
            return []
        return await self.replan_member(person, self.today(), self.today() + timedelta(days=60))

    # --- officers editing the plan --------------------------------------------------
    async def replace(self, officer: Person, assignment_id: int, member_id: int) -> Change:
        async with self.db.write():
            old = await self.editable(officer, assignment_id)
            member = await self.people.get(member_id)
            if (
                member is None
                or member.role is not Role.MEMBER
                or member.office_id != old.office_id
            ):
                raise DomainError("swap_other_office")
            if not member.active:
                raise DomainError("person_inactive")
            if member.id in await self.repo.on_leave([member.id], old.day):
                raise DomainError("member_on_leave")
            if any(
                a.member_id == member.id
                for a in await self.repo.assignments(old.office_id, old.day)
            ):
                raise DomainError("member_already_planned")
            await self.repo.set_member_only(old.id, member.id)
            new = await self.repo.assignment(old.id)
            assert new is not None
            return Change(old, new)

    async def exchange(
        self, officer: Person, first_id: int, second_id: int
    ) -> tuple[Assignment, Assignment]:
        """Two members of the same day trade their slots."""
        async with self.db.write():
            first = await self.editable(officer, first_id)
            second = await self.editable(officer, second_id)
            if (
                first.day != second.day
                or first.office_id != second.office_id
                or first.id == second.id
            ):
                raise DomainError("swap_other_office")
            await self.repo.exchange_members(first.id, second.id)
            a = await self.repo.assignment(first.id)
            b = await self.repo.assignment(second.id)
            assert a is not None and b is not None
            return a, b

    async def editable(self, officer: Person, assignment_id: int) -> Assignment:
        assignment = await self.repo.assignment(assignment_id)
        if assignment is None or assignment.status != "planned":
            raise DomainError("stale")
        if not await self.may_manage(officer, assignment.office_id):
            raise DomainError("not_allowed")
        if assignment.ends_at <= self.clock.now():
            raise DomainError("assignment_past")
        return assignment

    async def may_manage(self, person: Person, office_id: int | None) -> bool:
        """Officers of the office edit its plan; so do its station's chief and operators."""
        if not person.active or office_id is None:
            return False
        if person.role is Role.OPERATOR:
            return True
        if person.role is Role.CHIEF:
            office = await self.org.office(office_id)
            return office is not None and office.station_id == person.station_id
        return person.role is Role.OFFICER and person.office_id == office_id

    # --- members swapping -----------------------------------------------------------
    async def request_swap(self, member: Person, assignment_id: int, other_id: int) -> int:
        async with self.db.write():
            assignment = await self.repo.assignment(assignment_id)
            if (
                assignment is None
                or assignment.member_id != member.id
                or assignment.status != "planned"
            ):
                raise DomainError("not_allowed")
            if assignment.starts_at <= self.clock.now():
                raise DomainError("assignment_past")
            other = await self.people.get(other_id)
            if (
                other is None
                or not other.active
                or other.role is not Role.MEMBER
                or other.id == member.id  # a swap with oneself is no swap
            ):
                raise DomainError("not_allowed")
            if other.office_id != member.office_id:
                raise DomainError("swap_other_office")
            if other.id in await self.repo.on_leave([other.id], assignment.day):
                raise DomainError("member_on_leave")
            return await self.repo.add_swap(assignment.id, member.id, other.id, self.clock.now())

    async def answer_swap(
        self, person: Person, swap_id: int, accept: bool
    ) -> tuple[dict, Assignment]:  # type: ignore[type-arg]
        async with self.db.write():
            swap = await self.repo.swap(swap_id)
            if swap is None or swap["to_member"] != person.id:
                raise DomainError("not_allowed")
            assignment = await self.repo.assignment(swap["assignment_id"])
            if (
                assignment is None
                or assignment.status != "planned"
                or assignment.member_id != swap["from_member"]
            ):
                raise DomainError("stale")
            status = "accepted" if accept else "declined"
            now = self.clock.now()
            mine = [
                a
                for a in await self.repo.assignments(assignment.office_id, assignment.day)
                if a.member_id == person.id
            ]
            if accept:
                # both slots still ahead, and she is free that day
                if assignment.starts_at <= now or any(a.starts_at <= now for a in mine):
                    raise DomainError("assignment_past")
                if person.id in await self.repo.on_leave([person.id], assignment.day):
                    raise DomainError("member_on_leave")
            if not await self.repo.decide_swap(swap_id, status, "pending", now):
                raise DomainError("swap_decided")
            if accept:
                if mine:
                    await self.repo.exchange_members(assignment.id, mine[0].id)
                else:
                    await self.repo.set_member_only(assignment.id, person.id)
            updated = await self.repo.assignment(assignment.id)
            assert updated is not None
            swap = await self.repo.swap(swap_id)
            assert swap is not None
            return swap, updated

    async def veto_swap(self, officer: Person, swap_id: int) -> tuple[dict, Assignment]:  # type: ignore[type-arg]
        async with self.db.write():
            swap = await self.repo.swap(swap_id)
            if swap is None:
                raise DomainError("stale")
            assignment = await self.repo.assignment(swap["assignment_id"])
            if assignment is None or not await self.may_manage(officer, assignment.office_id):
                raise DomainError("not_allowed")
            # only while both slots are planned and ahead: a veto never rewrites the past
            mine = [
                a
                for a in await self.repo.assignments(assignment.office_id, assignment.day)
                if a.member_id in (swap["from_member"], swap["to_member"])
            ]
            if assignment.status != "planned" or any(
                a.starts_at <= self.clock.now() for a in [assignment, *mine]
            ):
                raise DomainError("assignment_past")
            if not await self.repo.decide_swap(swap_id, "vetoed", "accepted", self.clock.now()):
                raise DomainError("swap_decided")
            others = [
                a
                for a in await self.repo.assignments(assignment.office_id, assignment.day)
                if a.member_id == swap["from_member"]
            ]
            if others:
                await self.repo.exchange_members(assignment.id, others[0].id)
            else:
                await self.repo.set_member_only(assignment.id, swap["from_member"])
            restored = await self.repo.assignment(assignment.id)
            assert restored is not None
            return swap, restored

    # --- check-in and check-out ------------------------------------------------------
    async def checkin(self, person: Person) -> tuple[CheckIn, Assignment | None]:
        """Start a patrol: today's assignment (the next or current shift), or an unplanned
        patrol when she has none."""
        if person.role not in (Role.MEMBER, Role.PARTNER) or person.office_id is None:
            raise DomainError("not_allowed")
        async with self.db.write():
            if await self.repo.open_checkin(person.id) is not None:
                raise DomainError("already_checked_in")
            now = self.clock.now()
            today = self.today()
            lead = timedelta(minutes=60)
            if person.station_id is not None:
                minutes = await self.station_settings.value(
                    person.station_id, "shift_reminder_minutes"
                )
                lead = timedelta(minutes=max(minutes, 30))
            # a check-in belongs to a slot from its reminder on; earlier it is unplanned
            candidates = [
                a
                for a in await self.repo.of_member(person.id, today, today)
                if a.starts_at - lead <= now < a.ends_at
                and await self.repo.checkin_for(a.id) is None
            ]
            assignment = min(candidates, key=lambda a: a.starts_at) if candidates else None
            checkin_id = await self.repo.add_checkin(
                person.id, assignment.id if assignment else None, person.office_id, now
            )
            checkin = await self.repo.checkin(checkin_id)
            assert checkin is not None
            return checkin, assignment

    async def locate_checkin(self, person: Person, latitude: float, longitude: float) -> None:
        async with self.db.write():
            checkin = await self.repo.open_checkin(person.id)
            if checkin is None:
                raise DomainError("not_checked_in")
            await self.repo.locate_checkin(checkin.id, latitude, longitude)

    async def checkout(self, person: Person) -> CheckIn:
        async with self.db.write():
            checkin = await self.repo.open_checkin(person.id)
            if checkin is None:
                raise DomainError("not_checked_in")
            await self.repo.end_checkin(checkin.id, self.clock.now(), auto=False)
            ended = await self.repo.checkin(checkin.id)
            assert ended is not None
            return ended

    async def set_log(
        self, person: Person, checkin_id: int, field: str, value: int | str | None
    ) -> None:
        async with self.db.write():
            checkin = await self.repo.checkin(checkin_id)
            if checkin is None or checkin.person_id != person.id:
                raise DomainError("not_allowed")
            await self.repo.set_log(checkin.id, field, value)

    async def auto_close(self, assignment_id: int) -> CheckIn | None:
        """A check-in left open: closed at the shift's end (hours count to the end only)."""
        checkin = await self.repo.checkin_for(assignment_id)
        assignment = await self.repo.assignment(assignment_id)
        if checkin is None or checkin.ended_at is not None or assignment is None:
            return None
        await self.repo.end_checkin(
            checkin.id, max(assignment.ends_at, checkin.started_at), auto=True
        )
        return await self.repo.checkin(checkin.id)

    async def auto_close_unplanned(self, checkin_id: int, hours: int) -> CheckIn | None:
        """An unplanned patrol left open is closed after `hours`."""
        checkin = await self.repo.checkin(checkin_id)
        if checkin is None or checkin.ended_at is not None:
            return None
        await self.repo.end_checkin(
            checkin.id, checkin.started_at + timedelta(hours=hours), auto=True
        )
        return await self.repo.checkin(checkin.id)

    async def month_record(self, person: Person) -> tuple[int, float, int]:
        """This month: planned shifts, hours walked (from check-ins), check-ins."""
        today = self.today()
        first = today.replace(day=1)
        shifts = await self.repo.of_member(person.id, first, today)
        start = datetime.combine(first, time(0), tzinfo=self.zone)
        end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=self.zone)
        checkins = await self.repo.checkins_between(person.id, start, end)
        hours = sum(
            ((c.ended_at or self.clock.now()) - c.started_at).total_seconds() / 3600
            for c in checkins
        )
        return len(shifts), round(hours, 1), len(checkins)
