"""A smoke run of the benchmarks (they are measured with `python -m benchmarks.run`, never
judged by time here): they run, and what they count is right. The escalation benchmark
waits for real 10-second steps, so it runs only with `python -m benchmarks.run --quick`."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import RetryAfter

from benchmarks import board, broadcast, county, planner, siege, startup, updates
from tests.fakes import TOKEN


def test_updates_benchmark_runs_the_mix_without_failures() -> None:
    figures = updates.run(120, 8)
    assert figures["updates"] == 120 and figures["failed"] == 0
    assert figures["per_second"] > 0 and figures["echo_per_second"] > 0


def test_board_benchmark_loads_polls_and_rings_the_officer() -> None:
    figures = board.run(years=0.1, stations=1, samples=3)
    assert figures["first_load_chief_s"] > 0 and figures["map_p99_ms"] > 0
    assert figures["board_calls"] >= 10 and figures["backup_with_ten_boards_s"] > 0
    assert figures["call_on_board_max_s"] is not None  # each call showed on an open board


def test_planner_benchmark_is_fair() -> None:
    figures = planner.run(3)
    assert figures["office_days"] == 93 and figures["worst_spread"] < 1.5


def test_startup_benchmark_reads_memory() -> None:
    figures = startup.run(500, 50)
    assert figures["startup_s"] > 0 and figures["rss_mb"] > 0


def test_broadcast_benchmark_delivers_everything_and_rings_the_officer() -> None:
    figures = broadcast.run(groups=10, people=30, calls=1)
    assert figures["delivered"] == figures["recipients"] == 10 + 30 + 4
    assert figures["backup_calls"] == 1 and figures["seconds"] > 0


async def test_the_limited_fake_answers_429_like_telegram() -> None:
    """Without our limiter: the 31st message in a second, or the 21st to a group in a
    minute, is refused with a time to retry after."""
    fake = broadcast.LimitedTelegram()
    async with Bot(TOKEN, request=fake) as bot:
        for chat in range(1, 31):
            await bot.send_message(chat, "ok")
        with pytest.raises(RetryAfter):
            await bot.send_message(31, "one too many")
    group = broadcast.LimitedTelegram()
    async with Bot(TOKEN, request=group) as bot:
        for _ in range(20):
            await bot.send_message(-5, "a group")
        with pytest.raises(RetryAfter):
            await bot.send_message(-5, "one too many this minute")
    assert fake.too_many == group.too_many == 1


def test_siege_benchmark_loses_and_doubles_nothing() -> None:
    """The quick siege: the bot as a process, every case run; what it counts is right."""
    figures = siege.quick()
    assert figures["lost"] == 0 and figures["duplicated"] == 0
    assert figures["outage_answered"] == figures["outage_writers"] == 50
    assert figures["stranger_answers"] == 1  # one answer a minute, whatever the flood
    assert figures["broadcast_delivered"] >= siege.QUICK.people
    assert figures["report_card_s"] >= 0 and figures["alive"] and figures["tracebacks"] == 0


def test_county_benchmark_answers_every_long_read() -> None:
    """The seeded county: every long read answered, a backup call rings during them."""
    figures = county.quick()
    for name in ("stats_station_month_s", "stats_county_year_s", "export_station_year_s"):
        assert figures[name] > 0
    assert figures["backup_during_reads_s"] > 0 and figures["database_mb"] > 0


def test_the_county_generator_is_deterministic(tmp_path: Path) -> None:
    """The same seed and end make the same county, row for row."""
    import sqlite3
    from datetime import UTC, datetime

    from benchmarks.seed import seed

    end = datetime(2026, 12, 1, tzinfo=UTC)
    counts = [seed(tmp_path / f"c{n}.db", years=0.05, stations=2, end=end) for n in (1, 2)]
    assert counts[0] == counts[1] and counts[0]["reports"] > 0 and counts[0]["checkins"] > 0
    rows = []
    for n in (1, 2):
        with sqlite3.connect(tmp_path / f"c{n}.db") as conn:
            rows.append(conn.execute("SELECT * FROM reports ORDER BY id").fetchall())
    assert rows[0] == rows[1]
