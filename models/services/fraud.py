"""Anti-fraud work: the tip library and each group's rotation, the weekly tip, station
broadcasts and their delivery, and the "is this a scam?" checks (counted for statistics)."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from models.clock import Clock, to_db
from models.errors import DomainError
from models.fraud import TELEGRAM_LIMIT, Matcher, ScamMatch, shipped_tips
from models.org import Person, Role
from models.services.outbox import Outbox
from models.services.station_settings import StationSettingsService
from models.store.db import Database
from models.store.fraud_repo import FraudRepository
from models.store.misc_repo import GroupRepository
from models.store.people_repo import PeopleRepository

MAX_TIP = 1500


class Audience:
    GROUPS = "groups"  # every registered group of the station
    OFFICE_GROUPS = "office_groups"  # the groups of one office
    MEMBERS = "members"
    OFFICERS = "officers"
    EVERYONE = "everyone"  # every registered person of the station

    ALL = (GROUPS, OFFICE_GROUPS, MEMBERS, OFFICERS, EVERYONE)


@dataclass(frozen=True)
class Recipient:
    chat_id: int
    locale: str


@dataclass(frozen=True)
class BroadcastDraft:
    """What the author composed: the text in their language, the other language's text if
    they gave one, a picture, and whether it may break the quiet hours."""

    station_id: int
    office_id: int | None
    audience: str
    text: str
    locale: str
    other: str | None = None
    picture: str | None = None
    urgent: bool = False


def audiences_for(person: Person) -> tuple[str, ...]:
    """Chiefs and operators reach the station; officers their office's groups and members."""
    if person.role in (Role.CHIEF, Role.OPERATOR):
        return Audience.ALL
    if person.role is Role.OFFICER:
        return (Audience.OFFICE_GROUPS, Audience.MEMBERS)
    return ()


def quiet_until(now: datetime, zone: ZoneInfo, start: time, end: time) -> datetime | None:
    """When the quiet hours around `now` end (None when it is not quiet now)."""
    local = now.astimezone(zone)
    clock = local.time()
    quiet = clock >= start or clock < end if start > end else start <= clock < end
    if not quiet:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone)


class FraudService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        station_settings: StationSettingsService,
        zone: ZoneInfo,
        default_locale: str,
        outbox: Outbox,
    ) -> None:
        self.outbox = outbox
        self.db = db
        self.clock = clock
        self.station_settings = station_settings
        self.zone = zone
        self.default_locale = default_locale
        self.repo = FraudRepository(db)
        self.people = PeopleRepository(db)
        self.groups = GroupRepository(db)
        self.matcher = Matcher.load()

    async def sync_shipped(self) -> None:
        """The tips shipped with the bot, added once (a chief's edit is never overwritten)."""
        async with self.db.write():
            for tip in shipped_tips():
                await self.repo.ensure_tip(
                    tip.key, tip.scam_type, tip.zh, tip.en, self.clock.now()
                )

    async def quiet_until(self, station_id: int) -> datetime | None:
        start = await self.station_settings.value(station_id, "quiet_start")
        end = await self.station_settings.value(station_id, "quiet_end")
        return quiet_until(self.clock.now(), self.zone, start, end)

    async def send_broadcast(
        self,
        author: Person,
        draft: BroadcastDraft,
        recipients: list[Recipient],
        progress: Callable[[int], str],
        hold: datetime | None,
    ) -> int:
        """The broadcast and every recipient's message as rows, in one transaction (the
        author's conversation step joins it); each recipient reads it in their language
        when the author gave both. `progress(broadcast_id)` is the author's progress text,
        sent now and edited as deliveries are recorded. Returns the broadcast's id."""
        now = self.clock.now()
        async with self.db.write():
            broadcast_id = await self.repo.add_broadcast(
                {
                    "station_id": draft.station_id,
                    "office_id": draft.office_id,
                    "author_id": author.id,
                    "audience": draft.audience,
                    "text": draft.text,
                    "text_locale": draft.locale,
                    "other_text": draft.other,
                    "picture": draft.picture,
                    "urgent": int(draft.urgent),
                    "created_at": to_db(now),
                }
            )
            ref = f"broadcast:{broadcast_id}"
            for r in recipients:
                chosen = draft.other if r.locale != draft.locale and draft.other else draft.text
                body = html.escape(chosen, quote=False)
                if draft.picture:
                    outbox_id = await self.outbox.send_photo(
                        r.chat_id, draft.picture, body, urgent=draft.urgent, ref=ref,
                        not_before=hold,
                    )  # fmt: skip
                else:
                    outbox_id = await self.outbox.send(
                        r.chat_id, body, urgent=draft.urgent, ref=ref, not_before=hold
                    )
                await self.repo.add_recipient(broadcast_id, r.chat_id, outbox_id)
            progress_id = await self.outbox.send(
                author.tg_user_id,
                progress(broadcast_id),
                urgent=True,
                ref=f"broadcast:{broadcast_id}:progress",
            )
            await self.repo.set_progress(broadcast_id, progress_id)
        return broadcast_id

    # --- the library ----------------------------------------------------------------
    async def add_tip(self, actor: Person, zh: str, en: str, picture: str | None) -> int:
        _check_editor(actor)
        zh, en = clean_tip(zh), clean_tip(en)
        async with self.db.write():
            return await self.repo.add_tip(zh, en, picture, actor.id, self.clock.now())

    async def toggle_tip(self, actor: Person, tip_id: int) -> bool:
        _check_editor(actor)
        async with self.db.write():
            tip = await self.repo.tip(tip_id)
            if tip is None:
                raise DomainError("stale")
            enabled = not bool(tip["enabled"])
            await self.repo.set_tip(tip_id, "enabled", int(enabled), actor.id, self.clock.now())
            return enabled

    async def edit_tip(self, actor: Person, tip_id: int, locale: str, text: str) -> None:
        _check_editor(actor)
        column = "zh_text" if locale == "zh_CN" else "en_text"
        async with self.db.write():
            if await self.repo.tip(tip_id) is None:
                raise DomainError("stale")
            await self.repo.set_tip(tip_id, column, clean_tip(text), actor.id, self.clock.now())

    # --- the weekly tip ------------------------------------------------------------
    async def next_tip(self, chat_id: int) -> dict[str, Any] | None:
        """The group's next tip: none repeats before every enabled tip was shown once."""
        enabled = await self.repo.tips(enabled_only=True)
        if not enabled:
            return None
        ids = {t["id"] for t in enabled}
        seen: set[int] = set()
        for tip_id in await self.repo.group_history(chat_id):
            seen.add(tip_id)
            if ids <= seen:
                seen = set()
        remaining = [t for t in enabled if t["id"] not in seen] or enabled
        return remaining[0]

    async def tip_text(self, tip: dict[str, Any], locale: str) -> str:
        return str(tip["zh_text"] if locale == "zh_CN" else tip["en_text"])

    async def set_paused(self, actor: Person, chat_id: int, paused: bool) -> None:
        group = await self.groups.get(chat_id)
        if group is None or not group.registered or not may_manage_group(actor, group):
            raise DomainError("not_allowed")
        async with self.db.write():
            await self.repo.set_group_tips(chat_id, paused, None)

    async def set_opt_in(self, actor: Person, chat_id: int, opt_in: bool) -> None:
        group = await self.groups.get(chat_id)
        if group is None or not group.registered or not may_manage_group(actor, group):
            raise DomainError("not_allowed")
        async with self.db.write():
            await self.repo.set_group_tips(chat_id, None, opt_in)

    # --- broadcasts ------------------------------------------------------------------
    async def recipients(
        self, actor: Person, audience: str, station_id: int, office_id: int | None
    ) -> list[Recipient]:
        if audience not in audiences_for(actor):
            raise DomainError("not_allowed")
        if actor.role is Role.OFFICER:
            office_id = actor.office_id
        if actor.role is not Role.OPERATOR and actor.station_id != station_id:
            raise DomainError("not_allowed")
        found: list[Recipient] = []
        if audience in (Audience.GROUPS, Audience.OFFICE_GROUPS):
            for g in await self.groups.registered(station_id):
                if audience == Audience.OFFICE_GROUPS and g.office_id != office_id:
                    continue
                found.append(Recipient(g.chat_id, g.locale or self.default_locale))
            return found
        roles = {
            Audience.MEMBERS: {Role.MEMBER, Role.PARTNER},
            Audience.OFFICERS: {Role.OFFICER},
            Audience.EVERYONE: set(Role) - {Role.OPERATOR},
        }[audience]
        for p in await self.people.reachable_in_station(station_id):
            if p.role not in roles:
                continue
            if audience == Audience.MEMBERS and office_id is not None and p.office_id != office_id:
                continue
            found.append(Recipient(p.tg_user_id, p.locale or self.default_locale))
        return found

    async def record_check(
        self, tg_user_id: int, person: Person | None, found: ScamMatch | None, text: str | None
    ) -> int:
        async with self.db.write():
            return await self.repo.record_check(
                tg_user_id,
                person.id if person else None,
                found.scam_type if found else None,
                text,
                self.clock.now(),
            )


def check_broadcast_text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise DomainError("broadcast_empty")
    if len(cleaned) > TELEGRAM_LIMIT:
        raise DomainError("broadcast_too_long", length=len(cleaned), limit=TELEGRAM_LIMIT)
    return cleaned


def clean_tip(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise DomainError("note_empty")
    if len(cleaned) > MAX_TIP:
        raise DomainError("note_too_long", limit=MAX_TIP)
    return cleaned


def _check_editor(actor: Person) -> None:
    if not actor.active or actor.role not in (Role.CHIEF, Role.OPERATOR):
        raise DomainError("not_allowed")


def may_manage_group(actor: Person, group: Any) -> bool:
    """Officers of the group's office, its station's chief and duty, operators."""
    if not actor.active:
        return False
    if actor.role is Role.OPERATOR:
        return True
    if actor.station_id != group.station_id:
        return False
    if actor.role in (Role.CHIEF, Role.DUTY):
        return True
    return actor.role is Role.OFFICER and group.office_id in (None, actor.office_id)
