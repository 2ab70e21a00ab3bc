"""Fixtures: a harness running the real application on a temporary database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest

from models.store import db as database
from tests.harness import Harness, make_settings

# Every statement the suite's in-process runs issue, for tests/test_query_plans.py (which
# runs last and puts each under EXPLAIN QUERY PLAN).
database.TRACE = set()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The query-plan test runs after everything else: it needs the statements they ran."""
    last = [
        item
        for item in items
        if cast(pytest.Function, item).module.__name__.endswith("test_query_plans")
    ]
    items[:] = [item for item in items if item not in last] + last


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mulan-patrol")
    group.addoption("--crash-users", default="40", help="people onboarding in the crash test")
    group.addoption("--crash-kills", default="20", help="kill -9 restarts in the crash test")
    group.addoption(
        "--fuzz-examples", default="12", help="update sequences the fuzz test generates"
    )


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(make_settings(tmp_path / "patrol.db"))
    await h.start()
    try:
        yield h
    finally:
        await h.stop()
