"""The weekly and monthly reports. Every Monday at the station's report time (08:00 unless
set) the chief gets last week's numbers, the picture and the five-zeros line, and each
officer their office's; on the 1st the chief gets last month's report with the workbook to
send upward. Each is a timer row made ahead of its time (key: station and week or month),
so it is sent once, after a restart too, and a bot first started mid-week does not send a
report of a week it never saw."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from models.fraud import iso_week
from models.org import Person, Role
from models.rails import Timer
from models.services.outbox import BULK, Queue
from models.services.timers import TimerKind
from models.stats import Scope, month_days, month_of, previous_month
from scheduler.notices.stats_views import (
    CHART,
    COMPOSE_EXPORT,
    COMPOSE_STATS,
    WORKBOOK,
    StatsViews,
    render_chart,
    render_workbook,
)

if TYPE_CHECKING:
    from handlers.context import PatrolApplication

WEEKLY, MONTHLY = "stats_weekly", "stats_monthly"
COMPOSE_REPORT = "stats_report"  # a weekly or monthly report, composed by the sender


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

    # The reports are composed answers (like /stats): the timer queues one row per
    # recipient in its short transaction, and the outbox sender reads the figures on the
    # read-only connection, outside any write transaction, then queues the text, picture and
    # workbook with the row's done mark. The write lock is never held while they are read.

    async def on_weekly(self, timer: Timer) -> None:
        station_id = int(timer.payload["station"])
        first = date.fromisoformat(str(timer.payload["first"]))
        spec = {"kind": "weekly", "station": station_id, "first": first.isoformat()}
        people = self.services.people.repo
        outbox = self.services.outbox
        for chief in await people.with_role(Role.CHIEF, station_id):
            await outbox.compose(
                chief.tg_user_id,
                COMPOSE_REPORT,
                {**spec, "locale": self._locale(chief), "office": None},
                priority=BULK,
            )
        for officer in await people.with_role(Role.OFFICER, station_id):
            if officer.office_id is None:
                continue
            await outbox.compose(
                officer.tg_user_id,
                COMPOSE_REPORT,
                {**spec, "locale": self._locale(officer), "office": officer.office_id},
                priority=BULK,
            )

    async def on_monthly(self, timer: Timer) -> None:
        station_id = int(timer.payload["station"])
        month = str(timer.payload["month"])
        spec = {"kind": "monthly", "station": station_id, "month": month}
        for chief in await self.services.people.repo.with_role(Role.CHIEF, station_id):
            await self.services.outbox.compose(
                chief.tg_user_id,
                COMPOSE_REPORT,
                {**spec, "locale": self._locale(chief), "recipient": chief.id},
                priority=BULK,
            )

    async def compose_report(self, chat_id: int, spec: dict[str, Any]) -> Queue:
        """Read a weekly or monthly report (the sender calls this outside any write
        transaction); what queues it."""
        locale, station_id = str(spec["locale"]), int(spec["station"])
        views = self.views
        if spec["kind"] == "weekly":
            first = date.fromisoformat(str(spec["first"]))
            office = spec.get("office")
            extra, markup = None, None
            if office is None:  # the chief's: the month the week began in (early in a
                # month, the one that just ended) and its five zeros, named, with a button
                # to fill in what is missing
                month = month_of(first)
                entries = await self.services.stats.zeros(station_id, [month])
                line, markup = views.zeros_in_report(locale, station_id, month, entries[month])
                extra = [line]
            header = str(views.t(locale, "stats.weekly_header"))
            queue = await views.prepare_figures(
                chat_id, locale, Scope(station_id, office), first, first + timedelta(days=6),
                ref="stats:weekly", priority=BULK, header=header, extra=extra, always=True,
                markup=markup,
            )  # fmt: skip
            assert queue is not None  # (always)
            return queue
        month = str(spec["month"])
        first, last = month_days(month)
        scope = Scope(station_id)
        entries = await self.services.stats.zeros(station_id, [month])
        figures = await views.prepare_figures(
            chat_id, locale, scope, first, last, ref="stats:monthly", priority=BULK,
            header=str(views.t(locale, "stats.monthly_header")),
            extra=views.zeros_month(locale, month, entries[month]), always=True,
        )  # fmt: skip
        workbook = await views.prepare_workbook(
            chat_id, locale, scope, first, last, phones=True, ref="stats:monthly", priority=BULK
        )
        stats = self.services.stats

        async def queue_all() -> None:
            assert figures is not None  # (always)
            await figures()
            if workbook is not None:
                counts, queue_file = workbook
                await queue_file()
                await stats.record_export(
                    None, scope, first, last, counts, recipient_id=int(spec["recipient"])
                )

        return queue_all


def register(app: PatrolApplication) -> StatsViews:
    views = StatsViews(app)
    jobs = StatsJobs(app, views)
    app.services.outbox.renderers[CHART] = render_chart
    app.services.outbox.renderers[WORKBOOK] = render_workbook
    app.services.outbox.composers[COMPOSE_STATS] = views.compose_figures
    app.services.outbox.composers[COMPOSE_EXPORT] = views.compose_export
    app.services.outbox.composers[COMPOSE_REPORT] = jobs.compose_report
    timers = app.services.timers
    timers.register(TimerKind(WEEKLY, jobs.on_weekly, max_lateness=timedelta(days=2)))
    timers.register(TimerKind(MONTHLY, jobs.on_monthly, max_lateness=timedelta(days=5)))
    app.periodic.append(jobs.ensure)
    return views
