"""What the benchmarks share about the people they play."""

from __future__ import annotations

from handlers.context import PatrolApplication


def unlimited(app: PatrolApplication) -> None:
    """A benchmark's script taps far faster than a person: the per-account inbound limits
    (handlers/flood.py) would drop most of it. They are measured in benchmarks/siege.py."""
    limits = app.inbound
    limits.flood_limit = limits.urgent_limit = 1_000_000_000
    limits.stranger_every = 0.0
