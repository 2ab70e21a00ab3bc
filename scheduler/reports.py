"""Report timers and hooks: the reminder for a report still `new`, and a deactivated
officer's open reports going back to the office queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.org import Person, Role
from models.rails import Timer
from models.reports import EventKind, ReportStatus
from models.services.reports import REMINDER_KIND
from models.services.timers import TimerKind
from scheduler.notices.report_notify import ReportNotifier

if TYPE_CHECKING:
    from handlers.context import PatrolApplication


def register(app: PatrolApplication) -> None:
    services = app.services
    notifier = ReportNotifier(services, app.translator)

    async def remind(timer: Timer) -> None:
        """Still `new`: the officers again, and for an urgent report the duty desk."""
        report = await services.reports.repo.get(int(timer.payload["report_id"]))
        if report is None or report.status is not ReportStatus.NEW:
            return
        officers = await services.reports.officers_for(report)
        if not officers:
            officers = await services.reports.office_officers(report)
        recipients = list(officers)
        if report.urgent:
            duty_people, duty_groups = await services.reports.duty_desk(report.station_id)
            recipients += [p for p in duty_people if p not in recipients]
            for group in duty_groups:
                await notifier.card_to_group(group, report, "report.reminder_header")
        for person in recipients:
            await notifier.card_to_officer(person, report, "report.reminder_header")
        await services.reports.repo.add_event(
            report.id, EventKind.REMINDED, None, services.clock.now()
        )

    services.timers.register(TimerKind(REMINDER_KIND, remind))

    async def officer_left(actor: Person, before: Person) -> None:
        """An officer suspended, moved or given another role: their open reports go back
        to the office queue; the office's officers and the reporter are told."""
        if before.role is not Role.OFFICER:
            return
        for report in await services.reports.return_to_queue(actor, before):
            await notifier.to_handlers(report, "report.officer_returned", name=before.name)
            await notifier.to_reporter(report, "report.told_returned")

    services.people.departure_hooks.append(officer_left)
