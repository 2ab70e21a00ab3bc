"""The weekly and monthly reports. Every Monday at the station's report time (08:00 unless
set) the chief gets last week's numbers, the picture and the five-zeros line, and each
officer their office's; on the 1st the chief gets last month's report with the workbook to
send upward. Each is a timer row made ahead of its time (key: station and week or month),
so it is sent once, after a restart too, and a bot first started mid-week does not send a
report of a week it never saw."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from handlers.stats_views import (
    CHART,
    COMPOSE_EXPORT,
    COMPOSE_STATS,
    WORKBOOK,
    StatsViews,
    render_chart,
    render_workbook,
)
from models.fraud import iso_week
from models.org import Person, Role
from models.services.timers import TimerKind
from models.stats import month_days, month_of, previous_month
from models.store.rails_repo import Timer
from models.store.stats_repo import Scope

if TYPE_CHECKING:
    from handlers.context import PatrolApplication

WEEKLY, MONTHLY = "stats_weekly", "stats_monthly"


class StatsJobs:
    def __init__(self, app: PatrolApplication, views: StatsViews) -> None:
        self.app = app
        self.services = app.services
        self.views = views

    def _at(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.services.settings.zone)

    async def ensure(self) -> None:
        """The next weekly and monthly report rows of every station, made before they are
        due (the key names the station and the week or month reported, so each is sent
        once). A row not yet sent follows a change of the report time; a period that began
        before the station existed is not reported."""
        now = self.services.clock.now()
        today = self.services.stats.today()
        for station in await self.services.org.repo.stations():
            at = await self.services.station_settings.value(station.id, "report_time")
            created = await self.services.stats.repo.station_created(station.id)
            monday = today - timedelta(days=today.weekday())
            if self._at(monday, at) <= now:
                monday += timedelta(days=7)
            reported = monday - timedelta(days=7)
            await self._ensure(
                WEEKLY,
                f"stats_weekly:{station.id}:{iso_week(reported)}",
                self._at(monday, at),
                {"station": station.id, "first": reported.isoformat()},
                self._at(reported, time(0)),
                created,
            )
            first_of_month = today.replace(day=1)
            if self._at(first_of_month, at) <= now:
                first_of_month = (first_of_month + timedelta(days=32)).replace(day=1)
            month = previous_month(month_of(first_of_month))
            await self._ensure(
                MONTHLY,
                f"stats_monthly:{station.id}:{month}",
                self._at(first_of_month, at),
                {"station": station.id, "month": month},
                self._at(month_days(month)[0], time(0)),
                created,
            )

    async def _ensure(
        self,
        kind: str,
        key: str,
        due: datetime,
        payload: dict[str, object],
        period_start: datetime,
        station_created: datetime | None,
    ) -> None:
        if station_created is not None and station_created > period_start:
            return  # the station did not exist when the period began: nothing to report
        timers = self.services.timers
        existing = await timers.repo.get(key)
        if existing is not None and (existing.done_at is not None or existing.due_at == due):
            return  # the usual minute: nothing to write, the write lock is not taken
        async with self.services.db.write():
            existing = await timers.repo.get(key)  # again, under the lock
            if existing is None:
                await timers.ensure(kind, key, due, payload)
            elif existing.done_at is None and existing.due_at != due:
                await timers.schedule(kind, key, due, payload)  # the report time changed

    def _locale(self, person: Person) -> str:
        return person.locale or self.services.settings.default_locale

    async def _zeros_line(self, locale: str, station_id: int, month: str) -> str:
        entries = await self.services.stats.zeros(station_id, [month])
        return self.views.zeros_summary(locale, month, entries[month])

    async def on_weekly(self, timer: Timer) -> None:
        station_id = int(timer.payload["station"])
        first = date.fromisoformat(str(timer.payload["first"]))
        last = first + timedelta(days=6)
        people = self.services.people.repo
        for chief in await people.with_role(Role.CHIEF, station_id):
            locale = self._locale(chief)
            # the month the week began in: early in a month, the one that just ended
            zeros = await self._zeros_line(locale, station_id, month_of(first))
            await self.views.send_figures(
                chief.tg_user_id,
                locale,
                Scope(station_id),
                first,
                last,
                urgent=False,
                ref="stats:weekly",
                header=str(self.views.t(locale, "stats.weekly_header")),
                extra=[zeros],
                always=True,
            )
        for officer in await people.with_role(Role.OFFICER, station_id):
            if officer.office_id is None:
                continue
            await self.views.send_figures(
                officer.tg_user_id,
                self._locale(officer),
                Scope(station_id, officer.office_id),
                first,
                last,
                urgent=False,
                ref="stats:weekly",
                header=str(self.views.t(self._locale(officer), "stats.weekly_header")),
                always=True,
            )

    async def on_monthly(self, timer: Timer) -> None:
        station_id = int(timer.payload["station"])
        month = str(timer.payload["month"])
        first, last = month_days(month)
        scope = Scope(station_id)
        for chief in await self.services.people.repo.with_role(Role.CHIEF, station_id):
            locale = self._locale(chief)
            entries = await self.services.stats.zeros(station_id, [month])
            await self.views.send_figures(
                chief.tg_user_id,
                locale,
                scope,
                first,
                last,
                urgent=False,
                ref="stats:monthly",
                header=str(self.views.t(locale, "stats.monthly_header")),
                extra=self.views.zeros_month(locale, month, entries[month]),
                always=True,
            )
            counts = await self.views.send_workbook(
                chief.tg_user_id,
                locale,
                scope,
                first,
                last,
                phones=True,
                ref="stats:monthly",
                urgent=False,
            )
            if counts is not None:
                await self.services.stats.record_export(
                    None, scope, first, last, counts, recipient_id=chief.id
                )


def register(app: PatrolApplication) -> StatsViews:
    views = StatsViews(app)
    jobs = StatsJobs(app, views)
    app.services.outbox.renderers[CHART] = render_chart
    app.services.outbox.renderers[WORKBOOK] = render_workbook
    app.services.outbox.composers[COMPOSE_STATS] = views.compose_figures
    app.services.outbox.composers[COMPOSE_EXPORT] = views.compose_export
    timers = app.services.timers
    timers.register(TimerKind(WEEKLY, jobs.on_weekly, max_lateness=timedelta(days=2)))
    timers.register(TimerKind(MONTHLY, jobs.on_monthly, max_lateness=timedelta(days=5)))
    app.periodic.append(jobs.ensure)
    return views
