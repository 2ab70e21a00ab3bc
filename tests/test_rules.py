"""Permission rules, tested directly: who may invite and manage whom."""

from __future__ import annotations

import pytest

from models import callbacks
from models.errors import DomainError
from models.org import Office, Person, Role
from models.rules import (
    can_manage_person,
    check_deactivate,
    check_invite,
    check_role_change,
    invitable_roles,
)

OFFICE_A = Office(id=1, station_id=1, name="A")
OFFICE_B = Office(id=2, station_id=1, name="B")
OFFICE_X = Office(id=3, station_id=2, name="X")


def person(pid: int, role: Role, station: int | None = 1, office: int | None = None) -> Person:
    return Person(
        id=pid, tg_user_id=pid, name=f"p{pid}", role=role, station_id=station, office_id=office
    )


OPERATOR = person(1, Role.OPERATOR, station=None)
CHIEF = person(2, Role.CHIEF)
OTHER_CHIEF = person(3, Role.CHIEF, station=2)
DUTY = person(4, Role.DUTY)
OFFICER_A = person(5, Role.OFFICER, office=1)
MEMBER_A = person(6, Role.MEMBER, office=1)
MEMBER_B = person(7, Role.MEMBER, office=2)


@pytest.mark.parametrize(
    ("actor", "role", "station", "office", "allowed"),
    [
        (OPERATOR, Role.OPERATOR, None, None, True),
        (OPERATOR, Role.CHIEF, 2, None, True),
        (CHIEF, Role.OFFICER, 1, OFFICE_A, True),
        (CHIEF, Role.OFFICER, 2, OFFICE_X, False),
        (CHIEF, Role.OPERATOR, None, None, False),
        (OFFICER_A, Role.MEMBER, 1, OFFICE_A, True),
        (OFFICER_A, Role.MEMBER, 1, OFFICE_B, False),
        (OFFICER_A, Role.OFFICER, 1, OFFICE_A, False),
        (MEMBER_A, Role.MEMBER, 1, OFFICE_A, False),
        (DUTY, Role.MEMBER, 1, OFFICE_A, False),
        (CHIEF, Role.MEMBER, 1, None, False),
    ],
)
def test_who_may_invite(
    actor: Person, role: Role, station: int | None, office: Office | None, allowed: bool
) -> None:
    if allowed:
        check_invite(actor, role, station, office)
    else:
        with pytest.raises(DomainError):
            check_invite(actor, role, station, office)


def test_who_may_manage_whom() -> None:
    assert can_manage_person(CHIEF, MEMBER_B)
    assert not can_manage_person(OTHER_CHIEF, MEMBER_A)
    assert can_manage_person(OFFICER_A, MEMBER_A)
    assert not can_manage_person(OFFICER_A, MEMBER_B)
    assert not can_manage_person(OFFICER_A, DUTY)
    assert not can_manage_person(DUTY, MEMBER_A)
    assert not can_manage_person(CHIEF, OPERATOR)
    assert invitable_roles(MEMBER_A) == ()


def test_last_chief_and_last_operator_are_kept() -> None:
    with pytest.raises(DomainError) as caught:
        check_role_change(CHIEF, CHIEF, Role.OFFICER, remaining_with_old_role=0)
    assert caught.value.code == "last_chief"
    check_role_change(CHIEF, CHIEF, Role.DUTY, remaining_with_old_role=1)
    with pytest.raises(DomainError) as caught:
        check_deactivate(OPERATOR, person(9, Role.OPERATOR, station=None), 0)
    assert caught.value.code == "last_operator"
    with pytest.raises(DomainError):
        check_deactivate(CHIEF, CHIEF, 5)  # nobody suspends themselves


def test_callback_data_round_trips_and_stays_short() -> None:
    data = callbacks.encode("ros", "tog", 12, "a:b")
    assert data == "ros:tog:12:a%3Ab"
    decoded = callbacks.decode(data)
    assert decoded is not None and decoded.args == ("12", "a:b")
    with pytest.raises(ValueError):
        callbacks.encode("x", "y", "z" * 70)
    assert callbacks.decode("nonsense") is None
