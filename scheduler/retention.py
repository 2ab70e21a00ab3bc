"""The monthly retention job (the 1st, 03:00): closed reports older than
`PATROL_RETENTION_DAYS` (three years by default) lose their photos, voice messages and the
phone numbers in their texts; handled updates, delivered message texts and checked scam
texts older than 30 days are removed; roster rows of people who did not join within
`PENDING_DAYS` of the import are deleted (matched ones that long after their match). A timer
row per month: runs once, after a restart too; see docs/privacy.md."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from models.rails import Timer
from models.services.retention import Retention
from models.services.timers import TimerKind
from models.stats import month_of

if TYPE_CHECKING:
    from handlers.context import PatrolApplication

log = logging.getLogger(__name__)

KIND = "retention"
RUN_AT = time(3, 0)


class RetentionJobs:
    def __init__(self, app: PatrolApplication) -> None:
        self.services = app.services
        self.retention = Retention(
            app.services.db, app.services.clock, app.services.settings.retention_days
        )

    async def ensure(self) -> None:
        """Next month's row (this month's while its time has not come)."""
        zone = self.services.settings.zone
        now = self.services.clock.now()
        first = now.astimezone(zone).date().replace(day=1)
        if datetime.combine(first, RUN_AT, tzinfo=zone) <= now:
            first = (first + timedelta(days=32)).replace(day=1)
        await self.services.timers.ensure(
            KIND, f"retention:{month_of(first)}", datetime.combine(first, RUN_AT, tzinfo=zone)
        )

    async def run(self) -> dict[str, int]:
        """The whole month's work now (the CLI and tests)."""
        return await self.retention.run()

    async def on_timer(self, timer: Timer) -> None:
        """One batch in the timer's transaction; while work is left, the same row is due
        again a second later, carrying where the outbox walk stopped (a restart goes on
        from there)."""
        done, cursor = await self.retention.batch(int(timer.payload.get("cursor", 0)))
        if any(done.values()):
            log.info("retention batch: %s", done)
        if cursor is not None:
            await self.services.timers.schedule(
                KIND,
                timer.key,
                self.services.clock.now() + timedelta(seconds=1),
                {**timer.payload, "cursor": cursor},
            )

    async def prune_a_little(self) -> None:
        await self.retention.prune()


def register(app: PatrolApplication) -> RetentionJobs:
    jobs = RetentionJobs(app)
    app.services.timers.register(TimerKind(KIND, jobs.on_timer, max_lateness=timedelta(days=27)))
    app.periodic.append(jobs.ensure)
    app.periodic.append(jobs.prune_a_little)
    return jobs
