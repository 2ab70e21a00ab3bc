"""The organisation: stations, offices, places, people, pairings, groups, invitations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from models.errors import DomainError


class Role(StrEnum):
    OPERATOR = "operator"
    CHIEF = "chief"
    DUTY = "duty"
    OFFICER = "officer"
    MEMBER = "member"
    PARTNER = "partner"

    @property
    def needs_station(self) -> bool:
        return self is not Role.OPERATOR

    @property
    def needs_office(self) -> bool:
        return self in (Role.OFFICER, Role.MEMBER, Role.PARTNER)

    @property
    def is_staff(self) -> bool:
        """Police-side roles that may see operational details of their scope."""
        return self in (Role.OPERATOR, Role.CHIEF, Role.DUTY, Role.OFFICER)


class PartnerType(StrEnum):
    GRID_WORKER = "grid_worker"
    VILLAGE_COMMITTEE = "village_committee"
    FOREST_RANGER = "forest_ranger"


class GroupKind(StrEnum):
    STAFF = "staff"
    PUBLIC = "public"


class PlaceKind(StrEnum):
    VILLAGE = "village"
    PATROL_AREA = "patrol_area"
    HOT_SPOT = "hot_spot"


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class Station(_Row):
    id: int
    name: str
    code: str | None = None
    active: bool = True


class Office(_Row):
    id: int
    station_id: int
    name: str
    code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    active: bool = True


class Place(_Row):
    id: int
    office_id: int
    name: str
    is_village: bool = False
    is_patrol_area: bool = False
    is_hot_spot: bool = False
    latitude: float | None = None
    longitude: float | None = None
    patrol_need: int = 1
    shifts: tuple[int, ...] = (0,)
    active: bool = True

    def has_kind(self, kind: PlaceKind) -> bool:
        return {
            PlaceKind.VILLAGE: self.is_village,
            PlaceKind.PATROL_AREA: self.is_patrol_area,
            PlaceKind.HOT_SPOT: self.is_hot_spot,
        }[kind]


class Person(_Row):
    id: int
    tg_user_id: int
    name: str
    phone: str | None = None
    role: Role
    partner_type: PartnerType | None = None
    station_id: int | None = None
    office_id: int | None = None
    locale: str | None = None
    active: bool = True
    on_duty: bool = True


class Group(_Row):
    chat_id: int
    title: str
    chat_type: str
    bot_status: str
    active: bool
    kind: GroupKind | None = None
    station_id: int | None = None
    office_id: int | None = None
    place_id: int | None = None
    locale: str | None = None

    @property
    def registered(self) -> bool:
        return self.kind is not None


class Invitation(_Row):
    id: int
    code: str
    role: Role
    partner_type: PartnerType | None = None
    station_id: int | None = None
    office_id: int | None = None
    created_by: int | None = None
    expires_at: datetime
    max_uses: int
    uses_left: int
    revoked: bool = False

    def check_usable(self, now: datetime) -> None:
        """Raise a DomainError saying why this invitation cannot be used now."""
        if self.revoked:
            raise DomainError("invitation_revoked")
        if now >= self.expires_at:
            raise DomainError("invitation_expired")
        if self.uses_left <= 0:
            raise DomainError("invitation_used")


class AuditEntry(_Row):
    id: int
    at: datetime
    actor_id: int | None
    action: str
    subject_type: str
    subject_id: int | None
    before: str | None
    after: str | None
