"""Report holes found in review, each as the person who would hit it."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.reports import Outcome, ReportStatus
from tests import builders
from tests.builders import Chat, User
from tests.flows import invite, onboard
from tests.harness import Harness
from tests.test_onboarding import CHIEF
from tests.test_reports import (
    LAT,
    LON,
    MEMBER,
    OFFICER,
    OFFICER2,
    _person,
    latest_report,
    submit_dispute,
    team,
)

STAFF = Chat(-100300, "supergroup", "所部工作群")
VILLAGE = Chat(-100301, "supergroup", "东关村民群")


async def register(h: Harness, chat: Chat, kind: str) -> None:
    await h.feed(builders.my_chat_member(CHIEF, chat, "left", "member"))
    await h.send(CHIEF, "/register", chat)
    await h.press_label(CHIEF, kind, chat)
    await h.press_label(CHIEF, "整个派出所", chat)
    await h.press_label(CHIEF, "中文", chat)


async def test_voice_and_photos_reach_whoever_gets_the_card(harness: Harness) -> None:
    h = harness
    await team(h)
    await h.send(MEMBER, "/report")
    await h.press_label(MEMBER, "其他")
    await h.press_label(MEMBER, "否")
    calls = await h.feed(builders.voice(MEMBER))
    await h.feed(builders.location(MEMBER, LAT, LON))
    await h.feed(builders.photo(MEMBER))
    await h.press_label(MEMBER, "完成")
    await h.press_label(MEMBER, "一般")
    calls = await h.press_label(MEMBER, "提交")
    methods = [c.method for c in calls if c.chat_id == OFFICER.id]
    assert methods == ["sendMessage", "sendLocation", "sendPhoto", "sendVoice"]
    report = await latest_report(h)
    calls = await h.press(OFFICER, f"rp:hand:{report.id}")
    calls = await h.press_label(OFFICER, "赵警官")
    methods = [c.method for c in calls if c.chat_id == OFFICER2.id]
    assert methods == ["sendMessage", "sendLocation", "sendPhoto", "sendVoice"]


async def test_moved_officer_reports_go_back_and_notes_follow_the_office(
    harness: Harness,
) -> None:
    h = harness
    await team(h)
    report_id = await submit_dispute(h)
    await h.press(OFFICER, f"rp:go:{report_id}")
    await h.send(CHIEF, "/areas")
    await h.press_label(CHIEF, "➕ 警务室")
    await h.send(CHIEF, "西山警务室")
    officer = await _person(h, OFFICER)
    await h.press(CHIEF, f"ros:p:{officer.id}")
    await h.press_label(CHIEF, "调动警务室")
    calls = await h.press_label(CHIEF, "西山警务室")
    assert any("退回警务室待办" in t for t in h.texts(calls, OFFICER2.id))
    report = await h.services.reports.repo.get(report_id)
    assert report is not None and report.status is ReportStatus.NEW and report.owner_id is None
    # the reporter cannot withdraw a report an officer was already going to
    await h.press(MEMBER, f"rp:wd:{report_id}")
    assert "不能撤回" in h.tg.alerts()[-1]
    # the reporter's note goes to the office, not to the moved officer
    await h.press(MEMBER, f"rp:note:{report_id}")
    calls = await h.send(MEMBER, "他们又吵起来了")
    assert any("又吵起来了" in t for t in h.texts(calls, OFFICER2.id))
    assert not h.texts(calls, OFFICER.id)
    # and the returned report is reminded again
    h.clock.advance(timedelta(hours=2, minutes=1))
    calls = await h.tick()
    assert any("仍未接收" in t for t in h.texts(calls, OFFICER2.id))


async def test_forged_show_in_groups_posts_nothing(harness: Harness) -> None:
    h = harness
    await team(h)
    report_id = await submit_dispute(h)
    await register(h, STAFF, "工作群")
    for chat in (VILLAGE, STAFF):
        calls = await h.press(CHIEF, f"rp:show:{report_id}", chat)
        assert [c for c in calls if c.method == "sendMessage"] == []
        calls = await h.press(CHIEF, "rp:list:open:0", chat)
        assert [c for c in calls if c.method in ("sendMessage", "editMessageText")] == []
    # in a village group even a card action is refused
    await h.press(CHIEF, f"rp:ack:{report_id}", VILLAGE)
    assert h.tg.alerts()[-1].startswith("⛔")


async def test_resolving_from_the_staff_group_asks_in_private(harness: Harness) -> None:
    h = harness
    await team(h)
    report_id = await submit_dispute(h)
    await register(h, STAFF, "工作群")
    await h.press(CHIEF, f"rp:res:{report_id}", STAFF)
    calls = await h.press(CHIEF, f"rp:out:{report_id}:mediated", STAFF)
    assert any("简要说明" in c.text for c in calls if c.chat_id == CHIEF.id)
    await h.send(CHIEF, "x" * 1200)
    assert "最多 1000" in h.last_text(CHIEF.id)
    calls = await h.send(CHIEF, "已调解")
    report = await h.services.reports.repo.get(report_id)
    assert report is not None and report.status is ReportStatus.RESOLVED
    assert report.outcome_note == "已调解"


async def test_answer_button_does_not_wipe_an_open_draft(harness: Harness) -> None:
    h = harness
    await team(h)
    report_id = await submit_dispute(h)
    await h.press(OFFICER, f"rp:info:{report_id}")
    await h.send(OFFICER, "几个人？")
    await h.send(MEMBER, "/report")
    await h.press_label(MEMBER, "交通")
    await h.press(MEMBER, f"rp:answer:{report_id}")
    assert "先完成" in h.tg.alerts()[-1]
    row = await h.services.conversations.get(MEMBER.id, MEMBER.id)
    assert row is not None and row[0] == "report" and row[1] == "report:danger"


async def test_refused_reopen_does_not_trap_the_person(harness: Harness) -> None:
    h = harness
    await team(h)
    report_id = await submit_dispute(h)
    await h.services.reports.resolve(await _person(h, OFFICER), report_id, Outcome.MEDIATED, None)
    await h.press(MEMBER, f"rp:reopen:{report_id}")
    h.clock.advance(timedelta(days=8))
    calls = await h.send(MEMBER, "没解决")
    assert "超过 7 天" in h.texts(calls)[0]
    calls = await h.send(MEMBER, "hello")
    assert "没看懂" in h.texts(calls)[0]


async def test_answer_reaches_the_duty_person_who_asked(harness: Harness) -> None:
    h = harness
    await team(h)
    duty = User(2600, "Duty")
    await onboard(h, duty, await invite(h, CHIEF, "值班室"), "值班员")
    report_id = await submit_dispute(h)
    await h.press(duty, f"rp:info:{report_id}")
    await h.send(duty, "现场有几个人？")
    await h.press_label(MEMBER, "回复")
    calls = await h.send(MEMBER, "三个")
    assert any("三个" in t for t in h.texts(calls, duty.id))


async def test_editing_the_location_forgets_the_old_one(harness: Harness) -> None:
    h = harness
    await team(h)
    await h.send(MEMBER, "/report")
    await h.press_label(MEMBER, "安全隐患")
    await h.press_label(MEMBER, "否")
    await h.send(MEMBER, "井盖丢了")
    await h.feed(builders.location(MEMBER, LAT, LON))
    await h.press_label(MEMBER, "完成")
    await h.press_label(MEMBER, "一般")
    await h.press_label(MEMBER, "改位置")
    await h.send(MEMBER, "东关村小学门口")
    draft = (await h.services.conversations.get(MEMBER.id, MEMBER.id))[2]["draft"]  # type: ignore[index]
    assert draft["latitude"] is None and draft["address"] == "东关村小学门口"


async def test_officer_can_reopen_and_numbers_use_the_local_year(harness: Harness) -> None:
    h = harness
    await team(h)
    h.clock.set(datetime.fromisoformat("2027-01-01T06:00:00+08:00"))
    report_id = await submit_dispute(h)
    report = await h.services.reports.repo.get(report_id)
    assert report is not None and report.number == "#2027-0001"
    await h.services.reports.resolve(await _person(h, OFFICER), report_id, Outcome.MEDIATED, None)
    calls = await h.send(OFFICER, "/reports 2027-0001")
    labels = [label for c in calls for label, _ in c.buttons()]
    assert "🔄 重新打开" in labels
    await h.press_label(OFFICER, "重新打开")
    calls = await h.send(OFFICER, "当事人反映未解决")
    assert any("重新打开" in t for t in h.texts(calls, MEMBER.id))
