"""Statistics: who may see which scope, the figures of a scope and period, the rows of an
export (audited), and the five zeros a chief records each month."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from models.clock import Clock, from_db
from models.errors import DomainError
from models.org import Person, Role
from models.rules import can_manage_station
from models.stats import (
    Figures,
    FiveZero,
    Scope,
    UnitTimes,
    median,
    month_days,
    percentile,
)
from models.store.db import Database
from models.store.misc_repo import AuditRepository
from models.store.org_repo import OrgRepository
from models.store.stats_repo import StatsRepository


class ZeroEntry(BaseModel):
    """One of the five zeros for one month: what the chief recorded, what the bot knows."""

    count: int | None = None
    note: str | None = None
    known: int | None = None

    @property
    def recorded(self) -> bool:
        return self.count is not None


def _seconds(later: str | None, earlier: str | None) -> float | None:
    if not later or not earlier:
        return None
    return max(0.0, (from_db(later) - from_db(earlier)).total_seconds())


def _present(values: list[float | None]) -> list[float]:
    return [v for v in values if v is not None]


class StatsService:
    def __init__(self, db: Database, clock: Clock, zone: ZoneInfo) -> None:
        self.db = db
        self.clock = clock
        self.zone = zone
        self.repo = StatsRepository(db)
        self.org = OrgRepository(db)
        self.audit = AuditRepository(db)

    def today(self) -> date:
        return self.clock.now().astimezone(self.zone).date()

    def bounds(self, first: date, last: date) -> tuple[datetime, datetime]:
        """Local midnight before `first` to local midnight after `last`."""
        start = datetime.combine(first, time(0), tzinfo=self.zone)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=self.zone)
        return start, end

    # who sees what
    async def scope_for(
        self, actor: Person, station_id: int | None = None, office_id: int | None = None
    ) -> Scope:
        """The scope `actor` asked for, or `not_allowed`: officers see their office; chiefs
        and the duty desk their station or one of its offices; operators anything, including
        the whole county (no station)."""
        if not actor.active or not actor.role.is_staff:
            raise DomainError("not_allowed")
        if actor.role is Role.OFFICER and station_id is not None and office_id is None:
            raise DomainError("not_allowed")  # an officer's scope is their office, not more
        if office_id is not None:
            office = await self.org.office(office_id)
            if office is None or (station_id is not None and office.station_id != station_id):
                raise DomainError("not_allowed")
            station_id = office.station_id
        if actor.role is Role.OPERATOR:
            if station_id is not None and await self.org.station(station_id) is None:
                raise DomainError("not_allowed")
            return Scope(station_id, office_id)
        if station_id is None:
            station_id = actor.station_id
        if station_id != actor.station_id:
            raise DomainError("not_allowed")
        if actor.role is Role.OFFICER:
            office_id = actor.office_id if office_id is None else office_id
            if office_id != actor.office_id:
                raise DomainError("not_allowed")
        return Scope(station_id, office_id)

    async def scope_name(self, scope: Scope) -> str | None:
        """The office's or station's name; None for the county."""
        if scope.office_id is not None:
            office = await self.org.office(scope.office_id)
            return office.name if office else None
        if scope.station_id is not None:
            station = await self.org.station(scope.station_id)
            return station.name if station else None
        return None

    # the figures
    async def figures(self, scope: Scope, first: date, last: date) -> Figures:
        start, end = self.bounds(first, last)
        now = self.clock.now()
        figures = Figures(first=first, last=last)
        await self._reports(figures, scope, start, end)
        backups = await self.repo.backup_requests(scope, start, end)
        figures.backup = len(backups)
        figures.claim_median = median(
            _present([_seconds(b["claimed_at"], b["created_at"]) for b in backups])
        )
        figures.arrival_median = median(
            _present([_seconds(b["arrived_at"], b["created_at"]) for b in backups])
        )
        # the highest step anyone was alerted at (from the events: a reopened request
        # starts its chain again, but what it went through before still counts)
        figures.reached_step2 = sum(1 for b in backups if (b["highest_step"] or 0) >= 2)
        figures.reached_step3 = sum(1 for b in backups if (b["highest_step"] or 0) >= 3)
        planned, checked, missed = await self.repo.slot_counts(scope, first, last, now)
        figures.slots_planned, figures.slots_checked_in, figures.slots_missed = (
            planned,
            checked,
            missed,
        )
        totals = await self.repo.checkin_totals(scope, start, end)
        figures.patrol_seconds = round(totals.get("seconds", 0.0), 3)
        figures.households = int(totals.get("households", 0))
        figures.publicity = int(totals.get("publicity", 0))
        figures.hazards = int(totals.get("hazards", 0))
        figures.disputes = int(totals.get("disputes", 0))
        figures.tips = await self.repo.tips_delivered(scope, start, end)
        figures.broadcasts = await self.repo.broadcasts_delivered(scope, start, end)
        figures.scam_checks = await self.repo.scam_checks(scope, start, end)
        return figures

    async def _reports(
        self, figures: Figures, scope: Scope, start: datetime, end: datetime
    ) -> None:
        rows = await self.repo.reports(scope, start, end)
        figures.by_status = dict(Counter(str(r["status"]) for r in rows))
        live = [r for r in rows if r["status"] != "merged"]  # a merged one is a duplicate
        figures.reports = len(live)
        figures.by_category = dict(Counter(str(r["category"]) for r in live))
        acks = _present([_seconds(r["acknowledged_at"], r["created_at"]) for r in live])
        resolves = _present(
            [
                _seconds(r["resolved_at"], r["created_at"])
                for r in live
                if r["status"] == "resolved"
            ]
        )
        figures.ack_median, figures.ack_p90 = median(acks), percentile(acks, 90)
        figures.resolve_median, figures.resolve_p90 = median(resolves), percentile(resolves, 90)
        daily: dict[str, Counter[str]] = defaultdict(Counter)
        for report in live:
            day = from_db(report["created_at"]).astimezone(self.zone).date()
            daily[day.isoformat()][str(report["category"])] += 1
        figures.daily = {day: dict(counts) for day, counts in sorted(daily.items())}
        figures.units = await self._units(scope, live)

    async def _units(self, scope: Scope, live: list[dict[str, Any]]) -> list[UnitTimes]:
        """Response times per office (per station for the county)."""
        if scope.station_id is None:
            names = {s.id: s.name for s in await self.org.stations()}
            column = "station_id"
        else:
            offices = await self.org.offices(scope.station_id, active_only=False)
            names = {
                o.id: o.name
                for o in offices
                if scope.office_id in (None, o.id)
                and (o.active or any(r["office_id"] == o.id for r in live))
            }
            column = "office_id"
        grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for report in live:
            grouped[int(report[column])].append(report)
        units = []
        for unit_id, name in names.items():
            rows = grouped.get(unit_id, [])
            units.append(
                UnitTimes(
                    name=name,
                    reports=len(rows),
                    ack_median=median(
                        _present([_seconds(r["acknowledged_at"], r["created_at"]) for r in rows])
                    ),
                    resolve_median=median(
                        _present(
                            [
                                _seconds(r["resolved_at"], r["created_at"])
                                for r in rows
                                if r["status"] == "resolved"
                            ]
                        )
                    ),
                )
            )
        return units

    # exports
    async def export_rows(
        self, scope: Scope, first: date, last: date
    ) -> dict[str, list[dict[str, Any]]]:
        """The rows of an export: reports, backup requests, planned patrol slots (with their
        check-ins) and check-ins without a slot."""
        start, end = self.bounds(first, last)
        slots = await self.repo.assignments(scope, first, last)
        planned = {s["checkin_id"] for s in slots if s["checkin_id"] is not None}
        unplanned = [
            c for c in await self.repo.checkins(scope, start, end) if c["id"] not in planned
        ]
        return {
            "reports": await self.repo.reports(scope, start, end),
            "backup": await self.repo.backup_requests(scope, start, end),
            "patrols": slots,
            "checkins": unplanned,
        }

    async def record_export(
        self,
        actor: Person | None,
        scope: Scope,
        first: date,
        last: date,
        counts: dict[str, int],
        recipient_id: int | None = None,
    ) -> None:
        """Who took which export of what range, and when (a monthly report has no actor)."""
        actor_id = actor.id if actor is not None else None
        subject_type, subject_id = "county", None
        if scope.office_id is not None:
            subject_type, subject_id = "office", scope.office_id
        elif scope.station_id is not None:
            subject_type, subject_id = "station", scope.station_id
        async with self.db.write():
            await self.audit.record(
                at=self.clock.now(),
                actor_id=actor_id,
                action="stats:export",
                subject_type=subject_type,
                subject_id=subject_id,
                after={
                    "first": first.isoformat(),
                    "last": last.isoformat(),
                    "recipient": recipient_id if recipient_id is not None else actor_id,
                    "rows": counts,
                },
            )

    @staticmethod
    def phones_allowed(actor: Person) -> bool:
        """Phone numbers go into an export only for the chief and operators."""
        return actor.role in (Role.CHIEF, Role.OPERATOR)

    # the five zeros
    async def zeros(self, station_id: int, months: list[str]) -> dict[str, dict[str, ZeroEntry]]:
        """For each month: each zero's recorded count and note, and what the bot knows."""
        found: dict[str, dict[str, ZeroEntry]] = {
            m: {z.value: ZeroEntry() for z in FiveZero} for m in months
        }
        for row in await self.repo.zeros(station_id, months):
            found[row["month"]][row["item"]] = ZeroEntry(count=row["count"], note=row["note"])
        for month in months:
            first, last = month_days(month)
            known = await self.repo.known_zeros(station_id, *self.bounds(first, last))
            for item, count in known.items():
                found[month][item].known = count
        return found

    async def record_zero(
        self,
        actor: Person,
        station_id: int,
        month: str,
        item: FiveZero,
        count: int,
        note: str | None,
    ) -> None:
        if not can_manage_station(actor, station_id) or await self.org.station(station_id) is None:
            raise DomainError("not_allowed")
        first, _ = month_days(month)
        if first > self.today():
            raise DomainError("zero_month_future")
        async with self.db.write():
            before = (await self.zeros(station_id, [month]))[month][item.value]
            await self.repo.put_zero(
                station_id, month, item.value, count, note, actor.id, self.clock.now()
            )
            await self.audit.record(
                at=self.clock.now(),
                actor_id=actor.id,
                action="zero:record",
                subject_type="station",
                subject_id=station_id,
                before={"month": month, "item": item.value, "count": before.count},
                after={"month": month, "item": item.value, "count": count, "note": note},
            )
