"""Reading and changing a station's settings (declared in `models.station_settings`)."""

from __future__ import annotations

from typing import Any

from models.clock import Clock
from models.config import Settings
from models.errors import DomainError
from models.org import Person
from models.rules import can_manage_station
from models.station_settings import SETTINGS, spec_for
from models.store.db import Database
from models.store.misc_repo import AuditRepository, StationSettingsRepository


class StationSettingsService:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.repo = StationSettingsRepository(db)
        self.audit = AuditRepository(db)

    async def all(self, station_id: int) -> list[tuple[str, Any, bool]]:
        """Each setting as (key, value, set at this station?) in declaration order."""
        stored = await self.repo.values(station_id)
        result = []
        for spec in SETTINGS:
            if spec.key in stored:
                result.append((spec.key, spec.parse(stored[spec.key]), True))
            else:
                result.append((spec.key, spec.default(self.settings), False))
        return result

    async def value(self, station_id: int, key: str) -> Any:
        spec = spec_for(key)
        stored = (await self.repo.values(station_id)).get(key)
        if stored is None:
            return spec.default(self.settings)
        try:
            return spec.parse(stored)
        except DomainError:
            return spec.default(self.settings)

    async def change(self, actor: Person, station_id: int, key: str, text: str) -> Any:
        """Validate and store a person's input; return the new value."""
        if not can_manage_station(actor, station_id):
            raise DomainError("not_allowed")
        spec = spec_for(key)
        value = spec.parse(text)
        before = await self.value(station_id, key)
        async with self.db.write():
            await self.repo.put(station_id, key, spec.dump(value), actor.id, self.clock.now())
            await self.audit.record(
                at=self.clock.now(),
                actor_id=actor.id,
                action=f"setting:{key}",
                subject_type="station",
                subject_id=station_id,
                before=spec.dump(before),
                after=spec.dump(value),
            )
        return value

    async def reset(self, actor: Person, station_id: int, key: str) -> Any:
        if not can_manage_station(actor, station_id):
            raise DomainError("not_allowed")
        spec = spec_for(key)
        before = await self.value(station_id, key)
        async with self.db.write():
            await self.repo.delete(station_id, key)
            await self.audit.record(
                at=self.clock.now(),
                actor_id=actor.id,
                action=f"setting:{key}",
                subject_type="station",
                subject_id=station_id,
                before=spec.dump(before),
                after=None,
            )
        return spec.default(self.settings)
