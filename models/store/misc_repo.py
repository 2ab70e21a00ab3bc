"""Invitations, groups, the audit log, station settings and conversation state."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiosqlite import Row

from models.clock import from_db, to_db
from models.org import AuditEntry, Group, GroupKind, Invitation, PartnerType, Role
from models.store.db import Database


class InvitationRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        *,
        code: str,
        role: Role,
        partner_type: PartnerType | None,
        station_id: int | None,
        office_id: int | None,
        created_by: int | None,
        at: datetime,
        expires_at: datetime,
        uses: int,
    ) -> Invitation:
        iid = await self.db.execute(
            "INSERT INTO invitations (code, role, partner_type, station_id, office_id, created_by,"
            " created_at, expires_at, max_uses, uses_left) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                code,
                role.value,
                partner_type.value if partner_type else None,
                station_id,
                office_id,
                created_by,
                to_db(at),
                to_db(expires_at),
                uses,
                uses,
            ),
        )
        invitation = await self.by_id(iid)
        assert invitation is not None
        return invitation

    async def by_id(self, invitation_id: int) -> Invitation | None:
        row = await self.db.fetch_one("SELECT * FROM invitations WHERE id = ?", (invitation_id,))
        return _invitation(row) if row else None

    async def by_code(self, code: str) -> Invitation | None:
        row = await self.db.fetch_one("SELECT * FROM invitations WHERE code = ?", (code,))
        return _invitation(row) if row else None

    async def consume(self, invitation_id: int, person_id: int, at: datetime) -> bool:
        """Take one use, atomically; False when none is left (someone else was faster)."""
        taken = await self.db.execute_count(
            "UPDATE invitations SET uses_left = uses_left - 1"
            " WHERE id = ? AND uses_left > 0 AND revoked = 0",
            (invitation_id,),
        )
        if taken:
            await self.db.execute(
                "INSERT INTO invitation_uses (invitation_id, person_id, used_at) VALUES (?, ?, ?)",
                (invitation_id, person_id, to_db(at)),
            )
        return taken > 0

    async def expired_unused(
        self, now: datetime, station_id: int | None = None, office_id: int | None = None
    ) -> list[Invitation]:
        """Invitations past their expiry that nobody ever used and nobody revoked, oldest
        first; within a station or an office when given."""
        sql = (
            "SELECT * FROM invitations WHERE expires_at <= ? AND uses_left = max_uses"
            " AND revoked = 0"
        )
        params: list[Any] = [to_db(now)]
        if station_id is not None:
            sql += " AND station_id = ?"
            params.append(station_id)
        if office_id is not None:
            sql += " AND office_id = ?"
            params.append(office_id)
        rows = await self.db.fetch_all(sql + " ORDER BY expires_at, id", params)
        return [_invitation(r) for r in rows]

    async def revoke_unused(self, invitation_id: int) -> bool:
        """Revoke an invitation nobody has used; False when it was used or revoked already."""
        return (
            await self.db.execute_count(
                "UPDATE invitations SET revoked = 1"
                " WHERE id = ? AND revoked = 0 AND uses_left = max_uses",
                (invitation_id,),
            )
            > 0
        )


class GroupRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def seen(
        self, chat_id: int, title: str, chat_type: str, bot_status: str, active: bool, at: datetime
    ) -> None:
        """Record what `my_chat_member` told us about a group."""
        await self.db.execute(
            "INSERT INTO chat_groups (chat_id, title, chat_type, bot_status, active, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(chat_id) DO UPDATE SET title = excluded.title,"
            " chat_type = excluded.chat_type, bot_status = excluded.bot_status,"
            " active = excluded.active, updated_at = excluded.updated_at",
            (chat_id, title, chat_type, bot_status, int(active), to_db(at)),
        )

    async def get(self, chat_id: int) -> Group | None:
        row = await self.db.fetch_one("SELECT * FROM chat_groups WHERE chat_id = ?", (chat_id,))
        return _group(row) if row else None

    async def register(
        self,
        chat_id: int,
        *,
        kind: GroupKind,
        station_id: int,
        office_id: int | None,
        place_id: int | None,
        locale: str,
        by: int,
        at: datetime,
    ) -> None:
        await self.db.execute(
            "UPDATE chat_groups SET kind = ?, station_id = ?, office_id = ?, place_id = ?,"
            " locale = ?, registered_by = ?, registered_at = ?, active = 1, updated_at = ?"
            " WHERE chat_id = ?",
            (
                kind.value,
                station_id,
                office_id,
                place_id,
                locale,
                by,
                to_db(at),
                to_db(at),
                chat_id,
            ),
        )

    async def registered(self, station_id: int) -> list[Group]:
        rows = await self.db.fetch_all(
            "SELECT * FROM chat_groups WHERE station_id = ? AND kind IS NOT NULL AND active = 1"
            " ORDER BY chat_id",
            (station_id,),
        )
        return [_group(r) for r in rows]

    async def office_staff_groups(self, office_id: int) -> list[Group]:
        rows = await self.db.fetch_all(
            "SELECT * FROM chat_groups WHERE office_id = ? AND kind = 'staff' AND active = 1"
            " ORDER BY chat_id",
            (office_id,),
        )
        return [_group(r) for r in rows]

    async def station_desks(self, station_id: int) -> list[Group]:
        """Active staff groups registered for a whole station (its duty desk)."""
        rows = await self.db.fetch_all(
            "SELECT * FROM chat_groups WHERE station_id = ? AND kind = 'staff' AND active = 1"
            " AND office_id IS NULL ORDER BY chat_id",
            (station_id,),
        )
        return [_group(r) for r in rows]

    async def migrate(self, old_chat_id: int, new_chat_id: int, at: datetime) -> bool:
        """A group became a supergroup: move its row (and registration) to the new id."""
        if await self.get(new_chat_id) is not None:
            old = await self.get(old_chat_id)
            if old is None or not old.registered:
                return False
            await self.db.execute(
                "UPDATE chat_groups SET kind = ?, station_id = ?, office_id = ?, place_id = ?,"
                " locale = ?, updated_at = ? WHERE chat_id = ?",
                (
                    old.kind.value if old.kind else None,
                    old.station_id,
                    old.office_id,
                    old.place_id,
                    old.locale,
                    to_db(at),
                    new_chat_id,
                ),
            )
            await self.db.execute(
                "UPDATE chat_groups SET tips_paused = (SELECT tips_paused FROM chat_groups"
                " WHERE chat_id = ?), tips_opt_in = (SELECT tips_opt_in FROM chat_groups"
                " WHERE chat_id = ?) WHERE chat_id = ?",
                (old_chat_id, old_chat_id, new_chat_id),
            )
            await self._move_history(old_chat_id, new_chat_id)
            await self.db.execute("DELETE FROM chat_groups WHERE chat_id = ?", (old_chat_id,))
            return True
        changed = await self.db.execute_count(
            "UPDATE chat_groups SET chat_id = ?, chat_type = 'supergroup', updated_at = ?"
            " WHERE chat_id = ?",
            (new_chat_id, to_db(at), old_chat_id),
        )
        await self._move_history(old_chat_id, new_chat_id)
        return changed > 0

    async def _move_history(self, old_chat_id: int, new_chat_id: int) -> None:
        """The weekly-tip history follows the group, so its rotation goes on."""
        await self.db.execute(
            "UPDATE OR IGNORE group_tips SET chat_id = ? WHERE chat_id = ?",
            (new_chat_id, old_chat_id),
        )

    async def mark_gone(self, chat_id: int, at: datetime) -> None:
        """Telegram says the bot is no longer in the group: it gets nothing more."""
        await self.db.execute(
            "UPDATE chat_groups SET active = 0, updated_at = ? WHERE chat_id = ?",
            (to_db(at), chat_id),
        )


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self,
        *,
        at: datetime,
        actor_id: int | None,
        action: str,
        subject_type: str,
        subject_id: int | None,
        before: Any = None,
        after: Any = None,
    ) -> None:
        await self.db.execute(
            "INSERT INTO audit_log (at, actor_id, action, subject_type, subject_id, before, after)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                to_db(at),
                actor_id,
                action,
                subject_type,
                subject_id,
                None if before is None else json.dumps(before, ensure_ascii=False),
                None if after is None else json.dumps(after, ensure_ascii=False),
            ),
        )

    async def for_subject(self, subject_type: str, subject_id: int) -> list[AuditEntry]:
        rows = await self.db.fetch_all(
            "SELECT * FROM audit_log WHERE subject_type = ? AND subject_id = ? ORDER BY id",
            (subject_type, subject_id),
        )
        return [
            AuditEntry(
                id=r["id"],
                at=from_db(r["at"]),
                actor_id=r["actor_id"],
                action=r["action"],
                subject_type=r["subject_type"],
                subject_id=r["subject_id"],
                before=r["before"],
                after=r["after"],
            )
            for r in rows
        ]


class StationSettingsRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def values(self, station_id: int) -> dict[str, str]:
        """The station's stored settings (read once per write transaction: an update's
        steps ask for them several times)."""
        cache_key = ("station_settings", station_id)
        cached = self.db.txn_cache.get(cache_key) if self.db.in_write else None
        if cached is not None:
            return dict(cached)
        rows = await self.db.fetch_all(
            "SELECT key, value FROM station_settings WHERE station_id = ?", (station_id,)
        )
        values = {r["key"]: r["value"] for r in rows}
        if self.db.in_write:
            self.db.txn_cache[cache_key] = values
        return dict(values)

    async def put(self, station_id: int, key: str, value: str, by: int, at: datetime) -> None:
        self.db.txn_cache.pop(("station_settings", station_id), None)
        await self.db.execute(
            "INSERT INTO station_settings (station_id, key, value, updated_by, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(station_id, key) DO UPDATE SET"
            " value = excluded.value, updated_by = excluded.updated_by,"
            " updated_at = excluded.updated_at",
            (station_id, key, value, by, to_db(at)),
        )

    async def delete(self, station_id: int, key: str) -> None:
        self.db.txn_cache.pop(("station_settings", station_id), None)
        await self.db.execute(
            "DELETE FROM station_settings WHERE station_id = ? AND key = ?", (station_id, key)
        )


class ConversationRepository:
    """The step a person is at in a conversation, with its draft; one row per chat and user."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, chat_id: int, user_id: int) -> tuple[str, str, dict[str, Any]] | None:
        row = await self.db.fetch_one(
            "SELECT flow, state, data FROM conversations WHERE chat_id = ? AND user_id = ?",
            (chat_id, user_id),
        )
        if row is None:
            return None
        return row["flow"], row["state"], json.loads(row["data"])

    async def put(
        self, chat_id: int, user_id: int, flow: str, state: str, data: dict[str, Any], at: datetime
    ) -> None:
        sql = (
            "INSERT INTO conversations (chat_id, user_id, flow, state, data, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(chat_id, user_id) DO UPDATE SET"
            " flow = excluded.flow, state = excluded.state, data = excluded.data,"
            " updated_at = excluded.updated_at"
        )
        params = (chat_id, user_id, flow, state, json.dumps(data, ensure_ascii=False), to_db(at))
        if self.db.in_write:  # written with the transaction's next statement or its commit
            self.db.defer(sql, params)
        else:
            await self.db.execute(sql, params)

    async def clear(self, chat_id: int, user_id: int) -> bool:
        return (
            await self.db.execute_count(
                "DELETE FROM conversations WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
            )
            > 0
        )


def _invitation(row: Row) -> Invitation:
    return Invitation(
        id=row["id"],
        code=row["code"],
        role=Role(row["role"]),
        partner_type=PartnerType(row["partner_type"]) if row["partner_type"] else None,
        station_id=row["station_id"],
        office_id=row["office_id"],
        created_by=row["created_by"],
        expires_at=from_db(row["expires_at"]),
        max_uses=row["max_uses"],
        uses_left=row["uses_left"],
        revoked=bool(row["revoked"]),
    )


def _group(row: Row) -> Group:
    return Group(
        chat_id=row["chat_id"],
        title=row["title"],
        chat_type=row["chat_type"],
        bot_status=row["bot_status"],
        active=bool(row["active"]),
        kind=GroupKind(row["kind"]) if row["kind"] else None,
        station_id=row["station_id"],
        office_id=row["office_id"],
        place_id=row["place_id"],
        locale=row["locale"],
    )


class DeploymentRepository:
    """What the bot keeps about its own deployment, by key (e.g. the webhook secret it
    generated when none was configured)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: str) -> str | None:
        row = await self.db.fetch_one("SELECT value FROM deployment WHERE key = ?", (key,))
        return str(row["value"]) if row else None

    async def put(self, key: str, value: str, at: datetime) -> None:
        async with self.db.write():
            await self.db.execute(
                "INSERT INTO deployment (key, value, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
                " updated_at = excluded.updated_at",
                (key, value, to_db(at)),
            )
