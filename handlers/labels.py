"""Catalog keys for the names of enum values (roles, partner types, place kinds, groups)."""

from __future__ import annotations

from locales import N_
from models.org import GroupKind, PartnerType, PlaceKind, Role

ROLE: dict[Role, str] = {
    Role.OPERATOR: N_("role.operator"),
    Role.CHIEF: N_("role.chief"),
    Role.DUTY: N_("role.duty"),
    Role.OFFICER: N_("role.officer"),
    Role.MEMBER: N_("role.member"),
    Role.PARTNER: N_("role.partner"),
}
PARTNER: dict[PartnerType, str] = {
    PartnerType.GRID_WORKER: N_("partner.grid_worker"),
    PartnerType.VILLAGE_COMMITTEE: N_("partner.village_committee"),
    PartnerType.FOREST_RANGER: N_("partner.forest_ranger"),
}
PLACE_KIND: dict[PlaceKind, str] = {
    PlaceKind.VILLAGE: N_("place.village"),
    PlaceKind.PATROL_AREA: N_("place.patrol_area"),
    PlaceKind.HOT_SPOT: N_("place.hot_spot"),
}
GROUP_KIND: dict[GroupKind, str] = {
    GroupKind.STAFF: N_("group.kind.staff"),
    GroupKind.PUBLIC: N_("group.kind.public"),
}
