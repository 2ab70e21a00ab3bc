"""Report notifications to people other than the one acting: always through the outbox, in
each recipient's language; reports go in the urgent lane (never held back)."""

from __future__ import annotations

from typing import Any

from locales import Translator
from models.org import Group, Person
from models.reports import Outcome, Report, may_handle
from models.services import Services
from models.services.reports import Submitted
from scheduler.notices import report_views as views


class ReportNotifier:
    def __init__(self, services: Services, translator: Translator) -> None:
        self.services = services
        self.translator = translator

    def locale(self, who: Person | Group) -> str:
        return who.locale or self.services.settings.default_locale

    async def new_report(self, submitted: Submitted) -> None:
        report = submitted.report
        for officer in submitted.officers + submitted.duty_people:
            await self._card_to(officer.tg_user_id, self.locale(officer), report, True, submitted)
        for group in submitted.duty_groups:
            await self._card_to(group.chat_id, self.locale(group), report, False, submitted)

    async def _card_to(
        self, chat_id: int, locale: str, report: Report, show_phone: bool, submitted: Submitted
    ) -> None:
        text = await views.card(
            self.services,
            self.translator,
            locale,
            report,
            show_phone=show_phone,
            duplicates=submitted.duplicates,
        )
        header = self.translator.text(locale, "report.new_header")
        keyboard = views.officer_keyboard(self.translator, locale, report, submitted.duplicates)
        await self._send(chat_id, f"{header}\n{text}", keyboard, report)
        await self._attachments(chat_id, report)

    async def _attachments(self, chat_id: int, report: Report) -> None:
        """The pin, the photos and the voice message, after the card."""
        outbox = self.services.outbox
        repo = self.services.reports.repo
        ref = f"report:{report.id}"
        if report.latitude is not None and report.longitude is not None:
            await outbox.send_location(
                chat_id, report.latitude, report.longitude, urgent=True, ref=ref
            )
        for photo in await repo.attachments(report.id, "photo"):
            await outbox.send_photo(chat_id, photo, urgent=True, ref=ref)
        for voice in await repo.attachments(report.id, "voice"):
            await outbox.send_voice(chat_id, voice, urgent=True, ref=ref)

    async def card_to_officer(self, officer: Person, report: Report, header_key: str) -> None:
        """The full card with its buttons (a hand-over, a reminder, a reopened report)."""
        locale = self.locale(officer)
        text = await views.card(self.services, self.translator, locale, report, show_phone=True)
        header = self.translator.text(locale, header_key, number=report.number)
        keyboard = views.officer_keyboard(self.translator, locale, report)
        await self._send(officer.tg_user_id, f"{header}\n{text}", keyboard, report)
        await self._attachments(officer.tg_user_id, report)

    async def card_to_group(self, group: Group, report: Report, header_key: str) -> None:
        """A staff group (the duty desk) gets the card without phone numbers."""
        locale = self.locale(group)
        text = await views.card(self.services, self.translator, locale, report, show_phone=False)
        header = self.translator.text(locale, header_key, number=report.number)
        keyboard = views.officer_keyboard(self.translator, locale, report)
        await self._send(group.chat_id, f"{header}\n{text}", keyboard, report)
        await self._attachments(group.chat_id, report)

    async def to_reporter(self, report: Report, key: str, **params: Any) -> None:
        reporter = await self.services.people.get(report.reporter_id)
        if reporter is None or not reporter.active:
            return
        locale = self.locale(reporter)
        text = self.translator.text(locale, key, number=report.number, **params)
        keyboard = views.reporter_keyboard(
            self.translator, locale, report, self.services.clock.now()
        )
        await self._send(reporter.tg_user_id, text, keyboard, report)

    async def handlers_of(self, report: Report) -> tuple[list[Person], list[Group]]:
        """Who handles a report now: its owner (while they may), and whoever asked the last
        question; else the office's officers; else the station's duty desk."""
        reports = self.services.reports
        people: list[Person] = []
        owner = await self.services.people.get(report.owner_id) if report.owner_id else None
        asker = await reports.last_asker(report)
        for person in (owner, asker):
            if person is not None and may_handle(person, report) and person not in people:
                people.append(person)
        if people:
            return people, []
        people = await reports.office_officers(report)
        if people:
            return people, []
        return await reports.duty_desk(report.station_id)

    async def to_handlers(
        self, report: Report, key: str, exclude: int | None = None, **params: Any
    ) -> None:
        people, groups = await self.handlers_of(report)
        targets = [(p.tg_user_id, self.locale(p)) for p in people if p.id != exclude]
        targets += [(g.chat_id, self.locale(g)) for g in groups]
        for chat_id, locale in targets:
            text = self.translator.text(locale, key, number=report.number, **params)
            keyboard = views.officer_keyboard(self.translator, locale, report)
            await self._send(chat_id, text, keyboard, report)

    async def photo_to_handlers(self, report: Report, photo: str) -> None:
        people, groups = await self.handlers_of(report)
        chats = [p.tg_user_id for p in people] + [g.chat_id for g in groups]
        for chat_id in chats:
            await self.services.outbox.send_photo(
                chat_id, photo, urgent=True, ref=f"report:{report.id}"
            )

    async def _send(
        self, chat_id: int, text: str, keyboard: dict[str, Any], report: Report
    ) -> None:
        markup = keyboard if keyboard.get("inline_keyboard") else None
        await self.services.outbox.send(
            chat_id, text, urgent=True, reply_markup=markup, ref=f"report:{report.id}"
        )

    # what the reporter (and a new handler) is told when an officer acts — the same from a
    # chat button and from the board

    async def resolved(self, report: Report, outcome: Outcome, note: str | None) -> None:
        reporter = await self.services.people.get(report.reporter_id)
        locale = self.locale(reporter) if reporter else self.services.settings.default_locale
        await self.to_reporter(
            report,
            "report.told_resolved",
            outcome=self.translator.text(locale, views.OUTCOME[outcome]),
            note=note or "—",
        )

    async def question(self, report: Report, officer: Person, question: str) -> None:
        """An officer's question, with the button the reporter answers it with."""
        reporter = await self.services.people.get(report.reporter_id)
        if reporter is None or not reporter.active:
            return
        locale = self.locale(reporter)
        text = self.translator.text(
            locale, "report.told_question", number=report.number, officer=officer.name,
            text=question,
        )  # fmt: skip
        keyboard = {
            "inline_keyboard": [
                [views.button(self.translator, locale, "report.btn_answer", "answer", report.id)]
            ]
        }
        await self.services.outbox.send(
            reporter.tg_user_id,
            text,
            urgent=True,
            reply_markup=keyboard,
            ref=f"report:{report.id}",
        )

    async def handed_over(self, report: Report, officer: Person) -> None:
        await self.card_to_officer(officer, report, "report.handed_to_you")
        await self.to_reporter(report, "report.told_handed_over", officer=officer.name)
