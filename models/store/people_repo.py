"""People and pairings."""

from __future__ import annotations

from datetime import datetime

from aiosqlite import Row

from models.clock import to_db
from models.org import PartnerType, Person, Role
from models.store.db import Database


class PeopleRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        *,
        tg_user_id: int,
        name: str,
        role: Role,
        at: datetime,
        phone: str | None = None,
        partner_type: PartnerType | None = None,
        station_id: int | None = None,
        office_id: int | None = None,
        locale: str | None = None,
    ) -> Person:
        pid = await self.db.execute(
            "INSERT INTO people (tg_user_id, name, phone, role, partner_type, station_id,"
            " office_id, locale, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                tg_user_id,
                name,
                phone,
                role.value,
                partner_type.value if partner_type else None,
                station_id,
                office_id,
                locale,
                to_db(at),
            ),
        )
        person = await self.get(pid)
        assert person is not None
        return person

    async def get(self, person_id: int) -> Person | None:
        row = await self.db.fetch_one("SELECT * FROM people WHERE id = ?", (person_id,))
        return _person(row) if row else None

    async def by_telegram(self, tg_user_id: int) -> Person | None:
        row = await self.db.fetch_one("SELECT * FROM people WHERE tg_user_id = ?", (tg_user_id,))
        return _person(row) if row else None

    async def in_office(
        self, office_id: int, active_only: bool = False, role: Role | None = None
    ) -> list[Person]:
        """The office's people (only those of `role`, when given: an office's officers
        without reading its many members)."""
        rows = await self.db.fetch_all(
            "SELECT * FROM people WHERE office_id = ? AND active >= ?"
            " AND (? IS NULL OR role = ?) ORDER BY role, name, id",
            (office_id, int(active_only), role, role),
        )
        return [_person(r) for r in rows]

    async def in_station(self, station_id: int, active_only: bool = False) -> list[Person]:
        rows = await self.db.fetch_all(
            "SELECT * FROM people WHERE station_id = ? AND active >= ?"
            " ORDER BY office_id IS NOT NULL, office_id, role, name, id",
            (station_id, int(active_only)),
        )
        return [_person(r) for r in rows]

    async def everyone_with_role(self, role: Role) -> list[Person]:
        """Active and suspended people holding `role`."""
        rows = await self.db.fetch_all(
            "SELECT * FROM people WHERE role = ? ORDER BY name, id", (role.value,)
        )
        return [_person(r) for r in rows]

    async def reachable_in_station(self, station_id: int) -> list[Person]:
        """Active people of a station who have not blocked the bot."""
        rows = await self.db.fetch_all(
            "SELECT * FROM people WHERE station_id = ? AND active = 1 AND unreachable_at IS NULL"
            " ORDER BY id",
            (station_id,),
        )
        return [_person(r) for r in rows]

    async def with_role(self, role: Role, station_id: int | None = None) -> list[Person]:
        """Active people holding `role` (in `station_id` when given)."""
        if station_id is None:
            rows = await self.db.fetch_all(
                "SELECT * FROM people WHERE role = ? AND active = 1 ORDER BY id", (role.value,)
            )
        else:
            rows = await self.db.fetch_all(
                "SELECT * FROM people WHERE role = ? AND station_id = ? AND active = 1"
                " ORDER BY id",
                (role.value, station_id),
            )
        return [_person(r) for r in rows]

    async def set_locale(self, person_id: int, locale: str) -> None:
        await self.db.execute("UPDATE people SET locale = ? WHERE id = ?", (locale, person_id))

    async def set_role(self, person_id: int, role: Role, partner_type: PartnerType | None) -> None:
        await self.db.execute(
            "UPDATE people SET role = ?, partner_type = ? WHERE id = ?",
            (role.value, partner_type.value if partner_type else None, person_id),
        )

    async def set_place(
        self, person_id: int, station_id: int | None, office_id: int | None
    ) -> None:
        await self.db.execute(
            "UPDATE people SET station_id = ?, office_id = ? WHERE id = ?",
            (station_id, office_id, person_id),
        )

    async def set_on_duty(self, person_id: int, on_duty: bool) -> None:
        await self.db.execute(
            "UPDATE people SET on_duty = ? WHERE id = ?", (int(on_duty), person_id)
        )

    async def set_active(self, person_id: int, active: bool) -> None:
        await self.db.execute(
            "UPDATE people SET active = ? WHERE id = ?", (int(active), person_id)
        )

    # pairings
    async def officers_of(self, member_id: int) -> list[Person]:
        rows = await self.db.fetch_all(
            "SELECT p.* FROM pairings x JOIN people p ON p.id = x.officer_id"
            " WHERE x.member_id = ? ORDER BY p.name, p.id",
            (member_id,),
        )
        return [_person(r) for r in rows]

    async def pairings_in_office(self, office_id: int) -> dict[int, list[int]]:
        """member id -> officer ids, for the members of an office."""
        rows = await self.db.fetch_all(
            "SELECT x.member_id, x.officer_id FROM pairings x JOIN people m ON m.id = x.member_id"
            " WHERE m.office_id = ? ORDER BY x.officer_id",
            (office_id,),
        )
        result: dict[int, list[int]] = {}
        for row in rows:
            result.setdefault(row["member_id"], []).append(row["officer_id"])
        return result

    async def pair(self, member_id: int, officer_id: int, at: datetime) -> bool:
        changed = await self.db.execute_count(
            "INSERT OR IGNORE INTO pairings (member_id, officer_id, created_at) VALUES (?, ?, ?)",
            (member_id, officer_id, to_db(at)),
        )
        return changed > 0

    async def unpair(self, member_id: int, officer_id: int) -> bool:
        changed = await self.db.execute_count(
            "DELETE FROM pairings WHERE member_id = ? AND officer_id = ?", (member_id, officer_id)
        )
        return changed > 0

    async def clear_pairings(self, person_id: int) -> list[tuple[int, int]]:
        """Remove every pairing the person is in; return the (member, officer) pairs removed."""
        rows = await self.db.fetch_all(
            "SELECT member_id, officer_id FROM pairings WHERE member_id = ? OR officer_id = ?",
            (person_id, person_id),
        )
        await self.db.execute(
            "DELETE FROM pairings WHERE member_id = ? OR officer_id = ?", (person_id, person_id)
        )
        return [(r["member_id"], r["officer_id"]) for r in rows]

    async def mark_unreachable(self, tg_user_id: int, at: datetime) -> None:
        """Telegram says the person blocked the bot (or deleted the account)."""
        await self.db.execute(
            "UPDATE people SET unreachable_at = ? WHERE tg_user_id = ?", (to_db(at), tg_user_id)
        )


def _person(row: Row) -> Person:
    return Person(
        id=row["id"],
        tg_user_id=row["tg_user_id"],
        name=row["name"],
        phone=row["phone"],
        role=Role(row["role"]),
        partner_type=PartnerType(row["partner_type"]) if row["partner_type"] else None,
        station_id=row["station_id"],
        office_id=row["office_id"],
        locale=row["locale"],
        active=bool(row["active"]),
        on_duty=bool(row["on_duty"]),
    )
