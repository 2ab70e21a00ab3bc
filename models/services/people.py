"""People: registration, language, role, office, pairing and activation, all audited."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from models.clock import Clock
from models.errors import DomainError
from models.org import Invitation, Office, PartnerType, Person, Role
from models.roster import PendingPerson, name_key
from models.roster_import import same_number
from models.rules import (
    can_manage_person,
    can_see_roster,
    can_see_station_staff,
    check_deactivate,
    check_move,
    check_pairing,
    check_role_change,
)
from models.services.org import clean_name
from models.store.db import Database
from models.store.misc_repo import AuditRepository
from models.store.org_repo import OrgRepository
from models.store.people_repo import PeopleRepository
from models.store.roster_repo import RosterRepository

DeactivationHook = Callable[[Person, Person], Awaitable[None]]
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,20}$")


class PeopleService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.repo = PeopleRepository(db)
        self.org = OrgRepository(db)
        self.audit = AuditRepository(db)
        self.pending = RosterRepository(db)
        # What features do with their own data when a person leaves their post: deactivated,
        # moved to another office, or given another role (open reports back to the queue, slots
        # re-planned...). Called with (actor, the person as they were); same transaction.
        self.departure_hooks: list[DeactivationHook] = []

    async def by_telegram(self, tg_user_id: int) -> Person | None:
        return await self.repo.by_telegram(tg_user_id)

    async def get(self, person_id: int) -> Person | None:
        return await self.repo.get(person_id)

    async def ensure_operator(self, tg_user_id: int, name: str, locale: str | None) -> Person:
        """A `PATROL_ADMIN_IDS` user talks to the bot: they are an operator from the start."""
        async with self.db.write():
            existing = await self.repo.by_telegram(tg_user_id)
            if existing is not None:
                return existing
            person = await self.repo.add(
                tg_user_id=tg_user_id,
                name=_fallback_name(name),
                role=Role.OPERATOR,
                locale=locale,
                at=self.clock.now(),
            )
            await self._audit(
                None, "person:bootstrap_operator", person.id, None, _snapshot(person)
            )
        return person

    async def register(
        self,
        invitation: Invitation,
        *,
        tg_user_id: int,
        name: str,
        phone: str | None,
        locale: str,
        consume: Callable[[Invitation, int], Awaitable[bool]],
    ) -> Person:
        """Create the person an invitation describes; `consume` takes one use atomically.
        The roster row this person matches (see `roster_match`) gives, for a partner, its
        kind, and is marked as matched by this person. The phone kept is the one given here,
        never the roster's (a name alone proves nothing); whether it differs from the
        roster's is noted in the audit entry of the match, without either number."""
        name = clean_name(name)
        async with self.db.write():
            if await self.repo.by_telegram(tg_user_id) is not None:
                raise DomainError("already_registered")
            pending = await self.roster_match(invitation, name)
            partner_type = invitation.partner_type
            if (
                pending is not None
                and invitation.role is Role.PARTNER
                and pending.partner_type is not None
            ):
                partner_type = pending.partner_type
            phone = clean_phone(phone) if phone else None
            person = await self.repo.add(
                tg_user_id=tg_user_id,
                name=name,
                phone=phone,
                role=invitation.role,
                partner_type=partner_type,
                station_id=invitation.station_id,
                office_id=invitation.office_id,
                locale=locale,
                at=self.clock.now(),
            )
            if not await consume(invitation, person.id):
                raise DomainError("invitation_used")
            await self._audit(
                invitation.created_by, "person:register", person.id, None, _snapshot(person)
            )
            if pending is not None:
                await self._matched(pending, person, phone)
        return person

    async def roster_match(self, invitation: Invitation, name: str) -> PendingPerson | None:
        """The one roster row still waiting in the invitation's office (for a chief or duty
        invitation, the station's own rows) with this name and the invitation's role; None
        when there is none, or several. The invitation decides the rights: a roster that
        says "officer" never makes an officer of someone invited as a member."""
        if invitation.station_id is None:
            return None
        waiting = await self.pending.waiting(
            invitation.station_id, invitation.office_id, name_key(name)
        )
        found = [p for p in waiting if p.role is invitation.role]
        return found[0] if len(found) == 1 else None

    async def _matched(self, pending: PendingPerson, person: Person, phone: str | None) -> None:
        now = self.clock.now()
        if pending.phone is None:
            check = "none on the roster"
        elif phone is None:
            check = "none given"
        else:
            check = "same" if same_number(phone, pending.phone) else "different"
        if not await self.pending.mark_matched(pending.id, person.id, now):
            return
        await self.audit.record(
            at=now,
            actor_id=person.id,
            action="roster:match",
            subject_type="pending_person",
            subject_id=pending.id,
            before=None,
            after={
                "person_id": person.id,
                "phone": check,  # the one given is kept; never a number here
                "partner_type": person.partner_type.value if person.partner_type else None,
            },
        )

    async def set_locale(self, person: Person, locale: str) -> None:
        async with self.db.write():
            await self.repo.set_locale(person.id, locale)

    async def roster(self, actor: Person, office: Office) -> list[Person]:
        if not can_see_roster(actor, office):
            raise DomainError("not_allowed")
        return await self.repo.in_office(office.id)

    async def station_staff(self, actor: Person, station_id: int) -> list[Person]:
        """People of a station with no office (chief, duty), for the roster."""
        if not can_see_station_staff(actor, station_id):
            raise DomainError("not_allowed")
        return [p for p in await self.repo.in_station(station_id) if p.office_id is None]

    async def operators(self, actor: Person) -> list[Person]:
        if actor.role is not Role.OPERATOR or not actor.active:
            raise DomainError("not_allowed")
        return await self.repo.everyone_with_role(Role.OPERATOR)

    async def manageable(self, actor: Person, target_id: int) -> Person:
        target = await self.repo.get(target_id)
        if target is None or not can_manage_person(actor, target):
            raise DomainError("not_allowed")
        return target

    async def change_role(
        self,
        actor: Person,
        target_id: int,
        role: Role,
        partner_type: PartnerType | None = None,
        office_id: int | None = None,
    ) -> Person:
        """Give someone another role; a person with no office who takes an office role needs
        `office_id` (an office of their station)."""
        async with self.db.write():
            target = await self.manageable(actor, target_id)
            remaining = await self._others_with_role(target)
            check_role_change(actor, target, role, remaining)
            if role.needs_station and target.station_id is None:
                raise DomainError("station_required")
            office = target.office_id
            if role.needs_office and office is None:
                chosen = await self.org.office(office_id) if office_id is not None else None
                if chosen is None or chosen.station_id != target.station_id:
                    raise DomainError("office_required")
                office = chosen.id
            if role is Role.PARTNER and partner_type is None:
                raise DomainError("partner_type_required")
            await self.repo.set_role(
                target.id, role, partner_type if role is Role.PARTNER else None
            )
            station = None if role is Role.OPERATOR else target.station_id
            await self.repo.set_place(target.id, station, office if role.needs_office else None)
            if _pairing_side(role) != _pairing_side(target.role):
                await self.repo.clear_pairings(target.id)
            after = await self._reload(target.id)
            if after.role is not target.role or after.office_id != target.office_id:
                await self._departed(actor, target)
            await self._audit(
                actor.id, "person:role", target.id, _snapshot(target), _snapshot(after)
            )
        return after

    async def move(self, actor: Person, target_id: int, office_id: int) -> Person:
        async with self.db.write():
            target = await self.manageable(actor, target_id)
            office = await self.org.office(office_id)
            if office is None:
                raise DomainError("not_allowed")
            check_move(actor, target, office)
            await self.repo.set_place(target.id, office.station_id, office.id)
            await self.repo.clear_pairings(target.id)
            after = await self._reload(target.id)
            if after.office_id != target.office_id:
                await self._departed(actor, target)
            await self._audit(
                actor.id, "person:move", target.id, _snapshot(target), _snapshot(after)
            )
        return after

    async def toggle_pairing(self, actor: Person, member_id: int, officer_id: int) -> bool:
        """Pair or unpair; return True when they are paired afterwards."""
        async with self.db.write():
            member = await self.manageable(actor, member_id)
            officer = await self.repo.get(officer_id)
            if officer is None:
                raise DomainError("not_allowed")
            check_pairing(actor, member, officer)
            if await self.repo.unpair(member.id, officer.id):
                paired = False
            else:
                await self.repo.pair(member.id, officer.id, self.clock.now())
                paired = True
            await self._audit(
                actor.id,
                "person:pair" if paired else "person:unpair",
                member.id,
                None,
                {"officer_id": officer.id},
            )
        return paired

    async def set_active(self, actor: Person, target_id: int, active: bool) -> Person:
        async with self.db.write():
            target = await self.manageable(actor, target_id)
            if target.active == active:
                return target
            if not active:
                check_deactivate(actor, target, await self._others_with_role(target))
                await self.repo.clear_pairings(target.id)
            elif actor.id == target.id:
                raise DomainError("not_allowed")
            await self.repo.set_active(target.id, active)
            after = await self._reload(target.id)
            if not active:
                await self._departed(actor, target)
            await self._audit(
                actor.id,
                "person:activate" if active else "person:deactivate",
                target.id,
                {"active": target.active},
                {"active": active},
            )
        return after

    async def _departed(self, actor: Person, before: Person) -> None:
        for hook in self.departure_hooks:
            await hook(actor, before)

    async def officers_of(self, member: Person) -> list[Person]:
        return await self.repo.officers_of(member.id)

    async def _others_with_role(self, target: Person) -> int:
        if target.role is Role.OPERATOR:
            holders = await self.repo.with_role(Role.OPERATOR)
        elif target.role is Role.CHIEF:
            holders = await self.repo.with_role(Role.CHIEF, target.station_id)
        else:
            return 1
        return sum(1 for p in holders if p.id != target.id)

    async def _reload(self, person_id: int) -> Person:
        person = await self.repo.get(person_id)
        assert person is not None
        return person

    async def _audit(
        self, actor_id: int | None, action: str, subject_id: int, before: object, after: object
    ) -> None:
        await self.audit.record(
            at=self.clock.now(),
            actor_id=actor_id,
            action=action,
            subject_type="person",
            subject_id=subject_id,
            before=before,
            after=after,
        )


def clean_phone(text: str) -> str:
    phone = text.strip()
    if not _PHONE.match(phone):
        raise DomainError("phone_invalid")
    return phone


def _pairing_side(role: Role) -> str | None:
    """Which end of a pairing a role stands at: members and partners walk with officers."""
    if role is Role.OFFICER:
        return "officer"
    if role in (Role.MEMBER, Role.PARTNER):
        return "member"
    return None


def _fallback_name(name: str) -> str:
    try:
        return clean_name(name)
    except DomainError:
        return "Operator"


def _snapshot(person: Person) -> dict[str, object]:
    return {
        "role": person.role.value,
        "partner_type": person.partner_type.value if person.partner_type else None,
        "station_id": person.station_id,
        "office_id": person.office_id,
        "active": person.active,
    }
