"""Backup request actions: create, locate, claim, cannot go, arrive, resolve, cancel; and who
each escalation step reaches. Each action is one transaction with its timeline event."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from models.backup import (
    BackupEventKind,
    BackupReason,
    BackupRequest,
    BackupStatus,
    StepKind,
    available,
    may_claim,
    may_request,
    may_view,
)
from models.clock import Clock
from models.errors import DomainError
from models.org import Group, Person, Role
from models.services.station_settings import StationSettingsService
from models.store.backup_repo import BackupRepository
from models.store.db import Database
from models.store.misc_repo import GroupRepository
from models.store.patrol_repo import PatrolRepository
from models.store.people_repo import PeopleRepository

MAX_NOTE = 500


@dataclass(frozen=True)
class Recipients:
    people: list[Person]
    groups: list[Group]

    def __bool__(self) -> bool:
        return bool(self.people or self.groups)


class BackupService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        station_settings: StationSettingsService,
        zone: ZoneInfo,
    ) -> None:
        self.zone = zone
        self.leave = PatrolRepository(db)
        self.db = db
        self.clock = clock
        self.repo = BackupRepository(db)
        self.people = PeopleRepository(db)
        self.groups = GroupRepository(db)
        self.station_settings = station_settings

    async def create(
        self, person: Person, reason: BackupReason, report_id: int | None = None
    ) -> BackupRequest:
        """A new request with the station's policy copied onto it (later edits of the policy
        do not change requests already running)."""
        if not may_request(person) or person.station_id is None or person.office_id is None:
            raise DomainError("not_allowed")
        async with self.db.write():
            existing = await self.repo.open_of(person.id)
            if existing is not None:
                raise DomainError("backup_already_open")
            waits = await self.station_settings.value(person.station_id, "backup_step_waits")
            now = self.clock.now()
            request_id = await self.repo.add(
                station_id=person.station_id,
                office_id=person.office_id,
                requester_id=person.id,
                reason=reason,
                waits=tuple(waits),
                at=now,
                report_id=report_id,
            )
            await self.repo.add_event(request_id, BackupEventKind.CREATED, person.id, now, reason)
            return await self._get(request_id)

    async def recipients(self, request: BackupRequest, kind: StepKind) -> Recipients:
        """Who a step reaches; unavailable people (off duty, suspended) are skipped."""
        requester = request.requester_id
        today = self.clock.now().astimezone(self.zone).date()
        officers = [
            p
            for p in await self.people.in_office(request.office_id, True, Role.OFFICER)
            if available(p) and p.id != requester
        ]
        # officers on planned leave today are skipped like those off duty
        away = await self.leave.on_leave([p.id for p in officers], today)
        officers = [p for p in officers if p.id not in away]
        if kind is StepKind.PAIRED:
            asker = await self.people.get(requester)
            if asker is not None and asker.role is Role.OFFICER:
                return Recipients(officers, [])  # an officer's call starts at the others
            paired = {p.id for p in await self.people.officers_of(requester)}
            return Recipients([p for p in officers if p.id in paired], [])
        if kind is StepKind.OFFICE:
            duty_people, groups = await self.duty_desk(request.station_id)
            return Recipients(officers + [p for p in duty_people if p.id != requester], groups)
        chiefs = [
            p for p in await self.people.with_role(Role.CHIEF, request.station_id) if p.active
        ]
        if kind is StepKind.CHIEF:
            return Recipients([p for p in chiefs if available(p)], [])
        duty_people, groups = await self.duty_desk(request.station_id, only_available=False)
        operators = await self.people.with_role(Role.OPERATOR)
        seen: set[int] = set()
        people = []
        for person in chiefs + duty_people + operators:
            if person.id not in seen:
                seen.add(person.id)
                people.append(person)
        return Recipients(people, groups)

    async def without_decliners(
        self, request: BackupRequest, recipients: Recipients
    ) -> Recipients:
        """A later step of a call does not alert again those who said "cannot go" to it in
        private — unless nobody else is left for the step (the final alert is not asked)."""
        declined = await self.repo.declined_chats(request.id)
        if not declined:
            return recipients
        kept = Recipients(
            [p for p in recipients.people if p.tg_user_id not in declined], recipients.groups
        )
        return kept if kept else recipients

    async def duty_desk(
        self, station_id: int, only_available: bool = True
    ) -> tuple[list[Person], list[Group]]:
        """The duty desk: the station's staff groups when it has any, else its duty people."""
        groups = await self.groups.station_desks(station_id)
        if groups:
            return [], groups
        duty = await self.people.with_role(Role.DUTY, station_id)
        if only_available:
            duty = [p for p in duty if available(p)]
        return duty, []

    async def claim(self, person: Person, request_id: int) -> tuple[BackupRequest, bool]:
        """ "On my way": True when this press made `person` the owner."""
        async with self.db.write():
            request = await self._claimable(person, request_id)
            now = self.clock.now()
            won = await self.repo.claim(request.id, person.id, now)
            if won:
                await self.repo.add_event(request.id, BackupEventKind.CLAIMED, person.id, now)
            return await self._get(request.id), won

    async def awaits_answer(self, person: Person, request: BackupRequest) -> bool:
        """This person's private alert of the call's current step still waits for their
        answer (it carries "cannot go")."""
        if request.status is not BackupStatus.OPEN:
            return False
        return any(
            n["chat_id"] == person.tg_user_id
            and n["step_index"] == request.step_index
            and n["response"] is None
            for n in await self.repo.notifications(request.id)
        )

    async def cannot_go(
        self, person: Person, request_id: int, chat_id: int, personal: bool
    ) -> BackupRequest:
        """ "Cannot go". In a group it is one person's answer, not the whole desk's: it is
        logged, but only a private alert counts as declined."""
        async with self.db.write():
            request = await self._claimable(person, request_id)
            if request.status is not BackupStatus.OPEN:
                raise DomainError("backup_taken")
            if personal:
                await self.repo.respond(request.id, request.step_index, chat_id, "cannot_go")
            await self.repo.add_event(
                request.id, BackupEventKind.CANNOT_GO, person.id, self.clock.now()
            )
            return request

    async def arrive(self, person: Person, request_id: int) -> BackupRequest:
        async with self.db.write():
            request = await self._owned(person, request_id, BackupStatus.CLAIMED)
            now = self.clock.now()
            await self.repo.set_status(request.id, BackupStatus.ARRIVED, now)
            await self.repo.add_event(request.id, BackupEventKind.ARRIVED, person.id, now)
            return await self._get(request.id)

    async def resolve(self, person: Person, request_id: int, note: str | None) -> BackupRequest:
        note = (note or "").strip()[:MAX_NOTE] or None
        async with self.db.write():
            request = await self._get(request_id)
            if request.owner_id != person.id or request.status not in (
                BackupStatus.CLAIMED,
                BackupStatus.ARRIVED,
            ):
                raise DomainError("not_allowed" if request.status.is_open else "backup_closed")
            now = self.clock.now()
            await self.repo.set_status(request.id, BackupStatus.RESOLVED, now, note)
            await self.repo.add_event(request.id, BackupEventKind.RESOLVED, person.id, now, note)
            return await self._get(request.id)

    async def cancel(self, person: Person, request_id: int) -> BackupRequest:
        async with self.db.write():
            request = await self._get(request_id)
            if request.requester_id != person.id:
                raise DomainError("not_allowed")
            if not request.status.is_open:
                raise DomainError("backup_closed")
            now = self.clock.now()
            await self.repo.set_status(request.id, BackupStatus.CANCELLED, now)
            await self.repo.add_event(request.id, BackupEventKind.CANCELLED, person.id, now)
            return await self._get(request.id)

    async def locate(self, person: Person, latitude: float, longitude: float) -> BackupRequest:
        """A location (or a live location moving) for the person's open request."""
        async with self.db.write():
            request = await self.repo.open_of(person.id)
            if request is None:
                raise DomainError("backup_closed")
            first = request.latitude is None
            await self.repo.set_location(request.id, latitude, longitude)
            if first:
                await self.repo.add_event(
                    request.id,
                    BackupEventKind.LOCATION,
                    person.id,
                    self.clock.now(),
                    f"{latitude:.5f},{longitude:.5f}",
                )
            return await self._get(request.id)

    async def share_live(
        self, person: Person, request_id: int, chat_id: int, message_id: int
    ) -> None:
        """The caller's live location message (forwarded to everyone alerted, so that it
        keeps moving for them); only for her own request."""
        async with self.db.write():
            request = await self._get(request_id)
            if request.requester_id != person.id:
                raise DomainError("not_allowed")
            await self.repo.set_live(request_id, chat_id, message_id)

    async def link_report(self, person: Person, request_id: int, report_id: int) -> None:
        """A call made from a report's danger question belongs to the report once it is
        submitted (by the same person)."""
        async with self.db.write():
            request = await self._get(request_id)
            if request.requester_id != person.id:
                raise DomainError("not_allowed")
            await self.repo.link_report(request_id, report_id)

    async def owner_left(self, person: Person) -> list[BackupRequest]:
        """The claiming officer was suspended or moved: their requests are open again."""
        reopened = []
        for request in await self.repo.open_owned_by(person.id):
            await self.repo.reopen(request.id)
            await self.repo.add_event(
                request.id, BackupEventKind.RETURNED, person.id, self.clock.now()
            )
            again = await self.repo.get(request.id)
            assert again is not None
            reopened.append(again)
        return reopened

    async def viewable(self, person: Person, request_id: int) -> BackupRequest:
        request = await self.repo.get(request_id)
        if request is None or not may_view(person, request):
            raise DomainError("not_allowed")
        return request

    async def set_on_duty(self, person: Person, on_duty: bool) -> None:
        if person.role not in (Role.OFFICER, Role.DUTY, Role.CHIEF):
            raise DomainError("not_allowed")
        async with self.db.write():
            await self.people.set_on_duty(person.id, on_duty)

    async def _claimable(self, person: Person, request_id: int) -> BackupRequest:
        request = await self._get(request_id)
        if not may_claim(person, request):
            raise DomainError("not_allowed")
        if not request.status.is_open:
            raise DomainError("backup_closed")
        return request

    async def _owned(self, person: Person, request_id: int, status: BackupStatus) -> BackupRequest:
        request = await self._get(request_id)
        if request.owner_id != person.id:
            raise DomainError("not_allowed")
        if not request.status.is_open:
            raise DomainError("backup_closed")
        if request.status is not status:
            raise DomainError("backup_state")
        return request

    async def _get(self, request_id: int) -> BackupRequest:
        request = await self.repo.get(request_id)
        if request is None:
            raise DomainError("stale")
        return request
