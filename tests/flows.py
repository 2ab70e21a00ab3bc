"""Reusable steps of real conversations (each goes through the real handlers)."""

from __future__ import annotations

import re
from datetime import date, datetime

from models.org import Person, PlaceKind
from tests import builders
from tests.builders import Chat, User, contact
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


# The people and places most tests share (a county's first station, its team)

CHIEF = User(2001, "Zhang", "zh-hans")


async def setup_station(h: Harness) -> None:
    """Operator creates a station; its chief onboards and adds an office and a village."""
    await add_station(h, "木兰派出所")
    code = await invite(h, OPERATOR, "station chief", "木兰派出所")
    await onboard(h, CHIEF, code, "张所长", phone="+8613800000001")
    await h.send(CHIEF, "/areas")
    await h.press_label(CHIEF, "➕ 警务室")
    await h.send(CHIEF, "东关警务室")
    await h.press_label(CHIEF, "东关警务室")
    await h.press_label(CHIEF, "➕ 地点")
    await h.send(CHIEF, "东关村")


OFFICER = User(3001, "Li", "zh-hans")


OFFICER2 = User(3002, "Zhao", "zh-hans")


MEMBER = User(4001, "Wang", "zh-hans")


LAT, LON = 37.8700, 112.5500  # the village


async def team(h: Harness) -> None:
    """Station, office with a village, two officers, a member paired with the first."""
    await setup_station(h)
    await onboard(
        h,
        OFFICER,
        await invite(h, CHIEF, "社区民警", "东关警务室"),
        "李警官",
        phone="+8613800000002",
    )
    await onboard(h, OFFICER2, await invite(h, CHIEF, "社区民警", "东关警务室"), "赵警官")
    await onboard(h, MEMBER, await invite(h, CHIEF, "巡防队员", "东关警务室"), "王芳")
    member = await h.services.people.by_telegram(MEMBER.id)
    officer = await h.services.people.by_telegram(OFFICER.id)
    assert member is not None and officer is not None
    await h.services.people.toggle_pairing(await person_of(h, CHIEF), member.id, officer.id)
    h.tg.clear()


async def person_of(h: Harness, user: User) -> Person:
    person = await h.services.people.by_telegram(user.id)
    assert person is not None
    return person


async def register(h: Harness, chat: Chat, kind: str) -> None:
    await h.feed(builders.my_chat_member(CHIEF, chat, "left", "member"))
    await h.send(CHIEF, "/register", chat)
    await h.press_label(CHIEF, kind, chat)
    await h.press_label(CHIEF, "整个派出所", chat)
    await h.press_label(CHIEF, "中文", chat)


DUTY = User(2600, "Duty", "zh-hans")


async def with_duty(h: Harness) -> None:
    await team(h)
    await onboard(h, DUTY, await invite(h, CHIEF, "值班室"), "值班员")
    await h.send(OPERATOR, "/help")  # the operator has talked to the bot
    h.tg.clear()


async def ask_backup(h: Harness, reason: str = "纠纷升级") -> int:
    await h.send(MEMBER, "/backup")
    await h.press_label(MEMBER, reason)
    row = await h.services.db.fetch_one("SELECT id FROM backup_requests ORDER BY id DESC LIMIT 1")
    assert row is not None
    return int(row["id"])


def alerted(calls: list, chat_id: int) -> bool:  # type: ignore[type-arg]
    return any(
        "<b>支援请求 #" in c.text and c.chat_id == chat_id
        for c in calls
        if c.method == "sendMessage"
    )


async def register_public(h: Harness, chat: Chat, language: str) -> None:
    await h.feed(builders.my_chat_member(CHIEF, chat, "left", "member"))
    await h.send(CHIEF, "/register", chat)
    await h.press_label(CHIEF, "村民群", chat)
    await h.press_label(CHIEF, "东关警务室", chat)
    await h.press_label(CHIEF, "东关村", chat)
    await h.press_label(CHIEF, language, chat)


MEMBER2 = User(4002, "Amy", "en")


MEMBER3 = User(4003, "Zhou", "zh-hans")


async def draft_dispute(h: Harness, photo: bool = True, location: bool = True) -> None:
    await h.send(MEMBER, "/report")
    await h.press_label(MEMBER, "矛盾纠纷")
    await h.press_label(MEMBER, "否")
    await h.send(MEMBER, "老人在墙上装了铁丝网，邻居说危险，两家吵起来了。")
    if location:
        await h.feed(builders.location(MEMBER, LAT, LON))
    else:
        await h.press_label(MEMBER, "东关村")
    if photo:
        await h.feed(builders.photo(MEMBER))
    await h.press_label(MEMBER, "完成")
    await h.press_label(MEMBER, "一般")


async def submit_dispute(h: Harness) -> int:
    await draft_dispute(h)
    await h.press_label(MEMBER, "提交")
    rows = await h.services.db.fetch_all("SELECT id FROM reports ORDER BY id DESC LIMIT 1")
    return int(rows[0]["id"])


EVE = datetime.fromisoformat("2026-12-01T19:00:00+08:00")
DAY = date(2026, 12, 2)


async def patrol_office(h: Harness) -> None:
    """Three members; 东关村 walked in the morning, 集市街 morning and afternoon."""
    await team(h)
    await onboard(h, MEMBER2, await invite(h, CHIEF, "巡防队员", "东关警务室"), "Amy", "English")
    await onboard(h, MEMBER3, await invite(h, CHIEF, "巡防队员", "东关警务室"), "周敏")
    chief = await person_of(h, CHIEF)
    office = (await h.services.org.repo.offices(1))[0]
    village = (await h.services.org.repo.places(office.id))[0]
    await h.services.org.toggle_place_kind(chief, village.id, PlaceKind.PATROL_AREA)
    market = await h.services.org.add_place(chief, office.id, "集市街", {PlaceKind.PATROL_AREA})
    await h.services.org.set_patrol(chief, market.id, (0, 1), 1)
    h.clock.set(EVE)
    h.tg.clear()


async def plan_and_publish(h: Harness) -> None:
    h.clock.set(datetime.fromisoformat("2026-12-01T20:00:00+08:00"))
    await h.tick()
    h.clock.set(datetime.fromisoformat("2026-12-02T07:30:00+08:00"))
    await h.tick()
