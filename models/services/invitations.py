"""Invitations: created by those allowed (one at a time, or a sheet of single-use ones),
opened through a deep link, used once (or N times); expired unused ones listed and revoked."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from models.clock import Clock
from models.errors import DomainError
from models.org import Invitation, Office, PartnerType, Person, Role
from models.rules import check_invite, invitable_roles
from models.services.people import PeopleService
from models.services.station_settings import StationSettingsService
from models.store.db import Database
from models.store.misc_repo import AuditRepository, InvitationRepository
from models.store.org_repo import OrgRepository

CODE_BYTES = 12  # 16 URL-safe characters: well above the 12 the contract asks for
MAX_USES = 100
MAX_SHEET = 100  # invitations on one printed sheet
# Whoever runs `python bot.py invites` on the server holds the database already: the
# console has an operator's rights. It is no person: rows and audit entries name nobody.
CONSOLE = Person(id=0, tg_user_id=0, name="console", role=Role.OPERATOR)


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def looks_like_code(payload: str) -> bool:
    return 12 <= len(payload) <= 64 and all(c.isalnum() or c in "-_" for c in payload)


def check_sheet_count(count: int) -> None:
    if not 1 <= count <= MAX_SHEET:
        raise DomainError("invitation_count", minimum=1, maximum=MAX_SHEET)


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
        if not 1 <= uses <= MAX_USES:
            raise DomainError("setting_out_of_range", minimum=1, maximum=MAX_USES)
        made = await self._make(actor, role, station_id, office_id, partner_type, uses, 1)
        return made[0]

    async def create_sheet(
        self,
        actor: Person | None,
        role: Role,
        *,
        station_id: int | None,
        office_id: int | None,
        partner_type: PartnerType | None = None,
        count: int,
    ) -> list[Invitation]:
        """`count` single-use invitations for one role and office, for a printed sheet (one
        QR code each); `actor` None is the console. Made in one transaction, each audited."""
        drafts = await self.draft_sheet(
            actor,
            role,
            station_id=station_id,
            office_id=office_id,
            partner_type=partner_type,
            count=count,
        )
        return await self.save(actor, drafts)

    async def draft_sheet(
        self,
        actor: Person | None,
        role: Role,
        *,
        station_id: int | None,
        office_id: int | None,
        partner_type: PartnerType | None = None,
        count: int,
    ) -> list[Invitation]:
        """The invitations `create_sheet` would make, not stored yet (id 0): a sheet can be
        drawn and written before `save` stores exactly these codes."""
        check_sheet_count(count)
        if not role.needs_station:
            raise DomainError("sheet_role")  # operator rights on a paper slip: one at a time
        return await self._drafts(actor, role, station_id, office_id, partner_type, 1, count)

    async def _make(
        self,
        actor: Person | None,
        role: Role,
        station_id: int | None,
        office_id: int | None,
        partner_type: PartnerType | None,
        uses: int,
        count: int,
    ) -> list[Invitation]:
        drafts = await self._drafts(actor, role, station_id, office_id, partner_type, uses, count)
        return await self.save(actor, drafts)

    async def _drafts(
        self,
        actor: Person | None,
        role: Role,
        station_id: int | None,
        office_id: int | None,
        partner_type: PartnerType | None,
        uses: int,
        count: int,
    ) -> list[Invitation]:
        station_id, office = await self._scope(actor, role, station_id, office_id)
        if role is Role.PARTNER and partner_type is None:
            raise DomainError("partner_type_required")
        days = self.station_settings.settings.invitation_days
        if station_id is not None:
            days = await self.station_settings.value(station_id, "invitation_days")
        expires_at = self.clock.now() + timedelta(days=days)
        return [
            Invitation(
                id=0,
                code=new_code(),
                role=role,
                partner_type=partner_type if role is Role.PARTNER else None,
                station_id=station_id,
                office_id=office.id if office else None,
                created_by=actor.id if actor else None,
                expires_at=expires_at,
                max_uses=uses,
                uses_left=uses,
            )
            for _ in range(count)
        ]

    async def save(
        self,
        actor: Person | None,
        drafts: list[Invitation],
        before_commit: Callable[[], Awaitable[None]] | None = None,
    ) -> list[Invitation]:
        """Store drafted invitations in one transaction, each audited. `before_commit` runs
        last inside it: if it raises, none is stored."""
        now = self.clock.now()
        made: list[Invitation] = []
        async with self.db.write():
            for draft in drafts:
                invitation = await self.repo.add(
                    code=draft.code,
                    role=draft.role,
                    partner_type=draft.partner_type,
                    station_id=draft.station_id,
                    office_id=draft.office_id,
                    created_by=actor.id if actor else None,
                    at=now,
                    expires_at=draft.expires_at,
                    uses=draft.max_uses,
                )
                after: dict[str, Any] = {
                    "role": invitation.role.value,
                    "station_id": invitation.station_id,
                    "office_id": invitation.office_id,
                }
                if len(drafts) > 1:
                    after["sheet"] = len(drafts)
                await self._audit(actor, now, "invitation:create", invitation, None, after)
                made.append(invitation)
            if before_commit is not None:
                await before_commit()
        return made

    async def _scope(
        self, actor: Person | None, role: Role, station_id: int | None, office_id: int | None
    ) -> tuple[int | None, Office | None]:
        """The station and office an invitation for `role` gets, if `actor` may make it."""
        office = await self.org.office(office_id) if office_id is not None else None
        if office is not None:
            station_id = office.station_id
        if not role.needs_station:
            station_id, office = None, None
        elif not role.needs_office:
            office = None
        check_invite(actor or CONSOLE, role, station_id, office)
        if station_id is not None and await self.org.station(station_id) is None:
            raise DomainError("not_allowed")
        return station_id, office

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

    # expired invitations nobody used
    async def expired_unused(
        self,
        actor: Person | None,
        *,
        station_id: int | None = None,
        office_id: int | None = None,
    ) -> list[Invitation]:
        """Invitations that expired before anyone used them, among those `actor` could have
        made (officers: their office; chiefs: their station; operators and the console:
        everything, or the station or office asked for). Oldest first."""
        if actor is not None:
            if not invitable_roles(actor):
                raise DomainError("not_allowed")
            if actor.role is not Role.OPERATOR:
                station_id = actor.station_id
            if actor.role is Role.OFFICER:
                office_id = actor.office_id
        found = await self.repo.expired_unused(self.clock.now(), station_id, office_id)
        offices: dict[int, Office | None] = {}
        mine = []
        for invitation in found:
            office = None
            if invitation.office_id is not None:
                if invitation.office_id not in offices:
                    offices[invitation.office_id] = await self.org.office(invitation.office_id)
                office = offices[invitation.office_id]
            try:
                check_invite(actor or CONSOLE, invitation.role, invitation.station_id, office)
            except DomainError:
                continue
            mine.append(invitation)
        return mine

    async def revoke_expired(
        self,
        actor: Person | None,
        *,
        station_id: int | None = None,
        office_id: int | None = None,
    ) -> list[Invitation]:
        """Revoke what `expired_unused` lists (as it is now), each audited; the revoked."""
        now = self.clock.now()
        revoked = []
        async with self.db.write():
            found = await self.expired_unused(actor, station_id=station_id, office_id=office_id)
            for invitation in found:
                if await self.repo.revoke_unused(invitation.id):
                    before = {"revoked": False}
                    after = {"revoked": True, "reason": "expired"}
                    await self._audit(actor, now, "invitation:revoke", invitation, before, after)
                    revoked.append(invitation)
        return revoked

    async def _audit(
        self,
        actor: Person | None,
        at: datetime,
        action: str,
        invitation: Invitation,
        before: dict[str, Any] | None,
        after: dict[str, Any],
    ) -> None:
        if actor is None:
            after = {**after, "via": "console"}
        await self.audit.record(
            at=at,
            actor_id=actor.id if actor else None,
            action=action,
            subject_type="invitation",
            subject_id=invitation.id,
            before=before,
            after=after,
        )
