"""Backup notifications: the alert each step sends (urgent lane), the edits that tell
everyone notified who is going or that it was cancelled, and the requester's progress."""

from __future__ import annotations

from functools import partial
from typing import Any

from locales import N_, Html, Translator
from models import callbacks
from models.backup import BackupEventKind, BackupReason, BackupRequest, BackupStatus, StepKind
from models.org import Group, Person, Role
from models.services import Services
from models.services.backup import Recipients
from models.services.timers import MAX_ATTEMPTS

FEATURE = "bk"

REASON: dict[BackupReason, str] = {
    BackupReason.DISPUTE: N_("backup.reason.dispute"),
    BackupReason.SUSPICIOUS: N_("backup.reason.suspicious"),
    BackupReason.INJURED: N_("backup.reason.injured"),
    BackupReason.CROWD: N_("backup.reason.crowd"),
    BackupReason.OTHER: N_("backup.reason.other"),
}
EVENT: dict[BackupEventKind, str] = {
    BackupEventKind.CREATED: N_("backup.event.created"),
    BackupEventKind.LOCATION: N_("backup.event.location"),
    BackupEventKind.STEP: N_("backup.event.step"),
    BackupEventKind.NOBODY: N_("backup.event.nobody"),
    BackupEventKind.UNREACHABLE: N_("backup.event.unreachable"),
    BackupEventKind.CANNOT_GO: N_("backup.event.cannot_go"),
    BackupEventKind.CLAIMED: N_("backup.event.claimed"),
    BackupEventKind.ARRIVED: N_("backup.event.arrived"),
    BackupEventKind.RESOLVED: N_("backup.event.resolved"),
    BackupEventKind.CANCELLED: N_("backup.event.cancelled"),
    BackupEventKind.RETURNED: N_("backup.event.returned"),
    BackupEventKind.NOT_THROUGH: N_("backup.event.not_through"),
    BackupEventKind.STEP_FAILED: N_("backup.event.step_failed"),
}


STEP: dict[StepKind, str] = {
    StepKind.PAIRED: N_("backup.step.paired"),
    StepKind.OFFICE: N_("backup.step.office"),
    StepKind.CHIEF: N_("backup.step.chief"),
    StepKind.FINAL: N_("backup.step.final"),
}


STATUS = {  # a call's status, as /reports and the statistics name it
    BackupStatus.OPEN: N_("backup.status.open"),
    BackupStatus.CLAIMED: N_("backup.status.claimed"),
    BackupStatus.ARRIVED: N_("backup.status.arrived"),
    BackupStatus.RESOLVED: N_("backup.status.resolved"),
    BackupStatus.CANCELLED: N_("backup.status.cancelled"),
}


class BackupNotifier:
    def __init__(self, services: Services, translator: Translator) -> None:
        self.services = services
        self.translator = translator

    def locale(self, who: Person | Group | None) -> str:
        return (who.locale if who else None) or self.services.settings.default_locale

    def keyboard(self, locale: str, request: BackupRequest) -> dict[str, Any]:
        plain = self.translator.plain
        return {
            "inline_keyboard": [
                [
                    {
                        "text": plain(locale, "backup.btn_go"),
                        "callback_data": callbacks.encode(FEATURE, "go", request.id),
                    },
                    {
                        "text": plain(locale, "backup.btn_cannot"),
                        "callback_data": callbacks.encode(FEATURE, "no", request.id),
                    },
                ]
            ]
        }

    async def alert_text(
        self, locale: str, request: BackupRequest, step_index: int, show_phone: bool
    ) -> Html:
        t = self.translator.text
        requester = await self.services.people.get(request.requester_id)
        who = requester.name if requester else "?"
        if show_phone and requester is not None and requester.phone:
            who = f"{who} ({requester.phone})"
        office = await self.services.org.repo.office(request.office_id)
        minutes = int((self.services.clock.now() - request.created_at).total_seconds() // 60)
        step = request.steps[step_index]
        where = (
            f"{request.latitude:.5f}, {request.longitude:.5f}"
            if request.latitude is not None and request.longitude is not None
            else self.translator.plain(locale, "backup.location_pending")
        )
        header = "backup.alert_final" if step.kind is StepKind.FINAL else "backup.alert"
        return t(
            locale,
            header,
            id=request.id,
            who=who,
            office=office.name if office else "",
            reason=t(locale, REASON[request.reason]),
            where=where,
            minutes=minutes,
            step=step_index + 1,
            step_name=t(locale, STEP[step.kind]),
        )

    async def notify_step(
        self, request: BackupRequest, step_index: int, recipients: Recipients
    ) -> int:
        """Send a step's alert to everyone it reaches; record who got which message."""
        ref = f"backup:{request.id}:{step_index}"
        now = self.services.clock.now()
        sent = 0
        targets: list[tuple[int, int | None, str, bool]] = [
            (p.tg_user_id, p.id, self.locale(p), True) for p in recipients.people
        ] + [(g.chat_id, None, self.locale(g), False) for g in recipients.groups]
        # operators are told that nobody answered; they cannot go, so they get no buttons
        watchers = {p.tg_user_id for p in recipients.people if p.role is Role.OPERATOR}
        for chat_id, person_id, locale, private in targets:
            text = await self.alert_text(locale, request, step_index, show_phone=private)
            markup = None if chat_id in watchers else self.keyboard(locale, request)
            outbox_id = await self.services.outbox.send(
                chat_id, text, urgent=True, reply_markup=markup, ref=ref
            )
            await self.services.backup.repo.add_notification(
                request.id, step_index, person_id, chat_id, outbox_id, now
            )
            await self.send_pin(chat_id, request, ref)
            sent += 1
        return sent

    async def send_pin(self, chat_id: int, request: BackupRequest, ref: str) -> None:
        """The requester's live location (forwarded, so it keeps moving), else the pin."""
        outbox = self.services.outbox
        if request.live_chat_id is not None and request.live_message_id is not None:
            await outbox.forward(
                chat_id, request.live_chat_id, request.live_message_id, urgent=True, ref=ref
            )
        elif request.latitude is not None and request.longitude is not None:
            await outbox.send_location(
                chat_id, request.latitude, request.longitude, urgent=True, ref=ref
            )

    async def edit_all(
        self, request: BackupRequest, key: str, except_chat: int | None = None, **params: Any
    ) -> None:
        """Edit every alert of this request (e.g. "<name> is going"), in each one's language."""
        for note in await self.services.backup.repo.notifications(request.id):
            if note["chat_id"] == except_chat:
                continue
            locale = await self._chat_locale(note)
            text = self.translator.text(locale, key, id=request.id, **params)
            await self.services.outbox.edit(note["outbox_id"], text)

    async def declined_elsewhere(self, request: BackupRequest, person: Person) -> None:
        """ "Cannot go" said on the board: their private alert says it is noted (as the
        alert's own button would have), so its buttons are gone in chat too."""
        text = self.translator.text(self.locale(person), "backup.noted_cannot", id=request.id)
        for note in await self.services.backup.repo.notifications(request.id):
            if note["chat_id"] == person.tg_user_id:
                await self.services.outbox.edit(note["outbox_id"], text)

    async def _chat_locale(self, note: dict[str, Any]) -> str:
        if note["person_id"] is not None:
            return self.locale(await self.services.people.get(note["person_id"]))
        return self.locale(await self.services.groups.get(note["chat_id"]))

    async def to_requester(
        self,
        request: BackupRequest,
        key: str,
        keyboard: dict[str, Any] | None = None,
        **params: Any,
    ) -> None:
        requester = await self.services.people.get(request.requester_id)
        if requester is None:
            return
        locale = self.locale(requester)
        text = self.translator.text(locale, key, id=request.id, **params)
        await self.services.outbox.send(
            requester.tg_user_id,
            text,
            urgent=True,
            reply_markup=keyboard,
            ref=f"backup:{request.id}:requester",
        )

    async def not_through_texts(
        self, requester: Person, request_id: int | None, reason: BackupReason | None
    ) -> list[tuple[int, Html]]:
        """What everyone is told when a member's backup call could not be made or reached
        nobody: the member — the emergency numbers and her own officers' phones — and every
        operator, naming the call and who made it (private chats only)."""
        officers = [
            f"{p.name} {p.phone}" for p in await self.services.people.officers_of(requester)
            if p.phone
        ]  # fmt: skip
        locale = self.locale(requester)
        texts = [
            (
                requester.tg_user_id,
                self.translator.text(
                    locale,
                    "backup.not_made" if request_id is None else "backup.not_through",
                    id=request_id,
                    officers="；".join(officers) or "—",
                ),
            )
        ]
        local = self.services.clock.now().astimezone(self.services.settings.zone)
        for operator in await self.services.people.repo.with_role(Role.OPERATOR):
            op_locale = self.locale(operator)
            texts.append(
                (
                    operator.tg_user_id,
                    self.translator.text(
                        op_locale,
                        "backup.not_through_operator",
                        call=f"#{request_id}"
                        if request_id is not None
                        else self.translator.plain(op_locale, "backup.call_not_made"),
                        name=requester.name,
                        phone=requester.phone or "—",
                        reason=self.translator.plain(op_locale, REASON[reason]) if reason else "—",
                        time=local.strftime("%H:%M"),
                    ),
                )
            )
        return texts

    async def step_failed(self, request: BackupRequest, step: int) -> None:
        """A step of the chain could not run (a fault, retried every 30 s): the member is
        told to call 110 or her officers directly, every operator to call her — at once,
        not after the retries run out."""
        requester = await self.services.people.get(request.requester_id)
        if requester is None:
            return
        officers = [
            f"{p.name} {p.phone}" for p in await self.services.people.officers_of(requester)
            if p.phone
        ]  # fmt: skip
        ref = f"backup:{request.id}:step_failed"
        text = self.translator.text(
            self.locale(requester), "backup.step_failed", id=request.id,
            officers="；".join(officers) or "—",
        )  # fmt: skip
        await self.services.outbox.send(requester.tg_user_id, text, urgent=True, ref=ref)
        for operator in await self.services.people.repo.with_role(Role.OPERATOR):
            locale = self.locale(operator)
            text = self.translator.text(
                locale, "backup.step_failed_operator", id=request.id, step=step,
                name=requester.name, phone=requester.phone or "—",
                reason=self.translator.plain(locale, REASON[request.reason]),
            )  # fmt: skip
            await self.services.outbox.send(operator.tg_user_id, text, urgent=True, ref=ref)

    async def not_through(self, request: BackupRequest) -> None:
        """The chain ran out with nobody reached (no one to alert, or every alert failed or
        was declined): the member and the operators are told at once."""
        requester = await self.services.people.get(request.requester_id)
        if requester is None:
            return
        for chat_id, text in await self.not_through_texts(requester, request.id, request.reason):
            await self.services.outbox.send(
                chat_id, text, urgent=True, ref=f"backup:{request.id}:not_through"
            )

    def cancel_keyboard(self, locale: str, request: BackupRequest) -> dict[str, Any]:
        return {
            "inline_keyboard": [
                [
                    {
                        "text": self.translator.plain(locale, "backup.btn_cancel"),
                        "callback_data": callbacks.encode(FEATURE, "cancel", request.id),
                    }
                ]
            ]
        }

    async def step_progress(self, request: BackupRequest, step_index: int, count: int) -> None:
        requester = await self.services.people.get(request.requester_id)
        locale = self.locale(requester)
        step = request.steps[step_index]
        await self.to_requester(
            request,
            "backup.progress",
            keyboard=self.cancel_keyboard(locale, request),
            step=step_index + 1,
            step_name=self.translator.text(locale, STEP[step.kind]),
            count=count,
        )

    async def detail_text(self, locale: str, request: BackupRequest) -> Html:
        """A call's timeline, as `/backup <id>` shows it (and the board's card)."""
        t = partial(self.translator.text, locale)
        zone = self.services.settings.zone
        lines = [
            t(
                "backup.detail_title",
                id=request.id,
                reason=t(REASON[request.reason]),
                status=t(STATUS[request.status]),
            )
        ]
        for event in await self.services.backup.repo.events(request.id):
            actor = await self.services.people.get(event.actor_id) if event.actor_id else None
            detail = event.detail or ""
            if event.kind in (BackupEventKind.STEP, BackupEventKind.NOBODY):
                number, _, rest = detail.partition(":")
                kind, _, count = rest.partition(":")
                step = t(STEP[next(k for k in STEP if k.value == kind)])
                detail = t("backup.detail_step", step=number, name=step, count=count or "0")
            elif event.kind is BackupEventKind.STEP_FAILED:
                number, _, end = detail.partition(":")
                key = "backup.detail_step_given_up" if end else "backup.detail_step_failed"
                detail = t(key, step=number, tries=MAX_ATTEMPTS)
            lines.append(
                t(
                    "backup.detail_line",
                    when=event.at.astimezone(zone).strftime("%m-%d %H:%M:%S"),
                    who=actor.name if actor else "—",
                    what=t(EVENT[event.kind]),
                    detail=f" {detail}" if detail else "",
                )
            )
        return Html("\n".join(lines))

    async def claimed_elsewhere(self, request: BackupRequest, owner: Person) -> None:
        """A call claimed away from its alert (on the board): the owner gets, in private,
        what the alert's button would have shown (and the buttons for arrived / resolved),
        every alert says who is going, the member who is coming."""
        locale = self.locale(owner)
        plain = self.translator.plain
        buttons = {
            "inline_keyboard": [
                [
                    {
                        "text": plain(locale, "backup.btn_arrived"),
                        "callback_data": callbacks.encode(FEATURE, "arr", request.id),
                    },
                    {
                        "text": plain(locale, "backup.btn_resolved"),
                        "callback_data": callbacks.encode(FEATURE, "res", request.id),
                    },
                ]
            ]
        }
        await self.services.outbox.send(
            owner.tg_user_id,
            self.translator.text(locale, "backup.you_are_going", id=request.id),
            urgent=True,
            reply_markup=buttons,
            ref=f"backup:{request.id}:owner",
        )
        await self.edit_all(request, "backup.someone_going", name=owner.name)
        await self.to_requester(
            request, "backup.told_claimed", name=owner.name, phone=owner.phone or "—"
        )
