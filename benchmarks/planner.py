"""Planner scale: plan 31 days for many offices (30 members, 5 areas, 3 shifts each), as the
nightly job does, carrying each office's history; time per office-day and the fairness
spread (actual minus expected shifts) at the end."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta

from models.planner import History, Member, Slot, plan_day, record, spread


def run(
    offices: int = 1000, days: int = 31, members: int = 30, areas: int = 5
) -> dict[str, float]:
    rng = random.Random(7)
    start = date(2026, 12, 1)
    slots = [Slot(area, shift, 1, area == 0) for area in range(areas) for shift in range(3)]
    worst = 0.0
    elapsed = 0.0
    for office in range(offices):
        history = History()
        ids = [office * 1000 + m for m in range(members)]
        officers = [office * 1000 + 900, office * 1000 + 901]
        for d in range(days):
            team = [Member(i, rng.random() > 0.1, (officers[i % 2],)) for i in ids]
            began = time.perf_counter()
            plan = plan_day(start + timedelta(days=d), team, slots, officers, history)
            record(history, plan)
            elapsed += time.perf_counter() - began
        worst = max(worst, max(abs(v) for v in spread(history, ids).values()))
    office_days = offices * days
    return {
        "office_days": office_days,
        "seconds": elapsed,
        "ms_per_office_day": elapsed / office_days * 1000,
        "worst_spread": worst,
    }
