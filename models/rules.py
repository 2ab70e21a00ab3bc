"""Who may do what: pure permission rules, checked on the server for every action."""

from __future__ import annotations

from models.errors import DomainError
from models.org import Office, Person, Role

_CHIEF_INVITES = (Role.CHIEF, Role.DUTY, Role.OFFICER, Role.MEMBER, Role.PARTNER)
_OFFICER_INVITES = (Role.MEMBER, Role.PARTNER)


def invitable_roles(actor: Person) -> tuple[Role, ...]:
    """The roles `actor` may invite people into."""
    if not actor.active:
        return ()
    if actor.role is Role.OPERATOR:
        return tuple(Role)
    if actor.role is Role.CHIEF:
        return _CHIEF_INVITES
    if actor.role is Role.OFFICER:
        return _OFFICER_INVITES
    return ()


def check_invite(actor: Person, role: Role, station_id: int | None, office: Office | None) -> None:
    """Raise unless `actor` may invite someone as `role` into that station and office."""
    if role not in invitable_roles(actor):
        raise DomainError("not_allowed")
    if role.needs_station and station_id is None:
        raise DomainError("station_required")
    if role.needs_office and office is None:
        raise DomainError("office_required")
    if office is not None and office.station_id != station_id:
        raise DomainError("not_allowed")
    if actor.role is Role.CHIEF and station_id != actor.station_id:
        raise DomainError("not_allowed")
    if actor.role is Role.OFFICER and (office is None or office.id != actor.office_id):
        raise DomainError("not_allowed")


def can_manage_station(actor: Person, station_id: int | None) -> bool:
    """Chiefs manage their own station; operators manage every station."""
    if not actor.active:
        return False
    if actor.role is Role.OPERATOR:
        return True
    return actor.role is Role.CHIEF and station_id is not None and station_id == actor.station_id


def can_manage_person(actor: Person, target: Person) -> bool:
    """Whether `actor` may change `target`'s role, office, pairing or activation."""
    if not actor.active:
        return False
    if actor.role is Role.OPERATOR:
        return True
    if actor.role is Role.CHIEF:
        return target.role is not Role.OPERATOR and target.station_id == actor.station_id
    if actor.role is Role.OFFICER:
        return target.role in _OFFICER_INVITES and target.office_id == actor.office_id
    return False


def assignable_roles(actor: Person, target: Person) -> tuple[Role, ...]:
    """The roles `actor` may give `target` (its current one excluded). A person with no
    station (an operator) can only be given roles that need none."""
    if not can_manage_person(actor, target):
        return ()
    return tuple(
        r
        for r in invitable_roles(actor)
        if r is not target.role and (target.station_id is not None or not r.needs_station)
    )


def can_see_station_staff(actor: Person, station_id: int) -> bool:
    """The station's people without an office (chief, duty): its staff and operators."""
    if not actor.active or not actor.role.is_staff:
        return False
    return actor.role is Role.OPERATOR or actor.station_id == station_id


def can_see_roster(actor: Person, office: Office) -> bool:
    if not actor.active:
        return False
    if actor.role is Role.OPERATOR:
        return True
    if actor.role in (Role.CHIEF, Role.DUTY):
        return office.station_id == actor.station_id
    return actor.role is Role.OFFICER and office.id == actor.office_id


def check_role_change(
    actor: Person, target: Person, new_role: Role, remaining_with_old_role: int
) -> None:
    """Raise unless the change is allowed; `remaining_with_old_role` counts other active
    holders of the target's current role in its scope (station for chiefs, all for operators)."""
    if new_role not in assignable_roles(actor, target):
        raise DomainError("not_allowed")
    _keep_last(target, remaining_with_old_role)


def check_deactivate(actor: Person, target: Person, remaining_with_role: int) -> None:
    if not can_manage_person(actor, target) or actor.id == target.id:
        raise DomainError("not_allowed")
    _keep_last(target, remaining_with_role)


def check_move(actor: Person, target: Person, office: Office) -> None:
    """Moving a person to another office of the same station."""
    if not can_manage_person(actor, target) or not target.role.needs_office:
        raise DomainError("not_allowed")
    if office.station_id != target.station_id or not office.active:
        raise DomainError("not_allowed")


def check_pairing(actor: Person, member: Person, officer: Person) -> None:
    if not can_manage_person(actor, member) or member.role not in _OFFICER_INVITES:
        raise DomainError("not_allowed")
    if officer.role is not Role.OFFICER or officer.office_id != member.office_id:
        raise DomainError("pair_other_office")
    if not officer.active:
        raise DomainError("person_inactive")


def _keep_last(target: Person, remaining: int) -> None:
    if target.role is Role.CHIEF and remaining < 1:
        raise DomainError("last_chief")
    if target.role is Role.OPERATOR and remaining < 1:
        raise DomainError("last_operator")
