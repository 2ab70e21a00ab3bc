"""Groups the bot is in: tracked from `my_chat_member`, registered by a chief or operator."""

from __future__ import annotations

from models.clock import Clock
from models.errors import DomainError
from models.org import Group, GroupKind, Person
from models.rules import can_manage_station
from models.store.db import Database
from models.store.misc_repo import AuditRepository, GroupRepository
from models.store.org_repo import OrgRepository

PRESENT_STATUSES = frozenset({"member", "administrator", "creator", "restricted"})


class GroupService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.repo = GroupRepository(db)
        self.org = OrgRepository(db)
        self.audit = AuditRepository(db)

    async def get(self, chat_id: int) -> Group | None:
        return await self.repo.get(chat_id)

    async def bot_status_changed(
        self, chat_id: int, title: str, chat_type: str, status: str
    ) -> Group:
        """The bot was added, promoted, removed or banned: a group it left is inactive."""
        async with self.db.write():
            await self.repo.seen(
                chat_id, title, chat_type, status, status in PRESENT_STATUSES, self.clock.now()
            )
        group = await self.repo.get(chat_id)
        assert group is not None
        return group

    async def ensure_known(self, chat_id: int, title: str, chat_type: str) -> Group:
        """A group we have a message from but no `my_chat_member` yet (added before we ran)."""
        group = await self.repo.get(chat_id)
        if group is None:
            return await self.bot_status_changed(chat_id, title, chat_type, "member")
        return group

    async def register(
        self,
        actor: Person,
        chat_id: int,
        *,
        kind: GroupKind,
        station_id: int,
        office_id: int | None,
        place_id: int | None,
        locale: str,
    ) -> Group:
        if not can_manage_station(actor, station_id):
            raise DomainError("not_allowed")
        if office_id is not None:
            office = await self.org.office(office_id)
            if office is None or office.station_id != station_id:
                raise DomainError("not_allowed")
        if place_id is not None:
            place = await self.org.place(place_id)
            if place is None or place.office_id != office_id:
                raise DomainError("not_allowed")
        async with self.db.write():
            existing = await self.repo.get(chat_id)
            if existing is None:
                raise DomainError("stale")
            # A registered group stays with its station unless that station's chief (or an
            # operator) changes it: nobody takes over another station's village group.
            if existing.station_id is not None and not can_manage_station(
                actor, existing.station_id
            ):
                raise DomainError("group_other_station")
            await self.repo.register(
                chat_id,
                kind=kind,
                station_id=station_id,
                office_id=office_id,
                place_id=place_id,
                locale=locale,
                by=actor.id,
                at=self.clock.now(),
            )
            await self.audit.record(
                at=self.clock.now(),
                actor_id=actor.id,
                action="group:register",
                subject_type="group",
                subject_id=chat_id,
                after={"kind": kind.value, "station_id": station_id, "office_id": office_id},
            )
        group = await self.repo.get(chat_id)
        assert group is not None
        return group

    async def migrated(self, old_chat_id: int, new_chat_id: int) -> None:
        async with self.db.write():
            await self.repo.migrate(old_chat_id, new_chat_id, self.clock.now())
