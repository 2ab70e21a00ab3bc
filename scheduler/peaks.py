"""Peak alerts: N days before a holiday or a station period (09:00) the station's officers,
duty desk and chief are told; on the eve (18:00) every member gets a short reminder. Each is
a timer row whose key carries the dates: sent once, survives restarts, sent again only when
the dates change; a peak learnt of late is alerted at once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from locales import N_
from models.calendar import HolidayKey, Level, Peak
from models.org import Person, Role
from models.rails import Timer
from models.services.peaks import horizon
from models.services.timers import TimerKind

if TYPE_CHECKING:
    from handlers.context import PatrolApplication

ALERT, EVE = "peak_alert", "peak_eve"

HOLIDAY_NAME = {
    HolidayKey.NEW_YEAR: N_("holiday.new_year"),
    HolidayKey.SPRING_FESTIVAL: N_("holiday.spring_festival"),
    HolidayKey.TOMB_SWEEPING: N_("holiday.tomb_sweeping"),
    HolidayKey.LABOUR_DAY: N_("holiday.labour_day"),
    HolidayKey.DRAGON_BOAT: N_("holiday.dragon_boat"),
    HolidayKey.MID_AUTUMN: N_("holiday.mid_autumn"),
    HolidayKey.NATIONAL_DAY: N_("holiday.national_day"),
}
LEVEL_NAME = {Level.BUSY: N_("peak.level.busy"), Level.VERY_BUSY: N_("peak.level.very_busy")}


def peak_key(peak: Peak) -> str:
    return f"{peak.name}:{peak.start}:{peak.end}"


class PeakJobs:
    def __init__(self, app: PatrolApplication) -> None:
        self.app = app
        self.services = app.services

    def name(self, locale: str, peak: Peak) -> str:
        translator = self.app.translator
        if peak.is_holiday:
            return translator.plain(locale, HOLIDAY_NAME[HolidayKey(peak.name)])
        return peak.name

    async def describe(self, locale: str, peak: Peak) -> dict[str, str]:
        translator = self.app.translator
        spots = []
        for place_id in peak.hot_spots or ():
            place = await self.services.org.repo.place(place_id)
            if place is not None:
                spots.append(place.name)
        return {
            "name": self.name(locale, peak),
            "start": f"{peak.start:%m-%d}",
            "end": f"{peak.end:%m-%d}",
            "level": translator.plain(locale, LEVEL_NAME[peak.level]),
            "spots": "、".join(spots) or translator.plain(locale, "peak.no_hot_spots"),
            "provisional": translator.plain(locale, "peak.provisional")
            if peak.provisional
            else "",
        }

    def local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.services.settings.zone)

    async def ensure_alerts(self) -> None:
        """Rows for every peak of the next 90 days (idempotent; the key carries the dates)."""
        today = self.services.patrol.today()
        now = self.services.clock.now()
        first, last = horizon(today)
        value = self.services.station_settings.value
        for station in await self.services.org.repo.stations():
            lead = await value(station.id, "peak_alert_days")
            alert_at = await value(station.id, "peak_alert_time")
            eve_at = await value(station.id, "peak_eve_time")
            for peak in await self.services.peaks.peaks(station.id, first, last):
                if peak.start <= today:
                    continue  # already under way: nothing to warn of
                payload = {
                    "station": station.id,
                    "name": peak.name,
                    "start": peak.start.isoformat(),
                    "end": peak.end.isoformat(),
                }
                due = max(self.local(peak.start - timedelta(days=lead), alert_at), now)
                await self.services.timers.ensure(
                    ALERT, f"peak:alert:{station.id}:{peak_key(peak)}", due, payload
                )
                await self.services.timers.ensure(
                    EVE,
                    f"peak:eve:{station.id}:{peak_key(peak)}",
                    self.local(peak.start - timedelta(days=1), eve_at),
                    payload,
                )

    async def _still(self, timer: Timer) -> tuple[int, Peak] | None:
        """The peak as it is now, if it still exists with these dates."""
        station_id = int(timer.payload["station"])
        start, end = (
            date.fromisoformat(timer.payload["start"]),
            date.fromisoformat(timer.payload["end"]),
        )
        for peak in await self.services.peaks.peaks(station_id, start, end):
            if peak.name == timer.payload["name"] and peak.start == start and peak.end == end:
                return station_id, peak
        return None

    async def on_alert(self, timer: Timer) -> None:
        found = await self._still(timer)
        if found is None:
            return
        station_id, peak = found
        people = self.services.people.repo
        recipients: list[Person] = []
        for role in (Role.CHIEF, Role.DUTY, Role.OFFICER):
            recipients += await people.with_role(role, station_id)
        boost = await self.services.station_settings.value(
            station_id, "boost_very_busy" if peak.level is Level.VERY_BUSY else "boost_busy"
        )
        for person in recipients:
            locale = person.locale or self.services.settings.default_locale
            text = self.app.translator.text(
                locale, "peak.alert", boost=boost, **await self.describe(locale, peak)
            )
            await self.services.outbox.send(person.tg_user_id, text, ref=f"peak:{station_id}")

    async def on_eve(self, timer: Timer) -> None:
        found = await self._still(timer)
        if found is None:
            return
        station_id, peak = found
        for person in await self.services.people.repo.with_role(Role.MEMBER, station_id):
            locale = person.locale or self.services.settings.default_locale
            text = self.app.translator.text(
                locale, "peak.eve", **await self.describe(locale, peak)
            )
            await self.services.outbox.send(person.tg_user_id, text, ref=f"peak:{station_id}")


def register(app: PatrolApplication) -> PeakJobs:
    jobs = PeakJobs(app)
    app.services.timers.register(TimerKind(ALERT, jobs.on_alert))
    app.services.timers.register(TimerKind(EVE, jobs.on_eve, max_lateness=timedelta(hours=6)))
    app.periodic.append(jobs.ensure_alerts)
    return jobs
