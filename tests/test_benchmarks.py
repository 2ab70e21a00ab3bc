"""A smoke run of the benchmarks (they are measured with `python -m benchmarks.run`, never
judged by time here): they run, and what they count is right. The escalation benchmark
waits for real 10-second steps, so it runs only with `python -m benchmarks.run --quick`."""

from __future__ import annotations

from benchmarks import planner, startup, updates


def test_updates_benchmark_runs_the_mix_without_failures() -> None:
    figures = updates.run(120, 8)
    assert figures["updates"] == 120 and figures["failed"] == 0
    assert figures["per_second"] > 0 and figures["echo_per_second"] > 0


def test_planner_benchmark_is_fair() -> None:
    figures = planner.run(3)
    assert figures["office_days"] == 93 and figures["worst_spread"] < 1.5


def test_startup_benchmark_reads_memory() -> None:
    figures = startup.run(500, 50)
    assert figures["startup_s"] > 0 and figures["rss_mb"] > 0
