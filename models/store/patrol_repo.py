"""Leave, planned patrol days, assignments, check-ins and swaps."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from aiosqlite import Row

from models.clock import from_db, to_db
from models.patrol import Assignment, CheckIn, Leave
from models.store.db import Database


class PatrolRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # leave
    async def add_leave(
        self, person_id: int, start: date, end: date, reason: str | None, at: datetime
    ) -> int:
        return await self.db.execute(
            "INSERT INTO leave (person_id, start_day, end_day, reason, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (person_id, start.isoformat(), end.isoformat(), reason, to_db(at)),
        )

    async def leave(self, leave_id: int) -> Leave | None:
        row = await self.db.fetch_one("SELECT * FROM leave WHERE id = ?", (leave_id,))
        return _leave(row) if row else None

    async def decline_leave(self, leave_id: int, by: int, at: datetime) -> bool:
        return (
            await self.db.execute_count(
                "UPDATE leave SET status = 'declined', decided_by = ?, decided_at = ?"
                " WHERE id = ? AND status = 'approved'",
                (by, to_db(at), leave_id),
            )
            > 0
        )

    async def on_leave(self, person_ids: list[int], day: date) -> set[int]:
        if not person_ids:
            return set()
        marks = ",".join("?" for _ in person_ids)
        rows = await self.db.fetch_all(
            f"SELECT person_id FROM leave WHERE status = 'approved' AND start_day <= ?"
            f" AND end_day >= ? AND person_id IN ({marks})",
            (day.isoformat(), day.isoformat(), *person_ids),
        )
        return {int(r["person_id"]) for r in rows}

    # planned days
    async def day(self, office_id: int, day: date) -> dict[str, Any] | None:
        row = await self.db.fetch_one(
            "SELECT * FROM patrol_days WHERE office_id = ? AND day = ?",
            (office_id, day.isoformat()),
        )
        if row is None:
            return None
        record = dict(row)
        record["available"] = json.loads(record["available"])
        record["unfilled"] = json.loads(record["unfilled"])
        return record

    async def save_day(
        self,
        office_id: int,
        day: date,
        slots: int,
        available: list[int],
        unfilled: list[dict[str, int]],
        at: datetime,
    ) -> None:
        await self.db.execute(
            "INSERT INTO patrol_days (office_id, day, made_at, slots, available, unfilled)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(office_id, day) DO UPDATE SET"
            " slots = excluded.slots, available = excluded.available,"
            " unfilled = excluded.unfilled",
            (
                office_id,
                day.isoformat(),
                to_db(at),
                slots,
                json.dumps(available),
                json.dumps(unfilled),
            ),
        )

    async def drop_available(self, office_id: int, day: date, member_id: int) -> None:
        """She turned out not to be available that day (leave after planning): the fairness
        record must not credit her with the day."""
        stored = await self.day(office_id, day)
        if stored is None or member_id not in stored["available"]:
            return
        available = [m for m in stored["available"] if m != member_id]
        await self.db.execute(
            "UPDATE patrol_days SET available = ? WHERE office_id = ? AND day = ?",
            (json.dumps(available), office_id, day.isoformat()),
        )

    async def set_unfilled(
        self, office_id: int, day: date, unfilled: list[dict[str, int]]
    ) -> None:
        await self.db.execute(
            "UPDATE patrol_days SET unfilled = ? WHERE office_id = ? AND day = ?",
            (json.dumps(unfilled), office_id, day.isoformat()),
        )

    async def mark_published(self, office_id: int, day: date, at: datetime) -> bool:
        return (
            await self.db.execute_count(
                "UPDATE patrol_days SET published_at = ? WHERE office_id = ? AND day = ?"
                " AND published_at IS NULL",
                (to_db(at), office_id, day.isoformat()),
            )
            > 0
        )

    async def days_between(self, office_id: int, first: date, last: date) -> list[dict[str, Any]]:
        rows = await self.db.fetch_all(
            "SELECT * FROM patrol_days WHERE office_id = ? AND day >= ? AND day <= ? ORDER BY day",
            (office_id, first.isoformat(), last.isoformat()),
        )
        result = []
        for row in rows:
            record = dict(row)
            record["available"] = json.loads(record["available"])
            record["unfilled"] = json.loads(record["unfilled"])
            result.append(record)
        return result

    # assignments
    async def add_assignment(
        self,
        *,
        office_id: int,
        day: date,
        member_id: int,
        area_id: int,
        shift: int,
        starts_at: datetime,
        ends_at: datetime,
        officer_id: int | None,
        at: datetime,
    ) -> int:
        return await self.db.execute(
            "INSERT INTO assignments (office_id, day, member_id, area_id, shift, starts_at,"
            " ends_at, officer_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                office_id,
                day.isoformat(),
                member_id,
                area_id,
                shift,
                to_db(starts_at),
                to_db(ends_at),
                officer_id,
                to_db(at),
            ),
        )

    async def assignment(self, assignment_id: int) -> Assignment | None:
        row = await self.db.fetch_one("SELECT * FROM assignments WHERE id = ?", (assignment_id,))
        return _assignment(row) if row else None

    async def assignments(self, office_id: int, day: date) -> list[Assignment]:
        rows = await self.db.fetch_all(
            "SELECT * FROM assignments WHERE office_id = ? AND day = ? AND status = 'planned'"
            " ORDER BY shift, area_id, id",
            (office_id, day.isoformat()),
        )
        return [_assignment(r) for r in rows]

    async def assignments_between(
        self, office_id: int, first: date, last: date
    ) -> list[Assignment]:
        rows = await self.db.fetch_all(
            "SELECT * FROM assignments WHERE office_id = ? AND day >= ? AND day <= ?"
            " AND status = 'planned' ORDER BY day, shift, id",
            (office_id, first.isoformat(), last.isoformat()),
        )
        return [_assignment(r) for r in rows]

    async def of_member(self, member_id: int, first: date, last: date) -> list[Assignment]:
        rows = await self.db.fetch_all(
            "SELECT * FROM assignments WHERE member_id = ? AND day >= ? AND day <= ?"
            " AND status = 'planned' ORDER BY day, shift",
            (member_id, first.isoformat(), last.isoformat()),
        )
        return [_assignment(r) for r in rows]

    async def cancel_assignment(self, assignment_id: int) -> None:
        await self.db.execute(
            "UPDATE assignments SET status = 'cancelled' WHERE id = ?", (assignment_id,)
        )

    async def set_member(self, assignment_id: int, member_id: int, officer_id: int | None) -> None:
        await self.db.execute(
            "UPDATE assignments SET member_id = ?, officer_id = ? WHERE id = ?",
            (member_id, officer_id, assignment_id),
        )

    async def exchange_members(self, first_id: int, second_id: int) -> None:
        """Two slots trade members. One member a day is a partial unique index over planned
        slots, so the first is set aside while the second changes hands."""
        rows = await self.db.fetch_all(
            "SELECT id, member_id, status FROM assignments WHERE id IN (?, ?)",
            (first_id, second_id),
        )
        members = {int(r["id"]): int(r["member_id"]) for r in rows}
        status = {int(r["id"]): str(r["status"]) for r in rows}
        await self.db.execute(
            "UPDATE assignments SET status = 'cancelled' WHERE id = ?", (first_id,)
        )
        await self.db.execute(
            "UPDATE assignments SET member_id = ? WHERE id = ?", (members[first_id], second_id)
        )
        await self.db.execute(
            "UPDATE assignments SET member_id = ?, status = ? WHERE id = ?",
            (members[second_id], status[first_id], first_id),
        )

    async def set_member_only(self, assignment_id: int, member_id: int) -> None:
        await self.db.execute(
            "UPDATE assignments SET member_id = ? WHERE id = ?", (member_id, assignment_id)
        )

    # check-ins
    async def open_checkin(self, person_id: int) -> CheckIn | None:
        row = await self.db.fetch_one(
            "SELECT * FROM checkins WHERE person_id = ? AND ended_at IS NULL"
            " ORDER BY id DESC LIMIT 1",
            (person_id,),
        )
        return _checkin(row) if row else None

    async def checkin_for(self, assignment_id: int) -> CheckIn | None:
        row = await self.db.fetch_one(
            "SELECT * FROM checkins WHERE assignment_id = ? ORDER BY id LIMIT 1", (assignment_id,)
        )
        return _checkin(row) if row else None

    async def add_checkin(
        self, person_id: int, assignment_id: int | None, office_id: int | None, at: datetime
    ) -> int:
        return await self.db.execute(
            "INSERT INTO checkins (person_id, assignment_id, office_id, started_at)"
            " VALUES (?, ?, ?, ?)",
            (person_id, assignment_id, office_id, to_db(at)),
        )

    async def checkin(self, checkin_id: int) -> CheckIn | None:
        row = await self.db.fetch_one("SELECT * FROM checkins WHERE id = ?", (checkin_id,))
        return _checkin(row) if row else None

    async def locate_checkin(self, checkin_id: int, latitude: float, longitude: float) -> None:
        await self.db.execute(
            "UPDATE checkins SET latitude = ?, longitude = ? WHERE id = ?",
            (latitude, longitude, checkin_id),
        )

    async def end_checkin(self, checkin_id: int, at: datetime, auto: bool) -> bool:
        return (
            await self.db.execute_count(
                "UPDATE checkins SET ended_at = ?, auto_closed = ?"
                " WHERE id = ? AND ended_at IS NULL",
                (to_db(at), int(auto), checkin_id),
            )
            > 0
        )

    async def set_log(self, checkin_id: int, field: str, value: int | str | None) -> None:
        if field not in ("households", "publicity", "hazards", "disputes", "note"):
            raise ValueError(field)
        await self.db.execute(f"UPDATE checkins SET {field} = ? WHERE id = ?", (value, checkin_id))

    async def checkins_between(
        self, person_id: int, first: datetime, last: datetime
    ) -> list[CheckIn]:
        rows = await self.db.fetch_all(
            "SELECT * FROM checkins WHERE person_id = ? AND started_at >= ? AND started_at < ?"
            " ORDER BY id",
            (person_id, to_db(first), to_db(last)),
        )
        return [_checkin(r) for r in rows]

    # swaps
    async def add_swap(
        self, assignment_id: int, from_member: int, to_member: int, at: datetime
    ) -> int:
        return await self.db.execute(
            "INSERT INTO swaps (assignment_id, from_member, to_member, created_at)"
            " VALUES (?, ?, ?, ?)",
            (assignment_id, from_member, to_member, to_db(at)),
        )

    async def swap(self, swap_id: int) -> dict[str, Any] | None:
        row = await self.db.fetch_one("SELECT * FROM swaps WHERE id = ?", (swap_id,))
        return dict(row) if row else None

    async def decide_swap(self, swap_id: int, status: str, expected: str, at: datetime) -> bool:
        return (
            await self.db.execute_count(
                "UPDATE swaps SET status = ?, decided_at = ? WHERE id = ? AND status = ?",
                (status, to_db(at), swap_id, expected),
            )
            > 0
        )


def _leave(row: Row) -> Leave:
    return Leave(
        id=row["id"],
        person_id=row["person_id"],
        start_day=date.fromisoformat(row["start_day"]),
        end_day=date.fromisoformat(row["end_day"]),
        reason=row["reason"],
        status=row["status"],
    )


def _assignment(row: Row) -> Assignment:
    return Assignment(
        id=row["id"],
        office_id=row["office_id"],
        day=date.fromisoformat(row["day"]),
        member_id=row["member_id"],
        area_id=row["area_id"],
        shift=row["shift"],
        starts_at=from_db(row["starts_at"]),
        ends_at=from_db(row["ends_at"]),
        officer_id=row["officer_id"],
        status=row["status"],
    )


def _checkin(row: Row) -> CheckIn:
    return CheckIn(
        id=row["id"],
        person_id=row["person_id"],
        assignment_id=row["assignment_id"],
        office_id=row["office_id"],
        started_at=from_db(row["started_at"]),
        latitude=row["latitude"],
        longitude=row["longitude"],
        ended_at=from_db(row["ended_at"]) if row["ended_at"] else None,
        auto_closed=bool(row["auto_closed"]),
        households=row["households"],
        publicity=row["publicity"],
        hazards=row["hazards"],
        disputes=row["disputes"],
        note=row["note"],
    )
