"""Fixtures: a harness running the real application on a temporary database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import Harness, make_settings


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
