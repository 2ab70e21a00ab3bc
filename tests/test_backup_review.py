"""Backup holes found in review, each as the person who would hit it."""

from __future__ import annotations

from datetime import timedelta

from models.backup import BackupStatus
from tests import builders
from tests.builders import Chat
from tests.harness import Harness
from tests.test_backup import DUTY, alerted, ask_backup, with_duty
from tests.test_onboarding import CHIEF
from tests.test_reports import LAT, LON, MEMBER, OFFICER, OFFICER2, _person
from tests.test_reports_review import register

STAFF = Chat(-100300, "supergroup", "所部工作群")


async def to_step_2(h: Harness) -> int:
    request_id = await ask_backup(h)
    h.clock.advance(timedelta(seconds=180))
    await h.tick()
    return request_id


async def test_staff_group_cannot_go_is_one_persons_answer(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    await register(h, STAFF, "工作群")
    request_id = await to_step_2(h)
    assert alerted(h.tg.calls, STAFF.id) and not alerted(h.tg.calls, DUTY.id)  # the desk once
    before = len([c for c in h.tg.calls if c.method == "editMessageText"])
    await h.press(CHIEF, f"bk:no:{request_id}", STAFF)
    assert "其他人仍可接下" in h.tg.alerts()[-1]
    assert len([c for c in h.tg.calls if c.method == "editMessageText"]) == before
    # both officers say no in private: the group has not declined, so no jump to step 3
    await h.press(OFFICER, f"bk:no:{request_id}")
    calls = await h.press(OFFICER2, f"bk:no:{request_id}")
    assert not alerted(calls, CHIEF.id)
    # someone in the group takes it: the group sees who, their buttons come in private
    calls = await h.press(OFFICER2, f"bk:go:{request_id}", STAFF)
    private = [c for c in calls if c.chat_id == OFFICER2.id and c.method == "sendMessage"]
    assert private and "已到场" in private[0].buttons()[0][0]
    assert any("赵警官 正在前往" in c.text for c in calls if c.chat_id == STAFF.id)
    await h.press(OFFICER2, f"bk:res:{request_id}")  # from the buttons in private
    calls = await h.send(OFFICER2, "已处置")
    request = await h.services.backup.repo.get(request_id)
    assert request is not None and request.status is BackupStatus.RESOLVED


async def test_backup_and_cancel_during_a_report_keep_the_draft(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    await h.send(MEMBER, "/report")
    await h.press_label(MEMBER, "矛盾纠纷")
    await h.press_label(MEMBER, "是")
    await h.press_label(MEMBER, "立即请求民警支援")
    await h.press(MEMBER, "bk:cancel:1")
    row = await h.services.conversations.get(MEMBER.id, MEMBER.id)
    assert row is not None and row[0] == "report"


async def test_claiming_officer_suspended_restarts_the_chain(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    request_id = await ask_backup(h)
    await h.press(OFFICER, f"bk:go:{request_id}")
    officer = await _person(h, OFFICER)
    await h.press(CHIEF, f"ros:p:{officer.id}")
    calls = await h.press_label(CHIEF, "停用")
    assert any("无法继续前往" in t for t in h.texts(calls, MEMBER.id))
    request = await h.services.backup.repo.get(request_id)
    assert request is not None and request.status is BackupStatus.OPEN
    assert alerted(calls, OFFICER2.id)  # paired officer gone: the office is alerted


async def test_off_duty_chief_is_skipped(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    await h.send(CHIEF, "/duty")
    await h.press_label(CHIEF, "离岗")
    await to_step_2(h)
    h.clock.advance(timedelta(seconds=300))
    calls = await h.tick()
    assert not alerted(calls, CHIEF.id)


async def test_live_location_is_forwarded_to_officers(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    await ask_backup(h)
    live = builders.location(MEMBER, LAT, LON)
    live["message"]["location"]["live_period"] = 900
    calls = await h.feed(live)
    forwards = [c for c in calls if c.method == "forwardMessage"]
    assert [c.chat_id for c in forwards] == [OFFICER.id]
    h.clock.advance(timedelta(seconds=180))
    calls = await h.tick()
    assert {c.chat_id for c in calls if c.method == "forwardMessage"} >= {OFFICER2.id, DUTY.id}


async def test_location_after_close_does_not_trap_the_member(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    request_id = await ask_backup(h)
    await h.press(OFFICER, f"bk:go:{request_id}")
    await h.press(OFFICER, f"bk:res:{request_id}")
    await h.press_label(OFFICER, "跳过")
    calls = await h.feed(builders.location(MEMBER, LAT, LON))
    assert "已经结束" in h.texts(calls)[0]
    calls = await h.send(MEMBER, "hello")
    assert "没看懂" in h.texts(calls)[0]


async def test_officers_own_call_starts_with_the_other_officers(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    await h.send(OFFICER, "/backup")
    calls = await h.press_label(OFFICER, "可疑人员")
    assert alerted(calls, OFFICER2.id)
    assert not alerted(calls, DUTY.id) and not alerted(calls, OFFICER.id)


async def test_member_is_told_when_nobody_answers(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    await ask_backup(h)
    for _ in range(12):
        h.clock.advance(timedelta(seconds=300))
        calls = await h.tick()
        if any("暂无民警响应" in t for t in h.texts(calls, MEMBER.id)):
            break
    else:
        raise AssertionError("the member was never told that nobody answered")
