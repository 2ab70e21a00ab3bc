"""Run every benchmark and print one table: `python -m benchmarks.run` (full size, several
minutes) or `python -m benchmarks.run --quick` (a smoke run of each, under a minute)."""

from __future__ import annotations

import argparse
import os
import platform
from collections.abc import Callable
from typing import Any

from benchmarks import (
    arrivals,
    board,
    broadcast,
    county,
    escalation,
    planner,
    siege,
    startup,
    updates,
)

# name, full-size call, quick call, the target it is judged against
BENCHMARKS: list[tuple[str, Callable[[], dict[str, Any]], Callable[[], dict[str, Any]], str]] = [
    (
        "updates (full stack vs echo bot), on the seeded three-year county",
        lambda: updates.run(20_000, 200, years=3.0),
        lambda: updates.run(300, 20, years=0.2, stations=2),
        "polled_ratio_to_echo >= 0.2",
    ),
    (
        "open arrivals (50 updates/s at random), on the seeded three-year county",
        arrivals.run,
        arrivals.quick,
        "p99_ms < 20, unfinished = failed = 0",
    ),
    (
        "escalation precision",
        lambda: escalation.run(1000),
        lambda: escalation.run(20),
        "p99_late_s < 1, doubled = missed = 0",
    ),
    (
        "broadcast at Telegram's limits",
        lambda: broadcast.run(600, 3000, 10),
        lambda: broadcast.run(20, 60, 1),
        "over_minimum < 0.1, 429s <= 1 per burst, backup_wait_max_s < 1",
    ),
    (
        "the urgent path under siege (bot as a process, Telegram's limits)",
        siege.run,
        siege.quick,
        "every backup case p99 < 2 s (outage: from Telegram's return), lost = duplicated = 0,"
        " outage_answered = outage_writers, report_card_s < 0.5",
    ),
    (
        "three years of a county (seeded database): long reads and the urgent path",
        county.run,
        county.quick,
        "stats_station_month_s < 0.1, stats_county_year_s < 2, export_station_year_s < 5,"
        " backup_extra_s < 0.2",
    ),
    (
        "the station board (Mini App) on the seeded three-year county",
        board.run,
        board.quick,
        "first_load_*_s < 1, every *_p99_ms < 50, backup_extra_s with ten boards open < 0.2",
    ),
    (
        "planner (county-month)",
        lambda: planner.run(1000),
        lambda: planner.run(20),
        "ms_per_office_day < 0.3",
    ),
    (
        "memory and start-up",
        lambda: startup.run(100_000, 10_000),
        lambda: startup.run(2_000, 200),
        "rss_mb < 150, startup_s < 2",
    ),
]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run")
    parser.add_argument("--quick", action="store_true", help="a small smoke run of each")
    args = parser.parse_args(argv)
    python = platform.python_version()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {python}")
    print("| benchmark | figures | target |")
    print("|---|---|---|")
    for name, full, quick, target in BENCHMARKS:
        figures = (quick if args.quick else full)()
        shown = ", ".join(f"{key} {_cell(value)}" for key, value in figures.items())
        print(f"| {name} | {shown} | {target} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
