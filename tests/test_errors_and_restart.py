"""Failures reach the person and the operators cleanly; conversations survive a restart."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from tests.builders import User
from tests.flows import CHIEF, OPERATOR, invite, setup_station
from tests.harness import Harness, make_settings


async def test_failure_is_apologised_for_and_operators_alerted_once_a_minute(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    await setup_station(h)

    async def broken(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(h.services.people.repo, "set_locale", broken)
    await h.send(CHIEF, "/language")
    with caplog.at_level(logging.ERROR):
        calls = await h.press_label(CHIEF, "English")
    # the press was answered already: the apology follows in private
    assert "数据是安全的" in h.last_text(CHIEF.id)
    alerts = h.texts(calls, OPERATOR.id)
    assert alerts == [
        "⚠️ The bot failed while handling an update (RuntimeError). See the log for details."
    ]
    assert "disk on fire" in caplog.text

    calls = await h.press_label(CHIEF, "English")
    assert h.texts(calls, OPERATOR.id) == []  # at most once a minute
    h.clock.advance(timedelta(minutes=2))
    calls = await h.press_label(CHIEF, "English")
    assert len(h.texts(calls, OPERATOR.id)) == 1


async def test_onboarding_resumes_after_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "patrol.db")
    first = Harness(settings)
    await first.start()
    await setup_station(first)
    code = await invite(first, CHIEF, "巡防队员", "东关警务室")
    newcomer = User(8001, "N", "zh-hans")
    await first.send(newcomer, f"/start {code}")
    await first.press_label(newcomer, "English")
    await first.send(newcomer, "Fang")
    await first.stop()

    second = Harness(settings, clock=first.clock)
    await second.start()
    try:
        calls = await second.send(newcomer, "Skip")
        assert any("You're registered" in t and "Fang" in t for t in second.texts(calls))
        person = await second.services.people.by_telegram(newcomer.id)
        assert person is not None and person.locale == "en"
    finally:
        await second.stop()
