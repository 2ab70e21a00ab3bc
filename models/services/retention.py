"""What the retention rules remove, in bounded shares (docs/privacy.md): closed reports older
than `PATROL_RETENTION_DAYS` lose their photos, voice messages and the phone numbers in
their texts; delivered message texts and checked scam texts older than `TRANSPORT_DAYS` are
removed; roster rows of people who did not join within `PENDING_DAYS` are deleted; handled
updates, delivered replies and finished timers are pruned. The monthly timer and the minute
job that call these live in scheduler/retention.py."""

from __future__ import annotations

import logging
from datetime import timedelta

from models.clock import Clock
from models.roster import PENDING_DAYS
from models.store.db import Database
from models.store.retention_repo import PRUNED, RetentionRepository

log = logging.getLogger(__name__)

TRANSPORT_DAYS = 30
# Handled updates and delivered replies are deleted TRANSPORT_DAYS after, finished timers
# TIMER_DAYS after (a timer's key stays while a job might ask for it again: a week's or a
# month's report, a day's plan are never asked for two months later) — by the minute job, at
# most PRUNE_ROWS of each kind a minute, each kind in its own short transaction, so the
# database stays bounded without ever holding the write lock for long (a county's three
# years of timers, about 800,000 when this came in, go within a day).
TIMER_DAYS = 60
PRUNE_ROWS = 1000
# the monthly work's share per transaction (see `Retention.batch`)
BATCH_REPORTS, BATCH_ROWS = 200, 2000


class Retention:
    def __init__(self, db: Database, clock: Clock, retention_days: int) -> None:
        self.db = db
        self.clock = clock
        self.retention_days = retention_days
        self.repo = RetentionRepository(db)

    async def run(self) -> dict[str, int]:
        """The whole month's work now, in bounded batches of their own transactions (the
        CLI and tests; the timer does one batch at a time)."""
        totals: dict[str, int] = {}
        cursor: int | None = 0
        while cursor is not None:
            async with self.db.write():
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
        now = self.clock.now()
        reports = await self.repo.redact_reports(
            now - timedelta(days=self.retention_days), now, BATCH_REPORTS
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

    async def prune(self) -> dict[str, int]:
        """The minute job's share of the pruning (see TIMER_DAYS)."""
        now = self.clock.now()
        transport, timers = now - timedelta(days=TRANSPORT_DAYS), now - timedelta(days=TIMER_DAYS)
        pruned = {}
        for kind in PRUNED:
            async with self.db.write():
                before = timers if kind == "timers" else transport
                pruned[kind] = await self.repo.prune(kind, before, PRUNE_ROWS)
        if any(pruned.values()):
            log.info("pruned %s", pruned)
        return pruned
