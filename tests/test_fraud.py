"""Anti-fraud through the real application: weekly tips with rotation, /tips rights,
broadcasts (preview, progress, summary, RetryAfter and blocked recipients, a restart in the
middle, a backup call overtaking it), and "is this a scam?"."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

import pytest

from models.org import Role
from models.rails import REPLY
from tests import builders
from tests.builders import Chat, User
from tests.flows import CHIEF, MEMBER, OFFICER, register_public, setup_station, team, with_duty
from tests.harness import Harness, make_settings

VILLAGE = Chat(-100610, "supergroup", "东关村民群")
EN_VILLAGE = Chat(-100611, "supergroup", "Lake village")
MONDAY = datetime.fromisoformat("2026-11-30T10:00:00+08:00")  # a Monday


def tips_to(calls: list, chat: Chat) -> list[str]:  # type: ignore[type-arg]
    return [
        c.text
        for c in calls
        if c.chat_id == chat.id and ("防诈提醒" in c.text or "anti-fraud tip" in c.text)
    ]


async def test_weekly_tip_rotates_over_30_weeks_without_repeats(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    await register_public(h, VILLAGE, "中文")
    await register_public(h, EN_VILLAGE, "English")
    seen: list[int] = []
    for week in range(30):
        h.clock.set(MONDAY + timedelta(weeks=week) - timedelta(minutes=1))
        assert not tips_to(await h.tick(), VILLAGE)
        h.clock.set(MONDAY + timedelta(weeks=week))
        calls = await h.tick()
        zh, en = tips_to(calls, VILLAGE), tips_to(calls, EN_VILLAGE)
        assert len(zh) == 1 and len(en) == 1, week
        assert "This week's anti-fraud tip" in en[0] and "96110" in en[0]
        assert not tips_to(await h.tick(), VILLAGE)  # once a week
        row = await h.services.db.fetch_one(
            "SELECT tip_id FROM group_tips WHERE chat_id = ? ORDER BY week DESC LIMIT 1",
            (VILLAGE.id,),
        )
        assert row is not None
        seen.append(int(row["tip_id"]))
    total = len(await h.services.fraud.repo.tips(enabled_only=True))
    assert total >= 24
    assert len(set(seen[:total])) == total  # no repeat until every tip was shown
    assert seen[total:] == seen[: 30 - total]  # then the same order again


async def test_tips_rights_pause_and_removed_group(harness: Harness) -> None:
    h = harness
    await team(h)
    await register_public(h, VILLAGE, "中文")
    resident = User(9900, "Resident")
    calls = await h.send(resident, "/tips", VILLAGE)
    assert "只有本所民警" in h.texts(calls)[0]
    calls = await h.send(MEMBER, "/tips", VILLAGE)
    assert "只有本所民警" in h.texts(calls)[0]
    await h.send(OFFICER, "/tips", VILLAGE)
    calls = await h.press_label(OFFICER, "暂停", VILLAGE)
    assert any("已暂停" in t for t in h.texts(calls))
    h.clock.set(MONDAY + timedelta(weeks=1))
    assert not tips_to(await h.tick(), VILLAGE)
    await h.press_label(OFFICER, "恢复", VILLAGE)
    await h.feed(builders.my_chat_member(CHIEF, VILLAGE, "member", "left"))  # bot removed
    h.clock.set(MONDAY + timedelta(weeks=2))
    assert not tips_to(await h.tick(), VILLAGE)


async def add_members(h: Harness, count: int) -> list[int]:
    office = (await h.services.org.repo.offices(1))[0]
    ids = []
    async with h.services.db.write():
        for n in range(count):
            person = await h.services.people.repo.add(
                tg_user_id=600_000 + n,
                name=f"队员{n}",
                role=Role.MEMBER,
                station_id=1,
                office_id=office.id,
                locale="zh_CN" if n % 2 else "en",
                at=h.clock.now(),
            )
            ids.append(person.tg_user_id)
    return ids


async def compose(h: Harness, text: str, other: str | None = None) -> None:
    h.clock.set(datetime.fromisoformat("2026-12-01T10:00:00+08:00"))
    await h.send(CHIEF, "/broadcast")
    await h.press_label(CHIEF, "所有巡防队员")
    await h.send(CHIEF, text)
    if other:
        await h.send(CHIEF, other)
    else:
        await h.press_label(CHIEF, "跳过")
    await h.press_label(CHIEF, "不配图")
    await h.press_label(CHIEF, "一般")


async def test_broadcast_preview_progress_summary_with_retry_after_and_blocked(
    harness: Harness,
) -> None:
    h = harness
    await setup_station(h)
    chats = await add_members(h, 40)
    h.tg.blocked.update(chats[:3])
    await compose(h, "今晚有大风，请关好门窗。", "Strong wind tonight: close doors and windows.")
    preview = h.last_text(CHIEF.id)
    assert "预览" in preview and "（40 处）" in preview and "大风" in preview
    h.tg.retry_after["sendMessage"] = 5
    await h.press_label(CHIEF, "发送")
    await h.app.sender.drain()
    progress = [c for c in h.tg.calls if c.chat_id == CHIEF.id and "通知 #1" in c.text]
    assert progress and "待发" in progress[0].text
    for _ in range(5):
        h.clock.advance(timedelta(seconds=5))
        await h.tick()
    english = [c for c in h.tg.calls if c.chat_id == chats[4] and c.method == "sendMessage"]
    assert english and "Strong wind" in english[0].text  # her language's version
    edits = [c for c in h.tg.calls if c.method == "editMessageText" and c.chat_id == CHIEF.id]
    assert any("发送完毕：送达 37，失败 3" in c.text for c in edits)
    summary = [c.text for c in h.tg.sent(CHIEF.id) if "发送完毕" in c.text][-1]
    assert summary.count("blocked") == 3
    # blocked people are marked and skipped next time
    await compose(h, "第二条通知")
    assert "（37 处）" in h.last_text(CHIEF.id)


async def test_backup_call_overtakes_a_600_recipient_broadcast(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    crowd = set(await add_members(h, 600))
    await compose(h, "防诈宣传周活动通知")
    send = next(d for label, d in h.tg.sent(CHIEF.id)[-1].buttons() if "发送" in label)
    await h.press(CHIEF, send, deliver=False)  # 600 rows queued in the bulk lane
    await h.send(MEMBER, "/backup", deliver=False)
    await h.app.sender.drain(min_priority=REPLY)  # the reply goes; the broadcast waits
    reason = next(d for label, d in h.tg.sent(MEMBER.id)[-1].buttons() if "纠纷升级" in label)
    await h.press(MEMBER, reason, deliver=False)  # the call comes while they wait
    await h.app.sender.drain()
    sends = [c for c in h.tg.calls if c.method == "sendMessage"]
    first_bulk = next(i for i, c in enumerate(sends) if "防诈宣传周" in c.text)
    alert = next(i for i, c in enumerate(sends) if "<b>支援请求 #1</b>" in c.text)
    assert alert < first_bulk + 20  # ahead of the broadcast's bulk, not after all 600
    assert sum("防诈宣传周" in c.text for c in sends if c.chat_id in crowd) == 600


async def test_broadcast_interrupted_and_resumed_without_duplicates(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "patrol.db")
    first = Harness(settings)
    await first.start()
    await setup_station(first)
    chats = await add_members(first, 60)
    await compose(first, "停电通知：明天上午检修。")
    send = next(d for label, d in first.tg.sent(CHIEF.id)[-1].buttons() if "发送" in label)
    await first.press(CHIEF, send, deliver=False)
    await first.app.sender.pump(limit=25)  # some go out...
    await asyncio.gather(*list(first.app.sender._tasks))
    sent_before = {
        c.chat_id for c in first.tg.calls if "停电通知" in c.text and c.chat_id != CHIEF.id
    }
    assert 0 < len(sent_before) < 60
    await first.stop()  # ...then the bot stops

    second = Harness(settings, clock=first.clock)
    await second.start()
    try:
        await second.app.sender.recover()
        await second.tick()
        sent_after = [
            c.chat_id for c in second.tg.calls if "停电通知" in c.text and c.chat_id != CHIEF.id
        ]
        assert sorted(cast("set[int]", set(sent_after) | sent_before)) == sorted(chats)
        assert not set(sent_after) & sent_before  # nobody twice
    finally:
        await second.stop()


async def test_broadcast_bad_input_and_rights(harness: Harness) -> None:
    h = harness
    await team(h)
    calls = await h.send(MEMBER, "/broadcast")
    assert "不能" in h.texts(calls)[0]
    await h.send(CHIEF, "/broadcast")
    await h.press_label(CHIEF, "所有巡防队员")
    calls = await h.send(CHIEF, "长" * 5000)
    assert "5000 字" in h.texts(calls)[0] and "4096" in h.texts(calls)[0]
    calls = await h.feed(builders.sticker(CHIEF))
    assert "用文字" in h.texts(calls)[0]
    count = await h.services.db.fetch_one("SELECT COUNT(*) FROM broadcasts")
    assert count is not None and count[0] == 0
    # an officer reaches only his office
    await h.send(OFFICER, "/broadcast")
    labels = [label for label, _ in h.tg.sent(OFFICER.id)[-1].buttons()]
    assert labels == ["一个警务室的群", "所有巡防队员"]


async def test_scam_check_for_anyone_and_report_for_members(harness: Harness) -> None:
    h = harness
    await team(h)
    stranger = User(9800, "Visitor", "en")
    forwarded = builders.text(
        stranger, "Click the link and enter the verification code to get your parcel."
    )
    forwarded["message"]["forward_origin"] = {
        "type": "hidden_user",
        "sender_user_name": "X",
        "date": 1790000000,
    }
    calls = await h.feed(forwarded)
    assert "looks like" in h.texts(calls)[0] and "96110" in h.texts(calls)[0]
    calls = await h.send(stranger, "/check")
    calls = await h.send(stranger, "Lunch at noon?")
    assert "No known scam pattern" in h.texts(calls)[0]
    sticker = builders.sticker(stranger)
    sticker["message"]["forward_origin"] = {
        "type": "hidden_user",
        "sender_user_name": "X",
        "date": 1790000000,
    }
    calls = await h.feed(sticker)
    assert "no text" in h.texts(calls)[0]
    counted = await h.services.db.fetch_all("SELECT scam_type FROM scam_checks ORDER BY id")
    assert [r["scam_type"] for r in counted] == ["link_sharing", None]

    await h.send(MEMBER, "/check 您好，这里是公安局，您涉嫌洗钱，请把钱转到安全账户。")
    assert "冒充公检法" in h.last_text(MEMBER.id)
    await h.press_label(MEMBER, "作为诈骗上报")
    draft = (await h.services.conversations.get(MEMBER.id, MEMBER.id))[2]["draft"]  # type: ignore[index]
    assert draft["category"] == "fraud" and "安全账户" in draft["description"]


async def test_a_tips_press_that_fails_after_writing_changes_nothing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pause button writes the group's setting, then redraws the menu; if the redraw
    fails (here: the view raises), the write is undone with the update — as every other
    feature's press — and the officer is told the button is no longer valid."""
    from handlers import fraud as fraud_handlers

    h = harness
    await team(h)
    await register_public(h, VILLAGE, "中文")
    await h.send(OFFICER, "/tips", VILLAGE)

    async def broken_view(*args: object) -> object:
        raise ValueError("the view could not be drawn")

    monkeypatch.setattr(fraud_handlers, "_group_view", broken_view)
    calls = await h.press_label(OFFICER, "暂停", VILLAGE)
    row = await h.services.db.fetch_one(
        "SELECT tips_paused FROM chat_groups WHERE chat_id = ?", (VILLAGE.id,)
    )
    assert row is not None and row["tips_paused"] == 0  # rolled back
    assert calls and not any("已暂停" in t for t in h.texts(calls))


# --- Anti-fraud edge cases, each as the person who would hit it ---------------------------------
SMALL = Chat(-4610, "group", "东关村民小群")
SUPER = Chat(-1004610, "supergroup", "东关村民群")


async def test_a_group_upgraded_to_a_supergroup_keeps_getting_its_tips_in_order(
    harness: Harness,
) -> None:
    h = harness
    await setup_station(h)
    await register_public(h, SMALL, "中文")
    h.clock.set(MONDAY)
    await h.tick()
    first = await h.services.db.fetch_one(
        "SELECT tip_id FROM group_tips WHERE chat_id = ?", (SMALL.id,)
    )
    # Telegram says the chat moved before the bot saw the service message
    h.tg.migrated[SMALL.id] = SUPER.id
    h.clock.set(MONDAY + timedelta(weeks=1))
    calls = await h.tick()
    assert tips_to(calls, SUPER)  # delivered to the new id
    rows = await h.services.db.fetch_all(
        "SELECT tip_id FROM group_tips WHERE chat_id = ? ORDER BY week", (SUPER.id,)
    )
    assert first is not None and rows[0]["tip_id"] == first["tip_id"]
    assert len({r["tip_id"] for r in rows}) == 2  # the rotation went on, no repeat
    group = await h.services.groups.get(SUPER.id)
    assert group is not None and group.kind == "public"


async def test_forwarding_during_a_report_keeps_the_draft(harness: Harness) -> None:
    h = harness
    await team(h)
    await h.send(MEMBER, "/report")
    await h.press_label(MEMBER, "交通")
    forwarded = builders.text(MEMBER, "您好，这里是公安局，您涉嫌洗钱，请转到安全账户。")
    forwarded["message"]["forward_origin"] = {
        "type": "hidden_user",
        "sender_user_name": "X",
        "date": 1790000000,
    }
    calls = await h.feed(forwarded)
    assert "冒充公检法" in h.texts(calls)[0]
    row = await h.services.conversations.get(MEMBER.id, MEMBER.id)
    assert row is not None and row[0] == "report" and row[1] == "report:danger"
    await h.press_label(MEMBER, "作为诈骗上报")
    assert "先完成" in h.tg.alerts()[-1]


async def test_the_broadcast_summary_comes_with_the_last_delivery(harness: Harness) -> None:
    """The summary is sent when the last group's (or person's) delivery is recorded — not
    up to a minute later by the periodic job (which is not run here at all)."""
    h = harness
    await setup_station(h)
    chats = await add_members(h, 10)
    h.tg.blocked.add(chats[0])
    await compose(h, "今晚有大风，请关好门窗。")
    await h.press_label(CHIEF, "发送")  # the sender delivers all ten; no minute job runs
    summary = [c.text for c in h.tg.sent(CHIEF.id) if "发送完毕" in c.text]
    assert summary and "送达 9，失败 1" in summary[-1] and "blocked" in summary[-1]
    broadcast = await h.services.fraud.repo.broadcast(1)
    assert broadcast is not None and broadcast["status"] == "done"
    await h.tick()  # the minute job finds nothing left to summarise: once
    summaries = [c for c in h.tg.sent(CHIEF.id) if "发送完毕" in c.text]
    assert [c.method for c in summaries] == ["editMessageText", "sendMessage"]
