"""Patrol messages to people other than the one acting (all through the outbox): the day's
assignment, the office plan, the staff digest, changes, reminders and alerts."""

from __future__ import annotations

from datetime import date
from typing import Any

from locales import Html, Translator
from models import callbacks
from models.org import Person
from models.patrol import Assignment
from models.services import Services

FEATURE = "pt"


class PatrolNotifier:
    def __init__(self, services: Services, translator: Translator) -> None:
        self.services = services
        self.translator = translator

    def locale(self, person: Person | None) -> str:
        return (person.locale if person else None) or self.services.settings.default_locale

    def hhmm(self, a: Assignment) -> str:
        zone = self.services.settings.zone
        return f"{a.starts_at.astimezone(zone):%H:%M}–{a.ends_at.astimezone(zone):%H:%M}"

    async def names(self, a: Assignment) -> tuple[str, str, str]:
        member = await self.services.people.get(a.member_id)
        officer = await self.services.people.get(a.officer_id) if a.officer_id else None
        area = await self.services.org.repo.place(a.area_id)
        return (
            member.name if member else "?",
            officer.name if officer else "—",
            area.name if area else "?",
        )

    def button(self, locale: str, key: str, action: str, *args: object) -> dict[str, str]:
        return {
            "text": self.translator.plain(locale, key),
            "callback_data": callbacks.encode(FEATURE, action, *args),
        }

    async def member_day(self, a: Assignment, with_reminder: bool = False) -> None:
        """A member's day; `with_reminder`: her shift's reminder is due already, so this
        message says so and carries the check-in button (no second message)."""
        member = await self.services.people.get(a.member_id)
        if member is None or not member.active:
            return
        locale = self.locale(member)
        _name, officer, area = await self.names(a)
        place = await self.services.org.repo.place(a.area_id)
        text = self.translator.text(
            locale,
            "patrol.your_day",
            day=a.day.isoformat(),
            area=area,
            hours=self.hhmm(a),
            officer=officer,
            hot=self.translator.text(locale, "patrol.hot_spot_note")
            if place is not None and place.is_hot_spot
            else "",
        )
        rows = [[self.button(locale, "patrol.btn_swap", "swap", a.id)]]
        if with_reminder:
            text = Html(f"{text}\n{self.translator.text(locale, 'patrol.reminder_in_day')}")
            rows.insert(0, [self.button(locale, "patrol.btn_checkin", "in")])
        keyboard = {"inline_keyboard": rows}
        await self.services.outbox.send(
            member.tg_user_id, text, reply_markup=keyboard, ref=f"patrol:{a.id}"
        )

    async def office_plan_text(
        self, locale: str, office_id: int, day: date, assignments: list[Assignment]
    ) -> Html:
        office = await self.services.org.repo.office(office_id)
        lines = [
            self.translator.text(
                locale,
                "patrol.plan_title",
                office=office.name if office else "?",
                day=day.isoformat(),
            )
        ]
        for a in assignments:
            member, officer, area = await self.names(a)
            lines.append(
                self.translator.text(
                    locale,
                    "patrol.plan_line",
                    hours=self.hhmm(a),
                    area=area,
                    member=member,
                    officer=officer,
                )
            )
        if not assignments:
            lines.append(self.translator.text(locale, "patrol.plan_empty"))
        stored = await self.services.patrol.repo.day(office_id, day)
        for slot in (stored or {}).get("unfilled", []):
            place = await self.services.org.repo.place(int(slot["area"]))
            shifts = await self.services.patrol.shifts(office.station_id if office else 0)
            start, end = (
                shifts[int(slot["shift"])] if int(slot["shift"]) < len(shifts) else (None, None)
            )
            hours = f"{start:%H:%M}–{end:%H:%M}" if start and end else "?"
            lines.append(
                self.translator.text(
                    locale, "patrol.plan_unfilled", hours=hours, area=place.name if place else "?"
                )
            )
        return Html("\n".join(lines))

    def plan_keyboard(self, locale: str, assignments: list[Assignment]) -> dict[str, Any]:
        rows = [
            [
                self.button(locale, "patrol.btn_replace", "rep", a.id),
                self.button(locale, "patrol.btn_exchange", "ex", a.id),
            ]
            for a in assignments
        ]
        return {"inline_keyboard": rows}

    async def office_plan(self, office_id: int, day: date, draft: bool) -> None:
        """Each officer of the office gets the plan (a draft they can edit, or the day)."""
        assignments = await self.services.patrol.repo.assignments(office_id, day)
        officers = [
            p
            for p in await self.services.people.repo.in_office(office_id, active_only=True)
            if p.role.value == "officer"
        ]
        for officer in officers:
            locale = self.locale(officer)
            header = self.translator.text(
                locale, "patrol.draft_header" if draft else "patrol.published_header"
            )
            text = await self.office_plan_text(locale, office_id, day, assignments)
            await self.services.outbox.send(
                officer.tg_user_id,
                f"{header}\n{text}",
                reply_markup=self.plan_keyboard(locale, assignments) if assignments else None,
                ref=f"patrol:plan:{office_id}",
            )
        for group in await self.services.groups.repo.office_staff_groups(office_id):
            if draft:
                continue
            locale = group.locale or self.services.settings.default_locale
            text = await self.office_plan_text(locale, office_id, day, assignments)
            await self.services.outbox.send(group.chat_id, text, ref=f"patrol:plan:{office_id}")

    async def change(self, member_id: int, key: str, a: Assignment) -> None:
        member = await self.services.people.get(member_id)
        if member is None or not member.active:
            return
        locale = self.locale(member)
        _m, officer, area = await self.names(a)
        text = self.translator.text(
            locale, key, day=a.day.isoformat(), area=area, hours=self.hhmm(a), officer=officer
        )
        await self.services.outbox.send(member.tg_user_id, text, ref=f"patrol:{a.id}")

    async def to_person(self, person_id: int | None, key: str, **params: Any) -> None:
        person = await self.services.people.get(person_id) if person_id else None
        if person is None or not person.active:
            return
        text = self.translator.text(self.locale(person), key, **params)
        keyboard = params.pop("_keyboard", None)
        await self.services.outbox.send(
            person.tg_user_id, text, reply_markup=keyboard, ref="patrol"
        )
