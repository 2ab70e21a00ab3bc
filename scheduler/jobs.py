"""JobQueue glue: a job per pending timer row (named by its key, so a new one replaces the
old), re-armed at start, and the sweeper that runs what a lost job missed."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from telegram.ext import CallbackContext, Job, JobQueue

from models.services.timers import Timers

SWEEP_INTERVAL = 5.0
JobContext = CallbackContext[Any, Any, Any, Any]


class TimerJobs:
    def __init__(self, timers: Timers, job_queue: JobQueue[Any]) -> None:
        self.timers = timers
        self.job_queue = job_queue
        self._jobs: dict[str, Job[Any]] = {}

    async def start(self) -> int:
        """Arm a job for every pending timer, start the sweeper; return how many were armed."""
        self.timers.arm = self.arm
        pending = await self.timers.repo.pending()
        for timer in pending:
            self.arm(timer.key, timer.due_at)
        self.job_queue.run_repeating(
            self._sweep, interval=SWEEP_INTERVAL, first=0.2, name="sweeper"
        )
        return len(pending)

    def arm(self, key: str, due_at: datetime) -> None:
        # One job per timer key, found in a dict: looking the old one up by name scanned every
        # job (slow with a thousand escalations armed); a job id equal to the key would make
        # a step re-armed while its own job still runs "skip" as a running instance.
        old = self._jobs.pop(key, None)
        if old is not None and not old.removed:
            with contextlib.suppress(JobLookupError):  # it has run already
                old.schedule_removal()
        # a delay by the bot's own clock (which may be shifted), not a wall-clock instant
        delay = max(due_at - self.timers.clock.now(), timedelta(milliseconds=10))
        self._jobs[key] = self.job_queue.run_once(self._fire, when=delay, name=key, data=key)

    async def _fire(self, context: JobContext) -> None:
        """The job of one timer row."""
        job = context.job
        if job is not None and isinstance(job.data, str):
            if self._jobs.get(job.data) is job:
                del self._jobs[job.data]
            await self.timers.fire(job.data)

    async def _sweep(self, context: JobContext) -> None:
        """The sweeper: runs whatever is due that no job ran."""
        await self.timers.sweep()
