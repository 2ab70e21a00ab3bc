"""Fixtures: a harness running the real application on a temporary database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import Harness, make_settings


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(make_settings(tmp_path / "patrol.db"))
    await h.start()
    try:
        yield h
    finally:
        await h.stop()
