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

from models.roster import PENDING_DAYS
from models.services.timers import TimerKind
from models.stats import month_of
from models.store.rails_repo import Timer
from models.store.retention_repo import PRUNED, RetentionRepository

if TYPE_CHECKING:
    from handlers.context import PatrolApplication

log = logging.getLogger(__name__)

KIND = "retention"
RUN_AT = time(3, 0)
TRANSPORT_DAYS = 30
# Handled updates and delivered replies are deleted TRANSPORT_DAYS after, finished timers
# TIMER_DAYS after (a timer's key stays while a job might ask for it again: a week's or a
# month's report, a day's plan are never asked for two months later) — by the minute job, at
# most PRUNE_ROWS of each kind a minute, each kind in its own short transaction, so the
# database stays bounded without ever holding the write lock for long (a county's three
# years of timers, about 800,000 when this came in, go within a day).
TIMER_DAYS = 60
PRUNE_ROWS = 1000


class RetentionJobs:
    def __init__(self, app: PatrolApplication) -> None:
        self.services = app.services
        self.repo = RetentionRepository(app.services.db)

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

    async def run(self, timer: Timer | None = None) -> dict[str, int]:
        now = self.services.clock.now()
        settings = self.services.settings
        async with self.services.db.write():
            reports = await self.repo.redact_reports(
                now - timedelta(days=settings.retention_days), now
            )
            purged = await self.repo.purge_transport(now - timedelta(days=TRANSPORT_DAYS))
            purged["pending_people"] = await self.repo.purge_pending(
                now - timedelta(days=PENDING_DAYS)
            )
        log.info("retention: %d report(s) redacted; removed %s", reports, purged)
        return {"reports": reports, **purged}

    async def on_timer(self, timer: Timer) -> None:
        await self.run(timer)

    async def prune_a_little(self) -> None:
        await self.prune()

    async def prune(self) -> dict[str, int]:
        """The minute job's share of the pruning (see TIMER_DAYS)."""
        now = self.services.clock.now()
        transport, timers = now - timedelta(days=TRANSPORT_DAYS), now - timedelta(days=TIMER_DAYS)
        pruned = {}
        for kind in PRUNED:
            async with self.services.db.write():
                before = timers if kind == "timers" else transport
                pruned[kind] = await self.repo.prune(kind, before, PRUNE_ROWS)
        if any(pruned.values()):
            log.info("pruned %s", pruned)
        return pruned


def register(app: PatrolApplication) -> RetentionJobs:
    jobs = RetentionJobs(app)
    app.services.timers.register(TimerKind(KIND, jobs.on_timer, max_lateness=timedelta(days=27)))
    app.periodic.append(jobs.ensure)
    app.periodic.append(jobs.prune_a_little)
    return jobs
