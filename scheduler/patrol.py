"""Patrol timers: plan tomorrow (20:00), publish the day (07:30), and per assignment the
shift reminder, the missed check-in alert and the automatic check-out. Every one is a row;
the daily rows are ensured by a periodic job, so a bot that was down publishes once when it
comes back (the same day), and a reminder for a shift that already started is not sent."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from models.org import Person
from models.patrol import Assignment
from models.rails import Timer
from models.services.timers import TimerKind
from scheduler.notices.patrol_notify import PatrolNotifier

if TYPE_CHECKING:
    from handlers.context import PatrolApplication

PLAN, PUBLISH, PUBLISH_OFFICE = "patrol_plan", "patrol_publish", "patrol_publish_office"
REMIND, MISSED, AUTOCLOSE = "shift_reminder", "missed_checkin", "checkin_autoclose"
UNPLANNED_CLOSE = "unplanned_autoclose"
UNPLANNED_HOURS = 6


class PatrolJobs:
    def __init__(self, app: PatrolApplication) -> None:
        self.app = app
        self.services = app.services
        self.notifier = PatrolNotifier(app.services, app.translator)

    def local(self, day: date, at: object) -> datetime:
        zone = self.services.settings.zone
        return datetime.combine(day, at, tzinfo=zone)  # type: ignore[arg-type]

    async def ensure_calendar(self) -> None:
        """For every station: tomorrow's plan and today's and tomorrow's publishing."""
        patrol = self.services.patrol
        today = patrol.today()
        timers = self.services.timers
        for station in await self.services.org.repo.stations():
            plan_at = await self.services.station_settings.value(station.id, "plan_time")
            publish_at = await self.services.station_settings.value(station.id, "publish_time")
            tomorrow = today + timedelta(days=1)
            await timers.ensure(
                PLAN,
                f"patrol:plan:{station.id}:{tomorrow}",
                self.local(today, plan_at),
                {"station": station.id, "day": tomorrow.isoformat()},
            )
            for day in (today, tomorrow):
                await timers.ensure(
                    PUBLISH,
                    f"patrol:publish:{station.id}:{day}",
                    self.local(day, publish_at),
                    {"station": station.id, "day": day.isoformat()},
                )

    async def on_plan(self, timer: Timer) -> None:
        """Make tomorrow's plan for each office; its officers may edit it before it goes out."""
        day = date.fromisoformat(timer.payload["day"])
        for office in await self.services.org.repo.offices(int(timer.payload["station"])):
            if await self.services.patrol.plan(office.id, day) is not None:
                await self.notifier.office_plan(office.id, day, draft=True)

    async def on_publish(self, timer: Timer) -> None:
        """The station's day goes out office by office: a timer each, due now, so the
        morning's publication runs in short slices (an update or a backup call arriving at
        07:30 waits for one office at most, not the whole station)."""
        day, station = timer.payload["day"], int(timer.payload["station"])
        for office in await self.services.org.repo.offices(station):
            await self.services.timers.ensure(
                PUBLISH_OFFICE,
                f"patrol:publish:{station}:{day}:{office.id}",
                timer.due_at,
                {"office": office.id, "day": day},
            )

    async def on_publish_office(self, timer: Timer) -> None:
        """One office's day: each member her assignment, its officers the office plan."""
        day, office = date.fromisoformat(timer.payload["day"]), int(timer.payload["office"])
        patrol = self.services.patrol
        await patrol.plan(office, day)
        if await patrol.repo.day(office, day) is None or not await patrol.publish(office, day):
            return
        now = self.services.clock.now()
        for a in await patrol.repo.assignments(office, day):
            # a reminder due at or before the publication rides in the day's message
            # (with its check-in button) instead of a second message the same second;
            # none for a shift that started already (a late publication)
            merged = await self.reminder_at(a) <= now < a.starts_at
            await self.notifier.member_day(a, with_reminder=merged)
            await self.schedule(a, reminder=not merged)
        await self.notifier.office_plan(office, day, draft=False)

    async def reminder_at(self, a: Assignment) -> datetime:
        """When the shift's reminder is due (the station's lead before its start)."""
        office = await self.services.org.repo.office(a.office_id)
        if office is None:
            return a.starts_at
        lead = await self.services.station_settings.value(
            office.station_id, "shift_reminder_minutes"
        )
        return a.starts_at - timedelta(minutes=lead)

    async def schedule(self, a: Assignment, reminder: bool = True) -> None:
        """Reminder before the shift (unless the caller's message carries it), missed
        check-in after its start, auto check-out."""
        office = await self.services.org.repo.office(a.office_id)
        if office is None:
            return
        value = self.services.station_settings.value
        missed = await value(office.station_id, "missed_checkin_minutes")
        close = await value(office.station_id, "checkin_autoclose_minutes")
        timers = self.services.timers
        payload = {"assignment": a.id}
        if reminder:
            await timers.schedule(
                REMIND, f"shift:remind:{a.id}", await self.reminder_at(a), payload
            )
        else:
            await timers.cancel(f"shift:remind:{a.id}")
        # never "missed" before she could have read her day
        missed_at = max(a.starts_at, self.services.clock.now()) + timedelta(minutes=missed)
        await timers.schedule(MISSED, f"shift:missed:{a.id}", missed_at, payload)
        await timers.schedule(
            AUTOCLOSE, f"shift:close:{a.id}", a.ends_at + timedelta(minutes=close), payload
        )

    async def _assignment(self, timer: Timer) -> Assignment | None:
        a = await self.services.patrol.repo.assignment(int(timer.payload["assignment"]))
        return a if a is not None and a.status == "planned" else None

    async def on_remind(self, timer: Timer) -> None:
        a = await self._assignment(timer)
        if a is None or self.services.clock.now() >= a.starts_at:
            return  # the shift started: a late reminder helps nobody
        member = await self.services.people.get(a.member_id)
        if member is None or not member.active:
            return
        locale = self.notifier.locale(member)
        _m, officer, area = await self.notifier.names(a)
        text = self.app.translator.text(
            locale, "patrol.reminder", area=area, hours=self.notifier.hhmm(a), officer=officer
        )
        keyboard = {
            "inline_keyboard": [[self.notifier.button(locale, "patrol.btn_checkin", "in")]]
        }
        await self.services.outbox.send(
            member.tg_user_id, text, reply_markup=keyboard, ref=f"patrol:{a.id}"
        )

    async def on_missed(self, timer: Timer) -> None:
        a = await self._assignment(timer)
        if a is None or await self.services.patrol.repo.checkin_for(a.id) is not None:
            return
        member, _officer, area = await self.notifier.names(a)
        officer = await self.services.people.get(a.officer_id) if a.officer_id else None
        recipients = (
            [officer.id]
            if officer is not None and officer.active
            else [
                p.id
                for p in await self.services.people.repo.in_office(a.office_id, active_only=True)
                if p.role.value == "officer"
            ]
        )
        for person_id in recipients:
            await self.notifier.to_person(
                person_id,
                "patrol.missed_checkin",
                name=member,
                area=area,
                hours=self.notifier.hhmm(a),
            )

    async def on_unplanned_close(self, timer: Timer) -> None:
        closed = await self.services.patrol.auto_close_unplanned(
            int(timer.payload["checkin"]), UNPLANNED_HOURS
        )
        if closed is not None:
            await self.notifier.to_person(closed.person_id, "patrol.auto_closed_unplanned")

    async def on_autoclose(self, timer: Timer) -> None:
        a = await self._assignment(timer)
        if a is None:
            return
        closed = await self.services.patrol.auto_close(a.id)
        if closed is not None:
            await self.notifier.to_person(
                a.member_id, "patrol.auto_closed", hours=self.notifier.hhmm(a)
            )


def register(app: PatrolApplication) -> PatrolJobs:
    jobs = PatrolJobs(app)
    timers = app.services.timers
    timers.register(TimerKind(PLAN, jobs.on_plan))
    timers.register(TimerKind(PUBLISH, jobs.on_publish, max_lateness=timedelta(hours=12)))
    timers.register(
        TimerKind(PUBLISH_OFFICE, jobs.on_publish_office, max_lateness=timedelta(hours=12))
    )
    timers.register(TimerKind(REMIND, jobs.on_remind))
    timers.register(TimerKind(MISSED, jobs.on_missed, max_lateness=timedelta(hours=6)))
    timers.register(TimerKind(AUTOCLOSE, jobs.on_autoclose))
    timers.register(TimerKind(UNPLANNED_CLOSE, jobs.on_unplanned_close))

    async def member_left(actor: Person, before: Person) -> None:
        """A suspended or moved member or officer: future slots re-planned; people told."""
        for change in await app.services.patrol.member_left(before):
            await after_change(jobs, change.old, change.new)

    app.services.people.departure_hooks.append(member_left)
    app.periodic.append(jobs.ensure_calendar)
    return jobs


async def after_change(jobs: PatrolJobs, old: Assignment, new: Assignment | None) -> None:
    """Tell the people a re-planned slot affects (when the day is already out)."""
    patrol = jobs.services.patrol
    if not await patrol.is_published(old.office_id, old.day):
        return
    if new is not None and new.id == old.id:  # the same slot, another responsible officer
        names = await jobs.notifier.names(new)
        await jobs.notifier.change(new.member_id, "patrol.officer_changed", new)
        await jobs.notifier.to_person(
            new.officer_id,
            "patrol.slot_moved",
            area=names[2],
            hours=jobs.notifier.hhmm(new),
            member=names[0],
        )
        return
    await jobs.notifier.change(old.member_id, "patrol.slot_removed", old)
    if new is not None:
        await jobs.schedule(new)
        await jobs.notifier.change(new.member_id, "patrol.slot_given", new)
        await jobs.notifier.to_person(
            new.officer_id,
            "patrol.slot_moved",
            area=(await jobs.notifier.names(new))[2],
            hours=jobs.notifier.hhmm(new),
            member=(await jobs.notifier.names(new))[0],
        )
    else:
        await jobs.notifier.to_person(
            old.officer_id,
            "patrol.slot_open",
            area=(await jobs.notifier.names(old))[2],
            hours=jobs.notifier.hhmm(old),
        )
