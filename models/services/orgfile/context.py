"""What the parts of one application share: the stores, the options, the report and the
problems found so far (`ApplyContext`); and the station being applied (`StationRun`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from models.orgfile import HotSpotRef, Problem, StationSpec
from models.services.orgfile.common import ACTION
from models.services.orgfile.report import ApplyReport, Change, ChangeKind
from models.station_settings import ShiftRenumbering
from models.store.misc_repo import AuditRepository, StationSettingsRepository
from models.store.org_repo import OrgRepository
from models.store.orgfile_repo import OrgFileRepository


@dataclass
class ApplyContext:
    """One application of a file, inside its write transaction."""

    org: OrgRepository
    repo: OrgFileRepository
    settings: StationSettingsRepository
    audit_log: AuditRepository
    report: ApplyReport
    prune: bool
    prune_stations: bool
    now: datetime
    # what does not fit the database; the file is refused (nothing changes) if any
    problems: list[Problem] = field(default_factory=list)

    def change(
        self, kind: ChangeKind, subject: str, label: str, details: Iterable[str] = ()
    ) -> None:
        self.report.changes.append(Change(kind, subject, label, tuple(details)))

    async def audit(
        self, subject_type: str, subject_id: int, before: object, after: object
    ) -> None:
        await self.audit_log.record(
            at=self.now,
            actor_id=None,
            action=ACTION,
            subject_type=subject_type,
            subject_id=subject_id,
            before=before,
            after=after,
        )


@dataclass
class StationRun:
    """The station being applied, as its offices, places and peak periods are walked."""

    id: int
    spec: StationSpec
    templates: tuple[str, ...]  # its shift templates once the file is applied
    renumbering: ShiftRenumbering | None  # its shift list's change (None: the same list)
    # the places the file gave (renumbered as they are updated)
    handled: set[int] = field(default_factory=set)
    # its hot spots by the file's reference, and its places' names (for the peak periods)
    hot_spots: dict[HotSpotRef, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
