"""Every kind of timer row the bot knows, registered with what it does when due."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scheduler.conversations import register as register_conversation_expiry
from scheduler.escalation import Escalation
from scheduler.escalation import register as register_escalation
from scheduler.fraud import register as register_fraud
from scheduler.notices.stats_views import StatsViews
from scheduler.patrol import PatrolJobs
from scheduler.patrol import register as register_patrol
from scheduler.peaks import PeakJobs
from scheduler.peaks import register as register_peaks
from scheduler.reports import register as register_reports
from scheduler.retention import RetentionJobs
from scheduler.retention import register as register_retention
from scheduler.stats import register as register_stats

if TYPE_CHECKING:
    from handlers.context import PatrolApplication


@dataclass(frozen=True)
class Parts:
    """The application's job groups and engines, built once with it."""

    escalation: Escalation
    patrol_jobs: PatrolJobs
    peak_jobs: PeakJobs
    stats_views: StatsViews
    retention: RetentionJobs


def register_timer_kinds(app: PatrolApplication) -> Parts:
    """Every kind of timer row the bot knows, with what it does when due; the parts the
    handlers use (called once, by the application as it is built)."""
    register_conversation_expiry(app)
    register_reports(app)
    escalation = register_escalation(app)
    patrol_jobs = register_patrol(app)
    peak_jobs = register_peaks(app)
    register_fraud(app)
    stats_views = register_stats(app)
    retention = register_retention(app)
    return Parts(escalation, patrol_jobs, peak_jobs, stats_views, retention)
