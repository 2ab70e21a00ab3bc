"""Every kind of timer row the bot knows, registered with what it does when due."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scheduler.conversations import register as register_conversation_expiry
from scheduler.escalation import register as register_escalation
from scheduler.fraud import register as register_fraud
from scheduler.patrol import register as register_patrol
from scheduler.peaks import register as register_peaks
from scheduler.reports import register as register_reports
from scheduler.retention import register as register_retention
from scheduler.stats import register as register_stats

if TYPE_CHECKING:
    from handlers.context import PatrolApplication


def register_timer_kinds(app: PatrolApplication) -> None:
    """Every kind of timer row the bot knows, with what it does when due."""
    register_conversation_expiry(app)
    register_reports(app)
    app.escalation = register_escalation(app)
    app.patrol_jobs = register_patrol(app)
    app.peak_jobs = register_peaks(app)
    register_fraud(app)
    app.stats_views = register_stats(app)
    app.retention = register_retention(app)
