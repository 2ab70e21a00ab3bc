"""Logs are private: at INFO and above no phone number, message text, incident description
or location reaches the log, whatever the usual flows do (including a failing send and a
handler error); at DEBUG, phone numbers are masked wherever a library logs them."""

from __future__ import annotations

import logging

import pytest

import bot
from tests import builders
from tests.flows import CHIEF, LAT, LON, MEMBER, OFFICER, ask_backup, with_duty
from tests.harness import Harness

PHONE = "13912345678"
DESCRIPTION = "张家和李家因为宅基地吵架，张大爷电话 13912345678"
SECRET_WORDS = (
    *("宅基地", "13912345678", "1391234", "+8613800000002", "村口老槐树", "骗子说我是公安"),
)


async def _usual_day(h: Harness) -> None:
    await with_duty(h)
    await h.send(MEMBER, "/report")
    await h.press_label(MEMBER, "矛盾纠纷")
    await h.press_label(MEMBER, "否")
    await h.send(MEMBER, DESCRIPTION)
    await h.feed(builders.location(MEMBER, LAT, LON))
    await h.feed(builders.photo(MEMBER))
    await h.press_label(MEMBER, "完成")
    await h.press_label(MEMBER, "一般")
    await h.press_label(MEMBER, "提交")
    # a bad day on Telegram's side too: refused, unanswered and blocked sends are logged
    h.tg.fail_methods["sendMessage"] = 3
    h.tg.timeouts["sendMessage"] = 1
    h.tg.blocked.add(OFFICER.id)
    await ask_backup(h)
    await h.feed(builders.location(MEMBER, LAT, LON))
    await h.send(MEMBER, "村口老槐树 13912345678")  # typed where nothing expects it
    await h.send(MEMBER, "/check")
    await h.send(MEMBER, "骗子说我是公安，让我转账 13912345678")
    await h.send(OFFICER, "/reports")
    await h.send(CHIEF, "/stats")


def _leaks(text: str) -> list[str]:
    found = [word for word in SECRET_WORDS if word in text]
    coordinates = [f"{LAT}", f"{LON}", f"{LAT:.4f}", f"{LON:.4f}"]
    found += [c for c in coordinates if c in text]
    return found


async def test_nothing_private_reaches_the_log_at_info(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    bot.configure_logging("INFO", [])  # the bot's own filters on the root handlers
    caplog.handler.addFilter(bot.PrivateLog())
    caplog.set_level(logging.DEBUG)
    await _usual_day(harness)
    text = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records if r.levelno >= logging.INFO
    )
    assert any(r.levelno >= logging.INFO for r in caplog.records)  # it did log
    assert _leaks(text) == []


def test_phone_numbers_are_masked_at_every_level() -> None:
    record = logging.LogRecord(
        "httpx", logging.DEBUG, __file__, 1, "POST %s with %s", ("sendMessage", PHONE), None
    )
    bot.PrivateLog().filter(record)
    assert PHONE not in record.getMessage()
    assert "[phone]" in record.getMessage()
