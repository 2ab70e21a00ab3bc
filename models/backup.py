"""Backup requests and the escalation chain, as on-call systems run them: steps with waits,
repeats, an acknowledgement ("on my way") that stops it, and an audit of every step.
Plain Python, tested directly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from models.org import Person, Role

REPEATS = 3


class BackupReason(StrEnum):
    DISPUTE = "dispute"
    SUSPICIOUS = "suspicious"
    INJURED = "injured"
    CROWD = "crowd"
    OTHER = "other"


class BackupStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    ARRIVED = "arrived"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self in (BackupStatus.OPEN, BackupStatus.CLAIMED, BackupStatus.ARRIVED)


class StepKind(StrEnum):
    PAIRED = "paired"  # the requester's paired officers
    OFFICE = "office"  # every available officer of the office, and the duty desk
    CHIEF = "chief"  # the station's chief(s)
    FINAL = "final"  # "unanswered": chief(s), duty desk and operators


@dataclass(frozen=True)
class Step:
    kind: StepKind
    wait_seconds: int


def plan(waits: tuple[int, ...], repeats: int = REPEATS) -> list[Step]:
    """The chain for a policy: paired officers, office + duty, chief, then office + duty and
    chief again `repeats` times, then the final alert. `waits` are the waits after steps 1, 2
    and 3 (a shorter list repeats its last value)."""

    def wait(index: int) -> int:
        return waits[min(index, len(waits) - 1)]

    steps = [
        Step(StepKind.PAIRED, wait(0)),
        Step(StepKind.OFFICE, wait(1)),
        Step(StepKind.CHIEF, wait(2)),
    ]
    for _ in range(repeats):
        steps += [Step(StepKind.OFFICE, wait(1)), Step(StepKind.CHIEF, wait(2))]
    steps.append(Step(StepKind.FINAL, 0))
    return steps


class BackupRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    station_id: int
    office_id: int
    requester_id: int
    reason: BackupReason
    report_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    status: BackupStatus
    waits: tuple[int, ...]
    step_index: int
    owner_id: int | None = None
    created_at: datetime
    claimed_at: datetime | None = None
    arrived_at: datetime | None = None
    resolved_at: datetime | None = None
    note: str | None = None
    live_chat_id: int | None = None
    live_message_id: int | None = None

    @property
    def steps(self) -> list[Step]:
        return plan(self.waits)


class BackupEventKind(StrEnum):
    CREATED = "created"
    LOCATION = "location"
    STEP = "step"
    NOBODY = "nobody"
    UNREACHABLE = "unreachable"
    CANNOT_GO = "cannot_go"
    CLAIMED = "claimed"
    ARRIVED = "arrived"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    RETURNED = "returned"
    NOT_THROUGH = "not_through"  # the chain ran out with nobody reached: member told
    STEP_FAILED = "step_failed"  # a step could not run (a fault): member and operators told


class BackupEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    request_id: int
    at: datetime
    actor_id: int | None
    kind: BackupEventKind
    detail: str | None = None


def may_request(person: Person) -> bool:
    return person.active and person.role in (Role.MEMBER, Role.PARTNER, Role.OFFICER)


def may_claim(person: Person, request: BackupRequest) -> bool:
    """Officers, duty and the chief of the request's station (not the one who asked)."""
    return (
        person.active
        and person.role in (Role.OFFICER, Role.DUTY, Role.CHIEF)
        and person.station_id == request.station_id
        and person.id != request.requester_id
    )


def may_view(person: Person, request: BackupRequest) -> bool:
    if person.id == request.requester_id or person.role is Role.OPERATOR:
        return person.active
    return may_claim(person, request) or (
        person.active and person.role.is_staff and person.station_id == request.station_id
    )


def available(person: Person) -> bool:
    """On duty, active and reachable: the chain skips everyone else."""
    return person.active and person.on_duty
