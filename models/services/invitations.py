"""Invitations: created by those allowed, opened through a deep link, used once (or N times)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from models.clock import Clock
from models.errors import DomainError
from models.org import Invitation, PartnerType, Person, Role
from models.rules import check_invite
from models.services.people import PeopleService
from models.services.station_settings import StationSettingsService
from models.store.db import Database
from models.store.misc_repo import AuditRepository, InvitationRepository
from models.store.org_repo import OrgRepository

CODE_BYTES = 12  # 16 URL-safe characters: well above the 12 the contract asks for
MAX_USES = 100


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def looks_like_code(payload: str) -> bool:
    return 12 <= len(payload) <= 64 and all(c.isalnum() or c in "-_" for c in payload)


class InvitationService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        station_settings: StationSettingsService,
        people: PeopleService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.repo = InvitationRepository(db)
        self.org = OrgRepository(db)
        self.audit = AuditRepository(db)
        self.station_settings = station_settings
        self.people = people

    async def create(
        self,
        actor: Person,
        role: Role,
        *,
        station_id: int | None,
        office_id: int | None,
        partner_type: PartnerType | None = None,
        uses: int = 1,
    ) -> Invitation:
        office = await self.org.office(office_id) if office_id is not None else None
        if office is not None:
            station_id = office.station_id
        if not role.needs_station:
            station_id, office = None, None
        elif not role.needs_office:
            office = None
        check_invite(actor, role, station_id, office)
        if station_id is not None and await self.org.station(station_id) is None:
            raise DomainError("not_allowed")
        if not 1 <= uses <= MAX_USES:
            raise DomainError("setting_out_of_range", minimum=1, maximum=MAX_USES)
        if role is Role.PARTNER and partner_type is None:
            raise DomainError("partner_type_required")
        days = self.station_settings.settings.invitation_days
        if station_id is not None:
            days = await self.station_settings.value(station_id, "invitation_days")
        now = self.clock.now()
        async with self.db.write():
            invitation = await self.repo.add(
                code=new_code(),
                role=role,
                partner_type=partner_type if role is Role.PARTNER else None,
                station_id=station_id,
                office_id=office.id if office else None,
                created_by=actor.id,
                at=now,
                expires_at=now + timedelta(days=days),
                uses=uses,
            )
            await self.audit.record(
                at=now,
                actor_id=actor.id,
                action="invitation:create",
                subject_type="invitation",
                subject_id=invitation.id,
                after={
                    "role": role.value,
                    "station_id": station_id,
                    "office_id": invitation.office_id,
                },
            )
        return invitation

    async def usable(self, code: str) -> Invitation:
        """The invitation behind a deep-link code, or a DomainError saying why not."""
        invitation = await self.repo.by_code(code) if looks_like_code(code) else None
        if invitation is None:
            raise DomainError("invitation_unknown")
        invitation.check_usable(self.clock.now())
        return invitation

    async def accept(
        self, code: str, *, tg_user_id: int, name: str, phone: str | None, locale: str
    ) -> Person:
        invitation = await self.usable(code)

        async def consume(inv: Invitation, person_id: int) -> bool:
            return await self.repo.consume(inv.id, person_id, self.clock.now())

        return await self.people.register(
            invitation,
            tg_user_id=tg_user_id,
            name=name,
            phone=phone,
            locale=locale,
            consume=consume,
        )
