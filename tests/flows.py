"""Reusable steps of real conversations (each goes through the real handlers)."""

from __future__ import annotations

import re

from tests.builders import User, contact
from tests.harness import Harness

LINK = re.compile(r"https://t\.me/\w+\?start=([A-Za-z0-9_-]+)")

OPERATOR = User(1000, "Admin", "en")


def invitation_code(text: str) -> str:
    match = LINK.search(text)
    assert match, f"no invitation link in {text!r}"
    return match.group(1)


async def add_station(h: Harness, name: str, by: User = OPERATOR) -> None:
    await h.send(by, "/areas")
    await h.press_label(by, "Station" if by.language_code == "en" else "派出所")
    await h.send(by, name)


async def invite(h: Harness, by: User, *choices: str) -> str:
    """/invite, then press the buttons whose labels contain each of `choices`; return the code."""
    await h.send(by, "/invite")
    for label in choices:
        await h.press_label(by, label)
    return invitation_code(h.last_text(by.id))


async def onboard(
    h: Harness, user: User, code: str, name: str, language: str = "中文", phone: str | None = None
) -> None:
    await h.send(user, f"/start {code}")
    await h.press_label(user, language)
    await h.send(user, name)
    if phone:
        await h.feed(contact(user, phone))
    else:
        await h.send(user, "跳过" if language == "中文" else "Skip")
