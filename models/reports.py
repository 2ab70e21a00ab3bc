"""Incident reports: what a report is, how its status may change, and when two reports are
possibly the same incident. Plain Python, no Telegram, tested directly."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from models.errors import DomainError
from models.org import Person, Role

MAX_DESCRIPTION = 2000
MAX_PHOTOS = 10
MAX_NOTE = 1000
DUPLICATE_RADIUS_M = 200.0
DUPLICATE_WINDOW = timedelta(hours=2)
REOPEN_WINDOW = timedelta(days=7)
FAR_FROM_OFFICES_M = 50_000.0


class Category(StrEnum):
    DISPUTE = "dispute"
    HAZARD = "hazard"
    SUSPICIOUS = "suspicious"
    FRAUD = "fraud"
    PUBLIC_ORDER = "public_order"
    TRAFFIC = "traffic"
    FIRE = "fire"
    MISSING = "missing"
    INFORMATION = "information"
    HELP = "help"
    OTHER = "other"


class ReportStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    RESOLVED = "resolved"
    MERGED = "merged"
    WITHDRAWN = "withdrawn"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset(
    {ReportStatus.NEW, ReportStatus.ACKNOWLEDGED, ReportStatus.EN_ROUTE, ReportStatus.ON_SITE}
)


class Outcome(StrEnum):
    MEDIATED = "mediated"
    VILLAGE_COMMITTEE = "village_committee"
    OTHER_DEPARTMENT = "other_department"
    UNFOUNDED = "unfounded"
    OTHER = "other"


class EventKind(StrEnum):
    CREATED = "created"
    ACKNOWLEDGED = "acknowledged"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    REOPENED = "reopened"
    MERGED = "merged"
    HANDED_OVER = "handed_over"
    RETURNED_TO_QUEUE = "returned_to_queue"
    QUESTION = "question"
    ANSWER = "answer"
    NOTE = "note"
    PHOTO = "photo"
    REMINDED = "reminded"


class Report(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    station_id: int
    office_id: int
    year: int
    seq: int
    reporter_id: int
    category: Category
    urgent: bool
    danger: bool
    money_lost: bool | None = None
    loss_amount: float | None = None
    description: str
    voice_file_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    place_id: int | None = None
    address: str | None = None
    status: ReportStatus
    owner_id: int | None = None
    outcome: Outcome | None = None
    outcome_note: str | None = None
    merged_into: int | None = None
    created_at: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None

    @property
    def number(self) -> str:
        """The short number people quote: `#2026-0042` (per station and year)."""
        return f"#{self.year}-{self.seq:04d}"


class ReportEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    report_id: int
    at: datetime
    actor_id: int | None
    kind: EventKind
    detail: str | None = None


# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[EventKind, tuple[frozenset[ReportStatus], ReportStatus]] = {
    EventKind.ACKNOWLEDGED: (frozenset({ReportStatus.NEW}), ReportStatus.ACKNOWLEDGED),
    EventKind.EN_ROUTE: (
        frozenset({ReportStatus.NEW, ReportStatus.ACKNOWLEDGED}),
        ReportStatus.EN_ROUTE,
    ),
    EventKind.ON_SITE: (
        frozenset({ReportStatus.NEW, ReportStatus.ACKNOWLEDGED, ReportStatus.EN_ROUTE}),
        ReportStatus.ON_SITE,
    ),
    EventKind.RESOLVED: (OPEN_STATUSES, ReportStatus.RESOLVED),
    EventKind.WITHDRAWN: (frozenset({ReportStatus.NEW}), ReportStatus.WITHDRAWN),
    EventKind.REOPENED: (frozenset({ReportStatus.RESOLVED}), ReportStatus.NEW),
    EventKind.MERGED: (
        frozenset({ReportStatus.NEW, ReportStatus.ACKNOWLEDGED}),
        ReportStatus.MERGED,
    ),
}


def next_status(report: Report, action: EventKind) -> ReportStatus:
    """The status `action` leads to, or a DomainError when the report is not in a state
    that allows it (a stale button, a second press)."""
    allowed, target = TRANSITIONS[action]
    if report.status not in allowed:
        if report.status.is_open:
            raise DomainError("report_state", number=report.number)
        raise DomainError("report_closed", number=report.number)
    return target


def may_view(person: Person, report: Report) -> bool:
    """The reporter, officers of its office, its station's chief and duty, operators."""
    if not person.active:
        return False
    if person.id == report.reporter_id or person.role is Role.OPERATOR:
        return True
    if person.role in (Role.CHIEF, Role.DUTY):
        return person.station_id == report.station_id
    return person.role is Role.OFFICER and person.office_id == report.office_id


def may_handle(person: Person, report: Report) -> bool:
    """Changing the status: officers of its office, its station's chief and duty."""
    if not person.active:
        return False
    if person.role in (Role.CHIEF, Role.DUTY):
        return person.station_id == report.station_id
    return person.role is Role.OFFICER and person.office_id == report.office_id


def may_report(person: Person) -> bool:
    """Members and partners report; officers may too (they are on the street as well)."""
    return person.active and person.role in (Role.MEMBER, Role.PARTNER, Role.OFFICER)


def check_reopen(report: Report, person: Person, now: datetime) -> None:
    if person.id != report.reporter_id and not may_handle(person, report):
        raise DomainError("not_allowed")
    if report.status is not ReportStatus.RESOLVED:
        raise DomainError("report_state", number=report.number)
    if report.resolved_at is None or now - report.resolved_at > REOPEN_WINDOW:
        raise DomainError("report_reopen_too_late", number=report.number)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def possibly_same(new: Report, other: Report) -> bool:
    """Same category, open, within two hours, and in the same village or within 200 m."""
    if other.id == new.id or other.category is not new.category or not other.status.is_open:
        return False
    if abs(new.created_at - other.created_at) > DUPLICATE_WINDOW:
        return False
    if new.place_id is not None and new.place_id == other.place_id:
        return True
    if None in (new.latitude, new.longitude, other.latitude, other.longitude):
        return False
    assert new.latitude is not None and new.longitude is not None
    assert other.latitude is not None and other.longitude is not None
    return distance_m(new.latitude, new.longitude, other.latitude, other.longitude) <= (
        DUPLICATE_RADIUS_M
    )


class ReportDraft(BaseModel):
    """The answers given so far in the report conversation (kept in the conversation row)."""

    category: Category | None = None
    danger: bool | None = None
    money_lost: bool | None = None
    loss_amount: float | None = None
    description: str | None = None
    voice_file_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    place_id: int | None = None
    address: str | None = None
    photos: list[str] = []
    urgent: bool | None = None
    backup_id: int | None = None  # a backup request made from the danger question

    def check_complete(self) -> None:
        if self.category is None or self.danger is None:
            raise DomainError("report_incomplete")
        if not self.description and not self.voice_file_id:
            raise DomainError("report_incomplete")
