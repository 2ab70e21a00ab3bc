"""Report actions: submit, acknowledge, go, arrive, ask, answer, resolve, hand over, merge,
withdraw, reopen. Each is one transaction that checks the rules and writes the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from models.clock import Clock, to_db
from models.errors import DomainError
from models.org import Group, Person, Role
from models.reports import (
    MAX_NOTE,
    EventKind,
    Outcome,
    Report,
    ReportDraft,
    ReportEvent,
    ReportStatus,
    check_reopen,
    may_handle,
    may_report,
    may_view,
    next_status,
    possibly_same,
)
from models.services.station_settings import StationSettingsService
from models.services.timers import Timers
from models.store.db import Database
from models.store.misc_repo import GroupRepository
from models.store.people_repo import PeopleRepository
from models.store.reports_repo import ReportRepository

REMINDER_KIND = "report_reminder"


def reminder_key(report_id: int) -> str:
    return f"report:remind:{report_id}"


@dataclass(frozen=True)
class Submitted:
    report: Report
    officers: list[Person]
    duty_people: list[Person]
    duty_groups: list[Group]
    duplicates: list[Report]


class ReportService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        timers: Timers,
        station_settings: StationSettingsService,
        zone: ZoneInfo,
    ) -> None:
        self.zone = zone
        self.db = db
        self.clock = clock
        self.repo = ReportRepository(db)
        self.people = PeopleRepository(db)
        self.groups = GroupRepository(db)
        self.timers = timers
        self.station_settings = station_settings

    async def submit(self, reporter: Person, draft: ReportDraft) -> Submitted:
        if not may_report(reporter) or reporter.office_id is None or reporter.station_id is None:
            raise DomainError("not_allowed")
        draft.check_complete()
        assert draft.category is not None
        now = self.clock.now()
        year = now.astimezone(self.zone).year  # the station's year, not UTC's
        urgent = bool(draft.urgent) or bool(draft.danger)
        async with self.db.write():
            seq = await self.repo.next_seq(reporter.station_id, year)
            report_id = await self.repo.add(
                {
                    "station_id": reporter.station_id,
                    "office_id": reporter.office_id,
                    "year": year,
                    "seq": seq,
                    "reporter_id": reporter.id,
                    "category": draft.category.value,
                    "urgent": int(urgent),
                    "danger": int(bool(draft.danger)),
                    "money_lost": None if draft.money_lost is None else int(draft.money_lost),
                    "loss_amount": draft.loss_amount,
                    "description": draft.description or "",
                    "voice_file_id": draft.voice_file_id,
                    "latitude": draft.latitude,
                    "longitude": draft.longitude,
                    "place_id": draft.place_id,
                    "address": draft.address,
                    "status": ReportStatus.NEW.value,
                    "created_at": to_db(now),
                }
            )
            for file_id in draft.photos:
                await self.repo.add_attachment(report_id, "photo", file_id, reporter.id, now)
            if draft.voice_file_id:
                await self.repo.add_attachment(
                    report_id, "voice", draft.voice_file_id, reporter.id, now
                )
            await self.repo.add_event(report_id, EventKind.CREATED, reporter.id, now)
            report = await self._get(report_id)
            await self._schedule_reminder(report)
            since = now - timedelta(hours=2)
            duplicates = [
                other
                for other in await self.repo.open_in_office(report.office_id, since)
                if possibly_same(report, other)
            ]
            officers, duty_people, duty_groups = await self.first_recipients(report)
        return Submitted(report, officers, duty_people, duty_groups, duplicates)

    async def first_recipients(
        self, report: Report
    ) -> tuple[list[Person], list[Person], list[Group]]:
        """Who gets a new report: the reporter's paired officers; else the duty desk; else
        every officer of the office; else the station's chiefs. Never nobody."""
        officers = await self.officers_for(report)
        if officers:
            return officers, [], []
        duty_people, duty_groups = await self.duty_desk(report.station_id)
        if duty_people or duty_groups:
            return [], duty_people, duty_groups
        officers = await self.office_officers(report, exclude=report.reporter_id)
        if officers:
            return officers, [], []
        return [], await self.people.with_role(Role.CHIEF, report.station_id), []

    async def _schedule_reminder(self, report: Report) -> None:
        """A report waiting for an officer is reminded after the station's wait."""
        minutes = await self.station_settings.value(
            report.station_id,
            "report_remind_urgent_minutes" if report.urgent else "report_remind_normal_minutes",
        )
        await self.timers.schedule(
            REMINDER_KIND,
            reminder_key(report.id),
            self.clock.now() + timedelta(minutes=minutes),
            {"report_id": report.id},
        )

    async def officers_for(self, report: Report) -> list[Person]:
        """Who gets a report first: the reporter's paired officers who are active."""
        paired = await self.people.officers_of(report.reporter_id)
        return [p for p in paired if p.active and p.id != report.reporter_id]

    async def office_officers(self, report: Report, exclude: int | None = None) -> list[Person]:
        officers = await self.people.in_office(report.office_id, True, Role.OFFICER)
        return [p for p in officers if p.id != exclude]

    async def duty_desk(self, station_id: int) -> tuple[list[Person], list[Group]]:
        """The station's duty desk: its registered staff groups with no office, else the
        people holding the duty role."""
        groups = await self.groups.station_desks(station_id)
        if groups:
            return [], groups
        return await self.people.with_role(Role.DUTY, station_id), []

    async def viewable(self, person: Person, report_id: int) -> Report:
        report = await self.repo.get(report_id)
        if report is None or not may_view(person, report):
            raise DomainError("not_allowed")
        return report

    async def handleable(self, person: Person, report_id: int) -> Report:
        report = await self.repo.get(report_id)
        if report is None or not may_handle(person, report):
            raise DomainError("not_allowed")
        return report

    async def advance(self, person: Person, report_id: int, action: EventKind) -> Report:
        """Acknowledge, on my way, arrived: the first officer to act owns the report."""
        async with self.db.write():
            report = await self.handleable(person, report_id)
            status = next_status(report, action)
            owner = report.owner_id or person.id
            now = self.clock.now()
            await self.repo.set_status(report.id, status, owner, now)
            await self.repo.add_event(report.id, action, person.id, now)
            await self.timers.cancel(reminder_key(report.id))
            return await self._get(report.id)

    async def resolve(
        self, person: Person, report_id: int, outcome: Outcome, note: str | None
    ) -> Report:
        note = _clean_note(note) if note else None
        async with self.db.write():
            report = await self.handleable(person, report_id)
            status = next_status(report, EventKind.RESOLVED)
            now = self.clock.now()
            await self.repo.set_status(report.id, status, report.owner_id or person.id, now)
            await self.repo.set_outcome(report.id, outcome, note)
            detail = outcome.value if not note else f"{outcome.value}: {note}"
            await self.repo.add_event(report.id, EventKind.RESOLVED, person.id, now, detail)
            await self.timers.cancel(reminder_key(report.id))
            return await self._get(report.id)

    async def withdraw(self, person: Person, report_id: int) -> Report:
        async with self.db.write():
            report = await self._get(report_id)
            if person.id != report.reporter_id:
                raise DomainError("not_allowed")
            if report.status is not ReportStatus.NEW or report.acknowledged_at is not None:
                raise DomainError("report_withdraw_too_late", number=report.number)
            now = self.clock.now()
            await self.repo.set_status(report.id, ReportStatus.WITHDRAWN, report.owner_id, now)
            await self.repo.add_event(report.id, EventKind.WITHDRAWN, person.id, now)
            await self.timers.cancel(reminder_key(report.id))
            return await self._get(report.id)

    async def reopen(self, person: Person, report_id: int, reason: str) -> Report:
        reason = _clean_note(reason)
        async with self.db.write():
            report = await self._get(report_id)
            now = self.clock.now()
            check_reopen(report, person, now)
            await self.repo.set_status(report.id, ReportStatus.NEW, report.owner_id, now)
            await self.repo.add_event(report.id, EventKind.REOPENED, person.id, now, reason)
            report = await self._get(report.id)
            await self._schedule_reminder(report)
            return report

    async def hand_over(self, person: Person, report_id: int, officer_id: int) -> Report:
        async with self.db.write():
            report = await self.handleable(person, report_id)
            if not report.status.is_open:
                raise DomainError("report_closed", number=report.number)
            officer = await self.people.get(officer_id)
            if (
                officer is None
                or not officer.active
                or officer.role is not Role.OFFICER
                or officer.office_id != report.office_id
            ):
                raise DomainError("not_allowed")
            await self.repo.set_owner(report.id, officer.id)
            await self.repo.add_event(
                report.id, EventKind.HANDED_OVER, person.id, self.clock.now(), str(officer.id)
            )
            return await self._get(report.id)

    async def merge(self, person: Person, report_id: int, into_id: int) -> tuple[Report, Report]:
        async with self.db.write():
            report = await self.handleable(person, report_id)
            target = await self.handleable(person, into_id)
            if target.id == report.id or not target.status.is_open:
                raise DomainError("report_closed", number=target.number)
            status = next_status(report, EventKind.MERGED)
            now = self.clock.now()
            await self.repo.set_status(report.id, status, report.owner_id, now)
            await self.repo.set_merged_into(report.id, target.id)
            await self.repo.add_event(report.id, EventKind.MERGED, person.id, now, target.number)
            await self.repo.add_event(target.id, EventKind.MERGED, person.id, now, report.number)
            await self.timers.cancel(reminder_key(report.id))
            return await self._get(report.id), target

    async def ask(self, person: Person, report_id: int, question: str) -> Report:
        question = _clean_note(question)
        async with self.db.write():
            report = await self.handleable(person, report_id)
            if not report.status.is_open:
                raise DomainError("report_closed", number=report.number)
            await self.repo.add_event(
                report.id, EventKind.QUESTION, person.id, self.clock.now(), question
            )
            return report

    async def add_from_reporter(
        self,
        person: Person,
        report_id: int,
        kind: EventKind,
        text: str | None,
        photo: str | None,
    ) -> Report:
        """The reporter answers a question or adds a note or photo to an open report."""
        async with self.db.write():
            report = await self._get(report_id)
            if person.id != report.reporter_id:
                raise DomainError("not_allowed")
            if not report.status.is_open:
                raise DomainError("report_closed", number=report.number)
            now = self.clock.now()
            if photo:
                await self.repo.add_attachment(report.id, "photo", photo, person.id, now)
                await self.repo.add_event(report.id, EventKind.PHOTO, person.id, now, text)
            else:
                await self.repo.add_event(report.id, kind, person.id, now, _clean_note(text))
            return report

    async def return_to_queue(self, actor: Person, officer: Person) -> list[Report]:
        """A deactivated officer's open reports go back to the office queue."""
        returned = []
        now = self.clock.now()
        for report in await self.repo.open_owned_by(officer.id):
            await self.repo.set_status(report.id, ReportStatus.NEW, None, now)
            await self.repo.add_event(
                report.id, EventKind.RETURNED_TO_QUEUE, actor.id, now, str(officer.id)
            )
            back = await self._get(report.id)
            await self._schedule_reminder(back)
            returned.append(back)
        return returned

    async def last_asker(self, report: Report) -> Person | None:
        """Who asked the reporter the latest question (their answer goes to them)."""
        for event in reversed(await self.repo.events(report.id)):
            if event.kind is EventKind.QUESTION and event.actor_id is not None:
                return await self.people.get(event.actor_id)
        return None

    async def timeline(self, person: Person, report_id: int) -> tuple[Report, list[ReportEvent]]:
        report = await self.viewable(person, report_id)
        return report, await self.repo.events(report.id)

    async def attachments(self, person: Person, report_id: int, kind: str) -> list[str]:
        """The Telegram file ids of a report's photos or voice messages (`kind`), for those
        who may see the report (none once the retention job removed them)."""
        report = await self.viewable(person, report_id)
        return await self.repo.attachments(report.id, kind)

    async def find(self, person: Person, number: str) -> Report:
        """A report by the number people quote (`2026-0042` or `#2026-0042`)."""
        text = number.strip().lstrip("#")
        year_text, _, seq_text = text.partition("-")
        if not (year_text.isdigit() and seq_text.isdigit()):
            raise DomainError("report_number_invalid")
        candidates = await self.repo.by_number(person.station_id, int(year_text), int(seq_text))
        for report in candidates:
            if may_view(person, report):
                return report
        raise DomainError("report_not_found", number=f"#{text}")

    async def _get(self, report_id: int) -> Report:
        report = await self.repo.get(report_id)
        if report is None:
            raise DomainError("stale")
        return report


def _clean_note(text: str | None) -> str:
    note = (text or "").strip()
    if not note:
        raise DomainError("note_empty")
    if len(note) > MAX_NOTE:
        raise DomainError("note_too_long", limit=MAX_NOTE)
    return note
