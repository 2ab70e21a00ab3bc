"""Backup requests and the escalation chain through the real application, with a clock the
test moves and jobs run by calling them (no sleeping)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from models.backup import BackupStatus, plan
from models.rails import Timer
from models.services import timers
from models.services.timers import TimerKind
from models.store.writelock import BACKGROUND, NORMAL
from tests import builders
from tests.builders import Chat, User
from tests.flows import (
    CHIEF,
    DUTY,
    LAT,
    LON,
    MEMBER,
    OFFICER,
    OFFICER2,
    OPERATOR,
    alerted,
    ask_backup,
    invite,
    onboard,
    person_of,
    register,
    team,
    with_duty,
)
from tests.harness import Harness, make_settings


async def test_policy_plan_repeats_steps_2_and_3_then_final() -> None:
    steps = plan((180, 300, 300))
    assert [s.kind.value for s in steps] == [
        "paired",
        "office",
        "chief",
        "office",
        "chief",
        "office",
        "chief",
        "office",
        "chief",
        "final",
    ]
    assert [s.wait_seconds for s in steps[:3]] == [180, 300, 300]
    assert plan((60,))[2].wait_seconds == 60


async def test_claim_at_step_1_stops_the_chain(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    calls = await h.send(MEMBER, "/backup")
    assert "110" in h.texts(calls)[0]
    calls = await h.press_label(MEMBER, "纠纷升级")
    assert alerted(calls, OFFICER.id) and not alerted(calls, OFFICER2.id)
    assert not alerted(calls, DUTY.id)
    assert any("第 1 步" in t for t in h.texts(calls, MEMBER.id))
    calls = await h.feed(builders.location(MEMBER, LAT, LON))
    assert any(c.method == "sendLocation" and c.chat_id == OFFICER.id for c in calls)

    calls = await h.press_label(OFFICER, "我去")
    assert any("李警官 正在赶来" in t and "+8613800000002" in t for t in h.texts(calls, MEMBER.id))
    request = await h.services.backup.repo.get(1)
    assert request is not None and request.status is BackupStatus.CLAIMED
    assert request.claimed_at is not None
    h.clock.advance(timedelta(minutes=30))
    calls = await h.tick()
    assert not any(alerted(calls, chat) for chat in (OFFICER2.id, DUTY.id, CHIEF.id))

    await h.press_label(OFFICER, "已到场")
    await h.press_label(OFFICER, "已处理")
    calls = await h.send(OFFICER, "双方已劝开")
    assert any("已由 李警官 处理完毕" in t for t in h.texts(calls, MEMBER.id))
    request = await h.services.backup.repo.get(1)
    assert request is not None and request.status is BackupStatus.RESOLVED
    assert request.arrived_at is not None and request.note == "双方已劝开"


async def test_unanswered_chain_reaches_office_duty_chief_repeats_and_final_alert(
    harness: Harness,
) -> None:
    h = harness
    await with_duty(h)
    await ask_backup(h)
    h.clock.advance(timedelta(seconds=179))
    early = await h.tick()
    assert not any(alerted(early, c) for c in (OFFICER2.id, DUTY.id))
    h.clock.advance(timedelta(seconds=1))
    calls = await h.tick()
    assert alerted(calls, OFFICER.id) and alerted(calls, OFFICER2.id) and alerted(calls, DUTY.id)
    assert not alerted(calls, CHIEF.id)
    assert any("第 2 步" in t for t in h.texts(calls, MEMBER.id))
    h.clock.advance(timedelta(seconds=300))
    calls = await h.tick()
    assert alerted(calls, CHIEF.id) and not alerted(calls, OFFICER2.id)
    for _ in range(3):  # steps 2 and 3 again, three times
        h.clock.advance(timedelta(seconds=300))
        assert alerted(await h.tick(), DUTY.id)
        h.clock.advance(timedelta(seconds=300))
        assert alerted(await h.tick(), CHIEF.id)
    h.clock.advance(timedelta(seconds=300))
    calls = await h.tick()
    finals = [c for c in calls if "无人响应" in c.text or "unanswered" in c.text]
    assert {c.chat_id for c in finals} == {CHIEF.id, DUTY.id, OPERATOR.id}
    h.clock.advance(timedelta(hours=1))
    assert await h.tick() == []  # the chain has ended
    # the audit lists every step with who was reached
    events = await h.services.backup.repo.events(1)
    assert [e.kind.value for e in events].count("step") == 10


async def test_two_officers_pressing_at_once_leave_exactly_one_owner(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    request_id = await ask_backup(h)
    h.clock.advance(timedelta(seconds=180))
    await h.tick()
    await asyncio.gather(
        h.press(OFFICER, f"bk:go:{request_id}"), h.press(OFFICER2, f"bk:go:{request_id}")
    )
    request = await h.services.backup.repo.get(request_id)
    assert request is not None and request.status is BackupStatus.CLAIMED
    assert h.tg.alerts()[-1].endswith("已经在路上了。")
    events = [e.kind.value for e in await h.services.backup.repo.events(request_id)]
    assert events.count("claimed") == 1
    # everyone else notified sees their alert edited to "<name> is going"
    owner = await h.services.people.get(request.owner_id or 0)
    assert owner is not None
    edits = [c for c in h.tg.calls if c.method == "editMessageText" and "正在前往" in c.text]
    assert {c.chat_id for c in edits} >= {DUTY.id}
    assert all(owner.name in c.text for c in edits)


async def test_off_duty_and_blocked_officers_are_skipped(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    await h.send(OFFICER, "/duty")
    await h.press_label(OFFICER, "离岗")
    h.tg.blocked.add(OFFICER2.id)
    request_id = await ask_backup(h)
    # step 1 (the paired officer is off duty) went on at once to step 2
    request = await h.services.backup.repo.get(request_id)
    assert request is not None and request.step_index == 1
    calls = h.tg.calls
    assert not alerted(calls, OFFICER.id)
    assert alerted(calls, DUTY.id)
    events = [e.kind.value for e in await h.services.backup.repo.events(request_id)]
    assert "nobody" in events and "unreachable" in events
    # the duty desk says it cannot go: everyone at step 2 declined or is unreachable -> step 3
    calls = await h.press_label(DUTY, "去不了")
    assert alerted(calls, CHIEF.id)


async def test_restart_after_a_deadline_fires_the_step_once(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "patrol.db")
    first = Harness(settings)
    await first.start()
    await with_duty(first)
    await ask_backup(first)
    await first.stop()

    first.clock.advance(timedelta(minutes=10))  # the bot was down past the deadline
    second = Harness(settings, clock=first.clock)
    await second.start()
    try:
        calls = await second.tick()
        assert alerted(calls, DUTY.id)
        assert not alerted(calls, CHIEF.id)  # one step, not every missed one at once
        assert not alerted(await second.tick(), DUTY.id)
        events = [e.kind.value for e in await second.services.backup.repo.events(1)]
        assert events.count("step") == 2
    finally:
        await second.stop()


async def test_member_cancels_and_everyone_notified_is_told(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    request_id = await ask_backup(h)
    h.clock.advance(timedelta(seconds=180))
    await h.tick()
    calls = await h.press(MEMBER, f"bk:cancel:{request_id}")
    cancelled = [c for c in calls if c.method == "editMessageText" and "取消" in c.text]
    assert {c.chat_id for c in cancelled} >= {OFFICER.id, OFFICER2.id, DUTY.id}
    h.clock.advance(timedelta(hours=1))
    assert await h.tick() == []
    # a cancel after the end, and a location long after, are answered clearly
    await h.press(MEMBER, f"bk:cancel:{request_id}")
    assert "已经结束" in h.tg.alerts()[-1]
    calls = await h.feed(builders.location(MEMBER, LAT, LON))
    assert "已经结束" in h.texts(calls)[0]


async def test_policy_edits_do_not_touch_running_requests(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    request_id = await ask_backup(h)
    await h.send(CHIEF, "/settings")
    await h.press_label(CHIEF, "支援升级等待")
    await h.send(CHIEF, "20,20,20")
    request = await h.services.backup.repo.get(request_id)
    assert request is not None and request.waits == (180, 300, 300)
    h.clock.advance(timedelta(seconds=30))
    calls = await h.tick()
    assert not alerted(calls, DUTY.id)  # still the old 180 s
    await h.press(MEMBER, f"bk:cancel:{request_id}")
    second = await ask_backup(h)
    request = await h.services.backup.repo.get(second)
    assert request is not None and request.waits == (20, 20, 20)


async def test_rights_and_bad_input(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    request_id = await ask_backup(h)
    # a member pressing "on my way" with a forged button
    await h.press(MEMBER, f"bk:go:{request_id}")
    assert h.tg.alerts()[-1].startswith("⛔")
    # an officer of another station
    from tests.flows import add_station

    await add_station(h, "西山派出所")
    other = User(2700, "Other")
    code = await invite(h, OPERATOR, "station chief", "西山派出所")
    await onboard(h, other, code, "周所长")
    await h.press(other, f"bk:go:{request_id}")
    assert h.tg.alerts()[-1].startswith("⛔")
    request = await h.services.backup.repo.get(request_id)
    assert request is not None and request.status is BackupStatus.OPEN
    # a second request while one is open shows the open one
    calls = await h.send(MEMBER, "/backup")
    assert "进行中的支援请求 #1" in h.texts(calls)[0]
    count = await h.services.db.fetch_one("SELECT COUNT(*) FROM backup_requests")
    assert count is not None and count[0] == 1
    # in a group: no details, a pointer to the private chat
    calls = await h.send(MEMBER, "/backup", Chat(-100900, "supergroup", "村民群"))
    assert "私聊" in h.texts(calls)[0]
    # an officer can see the audit with /backup <id>; the member's own too
    calls = await h.send(OFFICER, f"/backup {request_id}")
    assert "支援请求 #1" in h.texts(calls)[0] and "通知" in h.texts(calls)[0]


async def test_backup_from_the_report_danger_question(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    await h.send(MEMBER, "/report")
    await h.press_label(MEMBER, "矛盾纠纷")
    await h.press_label(MEMBER, "是")
    calls = await h.press_label(MEMBER, "立即请求民警支援")
    assert alerted(calls, OFFICER.id)
    await h.send(MEMBER, "有人动手了")
    await h.feed(builders.location(MEMBER, LAT, LON))
    await h.press_label(MEMBER, "完成")
    await h.press_label(MEMBER, "提交")
    request = await h.services.backup.repo.get(1)
    assert request is not None and request.report_id == 1 and request.latitude == LAT


async def test_live_location_is_followed(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    request_id = await ask_backup(h)
    await h.feed(builders.location(MEMBER, LAT, LON))
    moved = builders.location(MEMBER, LAT + 0.002, LON)
    message = moved.pop("message")
    message["edit_date"] = message["date"] + 30
    await h.feed({**moved, "edited_message": message})
    request = await h.services.backup.repo.get(request_id)
    assert request is not None and request.latitude == LAT + 0.002


# --- Backup edge cases, each as the person who would hit it ---------------------------------
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
    officer = await person_of(h, OFFICER)
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


async def test_a_backup_call_goes_before_the_mornings_queued_timers(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 07:00 every office's publication and reminder comes due at once, each timer's job
    queuing for the write lock; a backup call arriving then is written before those queued
    timers (not after all of them, as a first-come lock would have it), and its escalation
    step before them too."""
    h = harness
    # each background transaction's time is up after one timer (the first takes its time)
    monkeypatch.setattr(timers, "SLICE_SECONDS", 0.0, raising=False)
    await with_duty(h)
    await h.send(MEMBER, "/backup")
    gate = asyncio.Event()
    seen: list[int] = []  # for each morning timer: how many backup calls existed when it ran

    async def morning(timer: Timer) -> None:
        if timer.key == "morning:0":
            await gate.wait()  # the first holds the lock while the others and the call queue
        row = await h.services.db.fetch_one("SELECT COUNT(*) n FROM backup_requests")
        seen.append(int(row["n"]) if row else -1)

    h.services.timers.register(TimerKind("morning", morning))
    for i in range(20):
        await h.services.timers.schedule("morning", f"morning:{i}", h.clock.now())
    lock = h.services.db._write_lock
    jobs = [asyncio.create_task(h.services.timers.fire(f"morning:{i}")) for i in range(20)]
    while lock.waiting(BACKGROUND) < 19:  # noqa: ASYNC110  (the first holds it; 19 wait)
        await asyncio.sleep(0)
    call = asyncio.create_task(h.press_label(MEMBER, "纠纷升级"))
    while lock.waiting(NORMAL) < 1:  # noqa: ASYNC110  (the call waits too)
        await asyncio.sleep(0)
    gate.set()
    calls = await call
    await asyncio.gather(*jobs)
    assert alerted(calls, OFFICER.id)
    # the press is recorded (one transaction), then handled (the next): one background
    # slice may run between the two; every other queued timer ran after the call
    assert len(seen) == 20 and seen.count(0) <= 2, seen
    done = await h.services.db.fetch_one(
        "SELECT COUNT(*) n FROM timers WHERE kind = 'morning' AND done_at IS NOT NULL"
    )
    assert done is not None and done["n"] == 20  # (each ran, in slices, once)


async def test_an_officer_who_cannot_go_is_not_alerted_again_by_the_next_step(
    harness: Harness,
) -> None:
    """The paired officer says "去不了": the chain moves on at once to the office step, which
    alerts the other officer and the duty desk — not the one who just declined; they see that
    the call goes on without them. Nor do the office step's repeats alert them again."""
    h = harness
    await with_duty(h)
    request_id = await ask_backup(h)
    assert alerted(h.tg.calls, OFFICER.id)
    calls = await h.press_label(OFFICER, "去不了")
    assert alerted(calls, OFFICER2.id) and alerted(calls, DUTY.id)  # step 2, at once
    assert not alerted(calls, OFFICER.id)
    assert any("不会再提醒您" in t for t in h.texts(calls, OFFICER.id))
    steps: list[str] = []
    for _ in range(12):  # every deadline of the chain, to its final alert
        h.clock.advance(timedelta(minutes=5))
        calls = await h.tick()
        request = await h.services.backup.repo.get(request_id)
        assert request is not None
        steps.append(request.steps[request.step_index].kind.value)
        assert not alerted(calls, OFFICER.id), steps
    assert "office" in steps[1:] and steps[-1] == "final"  # (the office step came again)


async def test_the_only_officer_left_is_alerted_again_rather_than_nobody(
    harness: Harness,
) -> None:
    """When the one who declined is the only person a later step could reach, the step
    alerts them rather than nobody (a call is never left with nobody told)."""
    h = harness
    await team(h)  # no duty desk
    await h.send(OFFICER2, "/duty")
    await h.press_label(OFFICER2, "离岗")  # the office's other officer is off duty
    h.tg.clear()
    await ask_backup(h)
    assert alerted(h.tg.calls, OFFICER.id)
    calls = await h.press_label(OFFICER, "去不了")
    assert alerted(calls, OFFICER.id)  # the office step: they are the only one left


async def test_a_backup_call_that_cannot_be_made_is_never_silent(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The call fails as it is made (here: the service raises): the member is not told
    "something went wrong" but that her call did not go through, with 110 and her officer's
    phone, and the operator is alerted naming her; nothing half-made is kept."""
    h = harness
    await with_duty(h)
    await h.send(MEMBER, "/backup")

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk controller on fire")

    monkeypatch.setattr(h.services.backup, "create", broken)
    calls = await h.press_label(MEMBER, "纠纷升级")
    told = " ".join(h.texts(calls, MEMBER.id))
    assert "您的支援请求没有发出去" in told and "110" in told and "+8613800000002" in told
    assert "出了点问题" not in told
    operator = " ".join(h.texts(calls, OPERATOR.id))
    assert "reached nobody" in operator and "王芳" in operator and "Dispute" in operator
    row = await h.services.db.fetch_one("SELECT COUNT(*) n FROM backup_requests")
    assert row is not None and row["n"] == 0


async def test_a_backup_call_that_reaches_nobody_tells_the_member_and_the_operators(
    harness: Harness,
) -> None:
    """Every alert of the chain fails (everyone blocked the bot): when the chain runs out,
    the member is told at once to call 110, and the operators' alert names the call."""
    h = harness
    await team(h)
    await h.send(OPERATOR, "/help")
    h.tg.blocked |= {OFFICER.id, OFFICER2.id, CHIEF.id, OPERATOR.id}
    request_id = await ask_backup(h)
    for _ in range(12):
        h.clock.advance(timedelta(minutes=5))
        await h.tick()
    told = " ".join(h.texts(h.tg.calls, MEMBER.id))
    events = [e.kind.value for e in await h.services.backup.repo.events(request_id)]
    assert f"您的支援请求 #{request_id} 没有送达任何民警" in told and "110" in told
    notices = await h.services.outbox.repo.by_ref(f"backup:{request_id}:not_through")
    assert {n.chat_id for n in notices} == {MEMBER.id, OPERATOR.id}  # (the operator's failed)
    events = [e.kind.value for e in await h.services.backup.repo.events(request_id)]
    assert events.count("not_through") == 1


async def test_backup_in_a_group_gives_one_tap_to_the_private_question(harness: Harness) -> None:
    """/backup in a group: nothing of the call there, but a button opening the private chat
    straight at the reason question (deep link /start backup), as /report has."""
    h = harness
    await with_duty(h)
    group = Chat(-100900, "supergroup", "东关村民群")
    calls = await h.send(MEMBER, "/backup", group)
    assert len(calls) == 1 and "私聊" in calls[0].text and "110" in calls[0].text
    assert calls[0].buttons()[0] == ("🚨 私聊请求支援", "https://t.me/MulanPatrolBot?start=backup")
    calls = await h.send(MEMBER, "/start backup")
    assert "什么情况" in h.texts(calls)[0]
    calls = await h.press_label(MEMBER, "纠纷升级")  # and the call is made from there
    assert alerted(calls, OFFICER.id)


async def test_a_step_that_cannot_run_is_told_at_once_and_retried(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault in the chain's second step (here: injected into the escalation engine): the
    member hears at once to call 110 or her officers, every operator to call her — once,
    not at each retry — and when the fault is gone the retry alerts the duty desk as the
    step would have. The call's timeline says so."""
    h = harness
    await with_duty(h)
    await h.send(OPERATOR, "/help")
    request_id = await ask_backup(h)
    engine = h.app.escalation
    real = engine.run_step

    async def faulty(request: int, index: int) -> None:
        raise RuntimeError("a fault in the second step")

    monkeypatch.setattr(engine, "run_step", faulty)
    h.tg.clear()
    h.clock.advance(timedelta(minutes=3))
    await h.tick()
    member = " ".join(h.texts(h.tg.calls, MEMBER.id))
    assert f"您的支援请求 #{request_id} 在转给下一批人时出现故障" in member and "110" in member
    assert "李警官 +8613800000002" in member  # her officer, to call directly
    operator = " ".join(h.texts(h.tg.calls, OPERATOR.id))
    assert f"Backup request #{request_id}: step 2 could not be sent" in operator  # (in English)
    assert "王芳" in operator and "call her now" in operator
    assert not alerted(h.tg.calls, DUTY.id)
    h.tg.clear()
    h.clock.advance(timedelta(seconds=31))
    await h.tick()  # the retry fails again: nobody is told twice
    assert not h.texts(h.tg.calls, MEMBER.id) and not h.texts(h.tg.calls, OPERATOR.id)
    monkeypatch.setattr(engine, "run_step", real)
    h.clock.advance(timedelta(seconds=31))
    await h.tick()  # the fault is gone: the retry runs the step
    assert alerted(h.tg.calls, DUTY.id)
    calls = await h.send(OFFICER, f"/backup {request_id}")
    assert "第 2 步未能发出，每 30 秒重试" in h.texts(calls)[0]
