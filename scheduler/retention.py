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
# the monthly work's share per transaction (see `RetentionJobs.batch`)
BATCH_REPORTS, BATCH_ROWS = 200, 2000


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
        """The whole month's work now, in bounded batches of their own transactions (the
        CLI and tests; the timer does one batch at a time: `on_timer`)."""
        totals: dict[str, int] = {}
        cursor: int | None = 0
        while cursor is not None:
            async with self.services.db.write():
                done, cursor = await self.batch(cursor)
            for key, count in done.items():
                totals[key] = totals.get(key, 0) + count
        log.info("retention: %s", totals)
        return totals

    async def batch(self, cursor: int) -> tuple[dict[str, int], int | None]:
        """One bounded share of the month's work, inside the caller's transaction (a few
        hundred reports, a few thousand rows: the write lock is held for milliseconds, never
        for the seconds a month of texts takes at once). `cursor` is where the outbox walk
        goes on (-1: the outbox is done). Returns what was done and the next cursor, None
        once nothing is left."""
        now = self.services.clock.now()
        settings = self.services.settings
        reports = await self.repo.redact_reports(
            now - timedelta(days=settings.retention_days), now, BATCH_REPORTS
        )
        cutoff = now - timedelta(days=TRANSPORT_DAYS)
        outbox, after = 0, -1
        if cursor >= 0:
            outbox, after = await self.repo.strip_outbox(cutoff, cursor, BATCH_ROWS)
            after = after or -1
        scams = await self.repo.strip_scam_checks(cutoff, BATCH_ROWS)
        pending = await self.repo.purge_pending(now - timedelta(days=PENDING_DAYS))
        done = {"reports": reports, "outbox": outbox, "scam_checks": scams}
        more = after >= 0 or reports == BATCH_REPORTS or scams == BATCH_ROWS
        return {**done, "pending_people": pending}, after if more else None

    async def on_timer(self, timer: Timer) -> None:
        """One batch in the timer's transaction; while work is left, the same row is due
        again a second later, carrying where the outbox walk stopped (a restart goes on
        from there)."""
        done, cursor = await self.batch(int(timer.payload.get("cursor", 0)))
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
