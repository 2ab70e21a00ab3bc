"""The station board (a Telegram Mini App): what an officer, the duty desk, a chief or an
operator sees at a glance — open reports and active backup calls on a map, the places, where
checked-in members last were, today's patrol board. The same scope as in chat: an officer
their office, the duty desk and the chief their station, an operator the county; members
and partners get no board. Reads only, on the read-only connection (writes go through the
services the chat buttons use)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from models.backup import plan
from models.clock import Clock, from_db
from models.errors import DomainError
from models.org import Person, Role
from models.stats import Scope
from models.store.board_repo import BoardRepository
from models.store.db import Database
from models.store.org_repo import OrgRepository
from models.store.patrol_repo import PatrolRepository
from models.store.people_repo import PeopleRepository

BOARD_ROLES = (Role.OFFICER, Role.DUTY, Role.CHIEF, Role.OPERATOR)
# who sees where checked-in members last shared their location: their office's officers
# and the station's chief (as in chat: the missed check-in goes to them)
LOCATION_ROLES = (Role.OFFICER, Role.CHIEF)


@dataclass(frozen=True)
class BoardScope:
    """Whose board this is and what it covers."""

    person: Person
    scope: Scope

    @property
    def sees_members(self) -> bool:
        return self.person.role in LOCATION_ROLES


def board_scope(person: Person | None) -> BoardScope:
    """The board a person may see; a member, a partner or an inactive person sees none."""
    if person is None or not person.active or person.role not in BOARD_ROLES:
        raise DomainError("not_allowed")
    if person.role is Role.OPERATOR:
        return BoardScope(person, Scope())
    if person.station_id is None:
        raise DomainError("not_allowed")
    if person.role is Role.OFFICER:
        if person.office_id is None:
            raise DomainError("not_allowed")
        return BoardScope(person, Scope(person.station_id, person.office_id))
    return BoardScope(person, Scope(person.station_id))


@dataclass(frozen=True)
class Slot:
    """One row of today's board: a patrol area's shift, who walks it and how it stands."""

    office: str
    area: str
    hot: bool
    starts_at: datetime | None
    ends_at: datetime | None
    member: str | None
    # planned, late (started, not checked in), missed (over, never checked in), checked_in,
    # checked_out, unfilled
    state: str


class BoardService:
    def __init__(self, db: Database, clock: Clock, zone: ZoneInfo) -> None:
        self.clock = clock
        self.zone = zone
        self.repo = BoardRepository(db)
        self.org = OrgRepository(db)
        self.patrol = PatrolRepository(db)
        self.people = PeopleRepository(db)

    async def today_slots(self, board: BoardScope) -> list[Slot]:
        """Today's patrol board: every assignment of the scope's offices with its state, and
        the slots the plan could not fill."""
        today, now = self.today(), self.clock.now()
        slots: list[Slot] = []
        for office in await self.repo.offices(board.scope):
            places = {p.id: p for p in await self.org.places(office["id"])}
            for a in await self.patrol.assignments(office["id"], today):
                place = places.get(a.area_id)
                member = await self.people.get(a.member_id)
                checkin = await self.patrol.checkin_for(a.id)
                if checkin is not None:
                    state = "checked_out" if checkin.ended_at is not None else "checked_in"
                elif now >= a.ends_at:
                    state = "missed"  # the shift is over and nobody checked in
                else:
                    state = "late" if now >= a.starts_at else "planned"
                slots.append(
                    Slot(office["name"], place.name if place else "?",
                         bool(place and place.is_hot_spot), a.starts_at, a.ends_at,
                         member.name if member else None, state)
                )  # fmt: skip
            day = await self.patrol.day(office["id"], today)
            for gap in (day or {}).get("unfilled", []):
                place = places.get(int(gap.get("area", 0)))
                slots.append(
                    Slot(office["name"], place.name if place else "?",
                         bool(place and place.is_hot_spot), None, None, None, "unfilled")
                )  # fmt: skip
        return slots

    def today(self) -> date:
        return self.clock.now().astimezone(self.zone).date()

    async def map(self, board: BoardScope) -> dict[str, Any]:
        """Everything the map shows, as plain values (the API sends it as JSON)."""
        now = self.clock.now()
        scope = board.scope
        reports = [_report(r, now) for r in await self.repo.open_reports(scope)]
        calls = [_call(c, now) for c in await self.repo.active_calls(scope)]
        members: list[dict[str, Any]] = []
        if board.sees_members:
            start = datetime.combine(self.today(), datetime.min.time(), self.zone)
            members = [
                {
                    "name": m["name"],
                    "office_id": m["office_id"],
                    "lat": m["latitude"],
                    "lon": m["longitude"],
                    "since": from_db(m["started_at"]).isoformat(),
                }
                for m in await self.repo.members_out(scope, start)
            ]
        return {
            "reports": reports,
            "calls": calls,
            "offices": [
                {"id": o["id"], "name": o["name"], "lat": o["latitude"], "lon": o["longitude"]}
                for o in await self.repo.offices(scope)
            ],
            "places": [_place(p) for p in await self.repo.places(scope)],
            "members": members,
        }

    async def version(self) -> str:
        """A short stamp that moves whenever something a board shows may have changed."""
        return ".".join(str(n) for n in await self.repo.version())


def _age(created: datetime, now: datetime) -> int:
    return max(0, int((now - created).total_seconds()))


def _report(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    lat, lon = row["latitude"], row["longitude"]
    if lat is None:  # where the report's place is, when it came without a location
        lat, lon = row["place_latitude"], row["place_longitude"]
    created = from_db(row["created_at"])
    return {
        "id": row["id"],
        "number": f"#{row['year']}-{row['seq']:04d}",
        "office_id": row["office_id"],
        "office": row["office_name"],
        "category": row["category"],
        "status": row["status"],
        "urgent": bool(row["urgent"]),
        "danger": bool(row["danger"]),
        "place": row["place_name"],
        "owner": row["owner_name"],
        "lat": lat,
        "lon": lon,
        "age_s": _age(created, now),
        "created_at": created.isoformat(),
    }


def _call(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    steps = plan(tuple(json.loads(row["waits"])))
    index = min(int(row["step_index"]), len(steps) - 1)
    created = from_db(row["created_at"])
    return {
        "id": row["id"],
        "office_id": row["office_id"],
        "office": row["office_name"],
        "reason": row["reason"],
        "status": row["status"],
        "step": index + 1,
        "step_kind": steps[index].kind.value if index >= 0 else None,
        "owner": row["owner_name"],
        "lat": row["latitude"],
        "lon": row["longitude"],
        "age_s": _age(created, now),
        "created_at": created.isoformat(),
    }


def _place(row: dict[str, Any]) -> dict[str, Any]:
    kinds = [
        kind
        for kind, column in (
            ("village", "is_village"),
            ("patrol_area", "is_patrol_area"),
            ("hot_spot", "is_hot_spot"),
        )
        if row[column]
    ]
    return {
        "id": row["id"],
        "office_id": row["office_id"],
        "name": row["name"],
        "kinds": kinds,
        "lat": row["latitude"],
        "lon": row["longitude"],
    }
