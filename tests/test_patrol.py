"""The patrol day through the real application, with a clock the test moves: plan at 20:00
(edited by the officer), published at 07:30 in each member's language, reminder, check-in,
missed check-in, check-out with the log, leave and re-plan, swaps, and a late restart."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from models.errors import DomainError
from models.patrol import parse_leave
from tests import builders
from tests.builders import User
from tests.fakes import Call
from tests.flows import (
    CHIEF,
    DAY,
    LAT,
    LON,
    MEMBER,
    MEMBER2,
    MEMBER3,
    OFFICER,
    OFFICER2,
    invite,
    onboard,
    patrol_office,
    person_of,
    plan_and_publish,
)
from tests.harness import Harness, make_settings


async def test_plan_edit_publish_remind_checkin_missed_checkout(harness: Harness) -> None:
    h = harness
    await patrol_office(h)
    calls = await h.tick()
    assert not any("排班" in c.text for c in calls)  # nothing before 20:00
    h.clock.set(datetime.fromisoformat("2026-12-01T20:00:00+08:00"))
    calls = await h.tick()
    drafts = [c for c in calls if c.chat_id == OFFICER.id and "明日排班草稿" in c.text]
    assert len(drafts) == 1 and "东关村" in drafts[0].text and "集市街" in drafts[0].text
    assignments = await h.services.patrol.repo.assignments(1, DAY)
    assert len(assignments) == 3 and len({a.member_id for a in assignments}) == 3
    # the officer replaces one person with... nobody free: all three are planned
    await h.press(OFFICER, f"pt:rep:{assignments[0].id}")
    assert "没有空闲" in h.last_text(OFFICER.id)
    # and exchanges two people instead
    first, second = assignments[0], assignments[1]
    await h.press(OFFICER, f"pt:ex:{first.id}")
    await h.press(OFFICER, f"pt:exto:{first.id}:{second.id}")
    swapped = await h.services.patrol.repo.assignment(first.id)
    assert swapped is not None and swapped.member_id == second.member_id
    # a member cannot edit the plan with a forged button
    await h.press(MEMBER, f"pt:rep:{first.id}")
    assert h.tg.alerts()[-1].startswith("⛔")

    h.clock.set(datetime.fromisoformat("2026-12-02T07:30:00+08:00"))
    calls = await h.tick()
    days = {c.chat_id: c.text for c in calls if "巡逻任务" in c.text or "Patrol on" in c.text}
    assert set(days) == {MEMBER.id, MEMBER2.id, MEMBER3.id}
    assert "Patrol on 2026-12-02" in days[MEMBER2.id]  # in her language
    assert any("今日排班已发布" in c.text for c in calls if c.chat_id == OFFICER.id)
    calls = await h.tick()
    assert not any("巡逻任务" in c.text for c in calls)  # once

    # 07:30 is also 30 minutes before the 08:00 shift: the reminder with a check-in button
    wang = await person_of(h, MEMBER)
    planned = await h.services.patrol.repo.assignments(1, DAY)
    mine = next(a for a in planned if a.member_id == wang.id)
    reminders = [c for c in h.tg.sent(MEMBER.id) if "即将开始" in c.text]
    if mine.shift == 0:
        assert reminders and "签到" in reminders[-1].buttons()[0][0]
    h.clock.set(mine.starts_at)
    await h.tick()
    calls = await h.press(MEMBER, "pt:in")
    assert any("已签到" in t for t in h.texts(calls))
    await h.feed(builders.location(MEMBER, LAT, LON))
    checkin = await h.services.patrol.repo.checkin_for(mine.id)
    assert checkin is not None and checkin.latitude == LAT
    calls = await h.send(MEMBER, "/checkin")
    assert "已经签到" in h.texts(calls)[0]

    # 15 minutes after the start, whoever has not checked in is reported to the officer, once
    h.clock.set(datetime.fromisoformat("2026-12-02T08:16:00+08:00"))
    calls = await h.tick()
    missed = [c for c in calls if c.chat_id == OFFICER.id and "还没有签到" in c.text]
    morning_others = [
        a
        for a in await h.services.patrol.repo.assignments(1, DAY)
        if a.shift == 0 and a.member_id != wang.id
    ]
    assert len(missed) == len(morning_others)
    assert not [c for c in await h.tick() if "还没有签到" in c.text]

    # check-out and the patrol log
    calls = await h.send(MEMBER, "/checkout")
    assert "已签退" in h.texts(calls)[0]
    await h.send(MEMBER, "12")
    await h.send(MEMBER, "abc")
    assert "0 到 999" in h.last_text(MEMBER.id)
    await h.send(MEMBER, "2")
    await h.press_label(MEMBER, "跳过")
    await h.send(MEMBER, "1")
    calls = await h.send(MEMBER, "集市门口劝和一起口角")
    assert any("巡逻记录已保存" in t for t in h.texts(calls))
    checkin = await h.services.patrol.repo.checkin_for(mine.id)
    assert checkin is not None and checkin.ended_at is not None
    assert (checkin.households, checkin.publicity, checkin.hazards, checkin.disputes) == (
        12,
        2,
        None,
        1,
    )
    assert checkin.note == "集市门口劝和一起口角"
    calls = await h.send(MEMBER, "/checkout")
    assert "还没有签到" in h.texts(calls)[0]
    calls = await h.send(MEMBER, "/today")
    assert "本月" in h.texts(calls)[0] and "签到 1 次" in h.texts(calls)[0]


async def test_leave_today_after_publishing_replans_and_tells_people(harness: Harness) -> None:
    h = harness
    await patrol_office(h)
    # a fourth member, free that day, to take the slot
    spare = User(4004, "Qian")
    await onboard(h, spare, await invite(h, CHIEF, "巡防队员", "东关警务室"), "钱芳")
    await plan_and_publish(h)
    planned = {a.member_id for a in await h.services.patrol.repo.assignments(1, DAY)}
    wang = await person_of(h, MEMBER)
    qian = await person_of(h, spare)
    if wang.id not in planned:  # make sure 王芳 is the one planned, 钱芳 the spare
        wang, qian = qian, wang
        MEMBER_, SPARE_ = spare, MEMBER
    else:
        MEMBER_, SPARE_ = MEMBER, spare
    await h.send(MEMBER_, "/leave")
    calls = await h.send(MEMBER_, "2026-11-01")
    assert "过去" in h.texts(calls)[0]
    calls = await h.send(MEMBER_, "hello")
    assert "看不懂" in h.texts(calls)[0]
    await h.send(MEMBER_, "12-02")
    calls = await h.press_label(MEMBER_, "跳过")
    assert any("已登记请假" in t for t in h.texts(calls, MEMBER_.id))
    assert any("任务已取消" in t for t in h.texts(calls, MEMBER_.id))
    assert any("新任务" in t for t in h.texts(calls, SPARE_.id))
    assert any("请假" in t for t in h.texts(calls, OFFICER.id))
    after = {a.member_id for a in await h.services.patrol.repo.assignments(1, DAY)}
    assert wang.id not in after and qian.id in after


async def test_swap_accepted_and_vetoed(harness: Harness) -> None:
    h = harness
    await patrol_office(h)
    await plan_and_publish(h)
    wang = await person_of(h, MEMBER)
    amy = await person_of(h, MEMBER2)
    plan = await h.services.patrol.repo.assignments(1, DAY)
    mine = next(a for a in plan if a.member_id == wang.id)
    hers = next(a for a in plan if a.member_id == amy.id)
    if mine.starts_at > hers.starts_at:
        pass
    await h.press(MEMBER, f"pt:swap:{mine.id}")
    await h.press(MEMBER, f"pt:swapto:{mine.id}:{amy.id}")
    assert any("asks to swap" in t for t in [c.text for c in h.tg.sent(MEMBER2.id)])
    calls = await h.press_label(MEMBER2, "Accept")
    assert any("同意了换班" in t for t in h.texts(calls, MEMBER.id))
    assert (await h.services.patrol.repo.assignment(mine.id)).member_id == amy.id  # type: ignore[union-attr]
    assert (await h.services.patrol.repo.assignment(hers.id)).member_id == wang.id  # type: ignore[union-attr]
    officer_note = [c for c in h.tg.sent(OFFICER.id) if "换班" in c.text][-1]
    assert "否决" in officer_note.buttons()[0][0]
    await h.press_label(OFFICER, "否决换班")
    assert (await h.services.patrol.repo.assignment(mine.id)).member_id == wang.id  # type: ignore[union-attr]


async def test_checkin_without_assignment_is_an_unplanned_patrol(harness: Harness) -> None:
    h = harness
    await patrol_office(h)
    calls = await h.send(MEMBER, "/checkin")
    assert "计划外巡逻" in h.texts(calls, MEMBER.id)[0]
    assert any("计划外巡逻" in t for t in h.texts(calls, OFFICER.id))


async def test_swap_with_another_office_is_refused(harness: Harness) -> None:
    h = harness
    await patrol_office(h)
    await h.send(CHIEF, "/areas")
    await h.press_label(CHIEF, "➕ 警务室")
    await h.send(CHIEF, "西山警务室")
    other = User(4900, "Xi")
    await onboard(h, other, await invite(h, CHIEF, "巡防队员", "西山警务室"), "西山队员")
    await plan_and_publish(h)
    wang = await person_of(h, MEMBER)
    mine = next(
        a for a in await h.services.patrol.repo.assignments(1, DAY) if a.member_id == wang.id
    )
    xi = await person_of(h, other)
    await h.press(MEMBER, f"pt:swapto:{mine.id}:{xi.id}")
    assert "本警务室" in h.tg.alerts()[-1]


async def test_down_at_publish_time_publishes_once_after_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "patrol.db")
    first = Harness(settings)
    await first.start()
    await patrol_office(first)
    first.clock.set(datetime.fromisoformat("2026-12-01T20:00:00+08:00"))
    await first.tick()
    await first.stop()  # down through the night and past 07:30

    first.clock.set(datetime.fromisoformat("2026-12-02T08:10:00+08:00"))
    second = Harness(settings, clock=first.clock)
    await second.start()
    try:
        calls = await second.tick()
        days = [c for c in calls if "巡逻任务" in c.text or "Patrol on" in c.text]
        assert {c.chat_id for c in days} == {MEMBER.id, MEMBER2.id, MEMBER3.id}
        # the 08:00 shift already started: no late reminder for it
        assert not any("即将开始" in c.text for c in calls)
        again = await second.tick()
        assert not any("巡逻任务" in c.text or "Patrol on" in c.text for c in again)
    finally:
        await second.stop()


# --- Patrol edge cases, each as the person who would hit it ---------------------------------
T = datetime.fromisoformat
SPARE = User(4004, "Qian")


async def users_by_person(h: Harness) -> dict[int, User]:
    out = {}
    for u in (MEMBER, MEMBER2, MEMBER3, SPARE):
        p = await h.services.people.by_telegram(u.id)
        if p:
            out[p.id] = u
    return out


def test_leave_date_without_year_in_past_is_refused() -> None:
    # yesterday typed as "11-30" on 2026-12-01
    with pytest.raises(DomainError):
        print(parse_leave("11-30", date(2026, 12, 1)))


async def test_veto_after_the_day(harness: Harness) -> None:
    h = harness
    await patrol_office(h)
    await plan_and_publish(h)
    wang, amy = await person_of(h, MEMBER), await person_of(h, MEMBER2)
    plan = await h.services.patrol.repo.assignments(1, DAY)
    mine = next(a for a in plan if a.member_id == wang.id)
    await h.press(MEMBER, f"pt:swapto:{mine.id}:{amy.id}")
    await h.press_label(MEMBER2, "Accept")
    got = await h.services.patrol.repo.assignment(mine.id)
    assert got is not None and got.member_id == amy.id
    h.clock.set(T("2026-12-03T10:00:00+08:00"))  # the day is over
    await h.press_label(OFFICER, "否决换班")
    # the past day must not be rewritten
    got = await h.services.patrol.repo.assignment(mine.id)
    assert got is not None and got.member_id == amy.id


async def test_swap_accepted_after_shift_started_moves_checked_in_slot(
    harness: Harness,
) -> None:
    h = harness
    await patrol_office(h)
    await plan_and_publish(h)
    users = await users_by_person(h)
    plan = await h.services.patrol.repo.assignments(1, DAY)
    morning = next(a for a in plan if a.shift == 0)
    asker = users[morning.member_id]
    other = next(u for pid, u in users.items() if pid != morning.member_id)
    other_p = await person_of(h, other)
    await h.press(asker, f"pt:swapto:{morning.id}:{other_p.id}")
    h.clock.set(T("2026-12-02T08:05:00+08:00"))
    await h.send(asker, "/checkin")  # she is walking
    h.clock.set(T("2026-12-02T09:00:00+08:00"))
    await h.press_label(other, "Accept" if other.language_code == "en" else "同意")
    a = await h.services.patrol.repo.assignment(morning.id)
    assert a is not None
    assert a.member_id == morning.member_id, "swap of a started shift was accepted"


async def test_leave_today_replans_finished_shift(harness: Harness) -> None:
    h = harness
    await patrol_office(h)
    await onboard(h, SPARE, await invite(h, CHIEF, "巡防队员", "东关警务室"), "钱芳")
    await plan_and_publish(h)
    users = await users_by_person(h)
    plan = await h.services.patrol.repo.assignments(1, DAY)
    morning = next(a for a in plan if a.shift == 0)
    u = users[morning.member_id]
    h.clock.set(T("2026-12-02T08:05:00+08:00"))
    await h.send(u, "/checkin")
    h.clock.set(T("2026-12-02T11:00:00+08:00"))
    await h.send(u, "/checkout")
    await h.send(u, "/cancel")
    h.clock.set(T("2026-12-02T15:00:00+08:00"))  # afternoon: she takes the rest of the day off
    await h.send(u, "/leave")
    await h.send(u, "12-02")
    calls = await h.press_label(u, "跳过" if u.language_code != "en" else "Skip")
    for c in calls:
        print(c.chat_id, c.text[:80])
    me = await h.services.people.by_telegram(u.id)
    assert me is not None
    print("record", await h.services.patrol.month_record(me))
    day = await h.services.patrol.repo.day(1, DAY)
    assert day is not None
    print("available", day["available"], me.id)
    a = await h.services.patrol.repo.assignment(morning.id)
    assert a is not None
    assert a.status == "planned", "a shift she already walked was cancelled and re-given"


async def test_early_checkin_hijacks_afternoon_slot_and_hides_missed(
    harness: Harness,
) -> None:
    h = harness
    await patrol_office(h)
    await plan_and_publish(h)
    users = await users_by_person(h)
    plan = await h.services.patrol.repo.assignments(1, DAY)
    aft = next(a for a in plan if a.shift == 1)
    u = users[aft.member_id]
    h.clock.set(T("2026-12-02T08:05:00+08:00"))
    await h.send(u, "/checkin")  # a voluntary morning walk, 6 hours before her shift
    h.clock.set(T("2026-12-02T09:00:00+08:00"))
    await h.send(u, "/checkout")
    h.clock.set(T("2026-12-02T14:16:00+08:00"))  # she never comes in the afternoon
    calls = await h.tick()
    assert any("还没有签到" in c.text for c in calls), "missed check-in never reported"


async def test_unplanned_checkin_unpaired_member_nobody_told_and_never_closed(
    harness: Harness,
) -> None:
    h = harness
    await patrol_office(h)
    calls = await h.send(MEMBER2, "/checkin")
    told = [c for c in calls if c.chat_id in (OFFICER.id, OFFICER2.id)]
    h.clock.set(T("2026-12-05T19:00:00+08:00"))
    await h.tick()
    amy = await person_of(h, MEMBER2)
    open_ = await h.services.patrol.repo.open_checkin(amy.id)
    print(
        "told",
        len(told),
        "open after 4 days",
        open_ is not None,
        await h.services.patrol.month_record(amy),
    )
    assert told, "no officer told of the unplanned patrol"


async def test_unplanned_checkin_never_closed(harness: Harness) -> None:
    h = harness
    await patrol_office(h)
    await h.send(MEMBER, "/checkin")
    h.clock.set(T("2026-12-05T19:00:00+08:00"))
    await h.tick()
    wang = await person_of(h, MEMBER)
    print(await h.services.patrol.month_record(wang))
    assert await h.services.patrol.repo.open_checkin(wang.id) is None


async def test_deactivated_officer_missed_alert_lost(harness: Harness) -> None:
    h = harness
    await patrol_office(h)
    await plan_and_publish(h)
    plan = await h.services.patrol.repo.assignments(1, DAY)
    wang = await person_of(h, MEMBER)
    morning = next(a for a in plan if a.member_id == wang.id)
    chief = await person_of(h, CHIEF)
    assert morning.officer_id is not None
    await h.services.people.set_active(chief, morning.officer_id, False)
    h.clock.set(morning.starts_at)
    h.clock.set(T(morning.starts_at.isoformat()))
    from datetime import timedelta

    h.clock.advance(timedelta(minutes=16))
    calls = await h.tick()
    print([(c.chat_id, c.text[:40]) for c in calls])
    assert any("王芳" in c.text and "还没有签到" in c.text for c in calls), (
        "missed check-in went to nobody"
    )


async def test_forged_repto_gives_slot_to_deactivated_member(harness: Harness) -> None:
    h = harness
    await patrol_office(h)
    await onboard(h, SPARE, await invite(h, CHIEF, "巡防队员", "东关警务室"), "钱芳")
    chief = await person_of(h, CHIEF)
    qian = await person_of(h, SPARE)
    await h.services.people.set_active(chief, qian.id, False)
    await plan_and_publish(h)
    plan = await h.services.patrol.repo.assignments(1, DAY)
    await h.press(OFFICER, f"pt:repto:{plan[-1].id}:{qian.id}")
    a = await h.services.patrol.repo.assignment(plan[-1].id)
    assert a is not None
    assert a.member_id != qian.id, "slot given to a deactivated member"


async def test_veto_revives_cancelled_slot_and_plans_member_on_leave(
    harness: Harness,
) -> None:
    h = harness
    await patrol_office(h)
    await plan_and_publish(h)
    wang, amy = await person_of(h, MEMBER), await person_of(h, MEMBER2)
    plan = await h.services.patrol.repo.assignments(1, DAY)
    mine = next(a for a in plan if a.member_id == wang.id)
    await h.press(MEMBER, f"pt:swapto:{mine.id}:{amy.id}")
    await h.press_label(MEMBER2, "Accept")
    # amy (now on wang's slot) takes today off; nobody free: the slot is reported open
    await h.send(MEMBER2, "/leave")
    await h.send(MEMBER2, "12-02")
    await h.press_label(MEMBER2, "Skip")
    got = await h.services.patrol.repo.assignment(mine.id)
    assert got is not None and got.status == "cancelled"
    await h.press_label(OFFICER, "否决换班")
    after = await h.services.patrol.repo.assignments(1, DAY)
    print([(a.id, a.member_id, a.shift, a.status) for a in after])
    assert amy.id not in {a.member_id for a in after}, "member on leave planned again by veto"


async def test_officer_leave_changes_responsible_officer_silently(harness: Harness) -> None:
    h = harness
    await patrol_office(h)
    await plan_and_publish(h)
    plan = await h.services.patrol.repo.assignments(1, DAY)
    officer = await person_of(h, OFFICER)
    affected = [a for a in plan if a.officer_id == officer.id]
    assert affected
    h.clock.set(T("2026-12-02T07:40:00+08:00"))
    h.tg.clear()
    await h.send(OFFICER, "/leave")
    await h.send(OFFICER, "12-02")
    calls = await h.press_label(OFFICER, "跳过")
    users = await users_by_person(h)
    after = {a.id: a.officer_id for a in await h.services.patrol.repo.assignments(1, DAY)}
    print([(c.chat_id, c.text[:50]) for c in calls])
    assert all(after[a.id] != officer.id for a in affected)
    told = {c.chat_id for c in calls}
    assert OFFICER2.id in told and all(users[a.member_id].id in told for a in affected), (
        "members and the new officer not told"
    )


async def test_shrinking_station_shifts(harness: Harness) -> None:
    h = harness
    await patrol_office(h)
    chief = await person_of(h, CHIEF)
    await h.services.station_settings.change(chief, 1, "shifts", "08:00-11:00")
    h.clock.set(T("2026-12-01T20:00:00+08:00"))
    calls = await h.tick()
    h.clock.set(T("2026-12-02T07:30:00+08:00"))
    calls = await h.tick()
    print(len(calls))
    await h.send(OFFICER, "/today")
    await h.send(CHIEF, "/areas")


async def test_swap_to_member_on_leave(harness: Harness) -> None:
    h = harness
    await patrol_office(h)
    await onboard(h, SPARE, await invite(h, CHIEF, "巡防队员", "东关警务室"), "钱芳")
    await plan_and_publish(h)
    users = await users_by_person(h)
    plan = await h.services.patrol.repo.assignments(1, DAY)
    planned = {a.member_id for a in plan}
    spare_id = next(pid for pid in users if pid not in planned)
    spare_u = users[spare_id]
    h.clock.set(T("2026-12-02T07:35:00+08:00"))
    await h.send(spare_u, "/leave")
    await h.send(spare_u, "12-02")
    await h.press_label(spare_u, "跳过" if spare_u.language_code != "en" else "Skip")
    a = plan[-1]
    asker = users[a.member_id]
    await h.press(asker, f"pt:swapto:{a.id}:{spare_id}")
    assert "请假" in h.tg.alerts()[-1]  # refused at the request already
    got = await h.services.patrol.repo.assignment(a.id)
    assert got is not None
    assert got.member_id != spare_id, "slot handed to a member on leave"


async def test_late_publish_alerts_missed_checkin_at_once(tmp_path: Path) -> None:
    from tests.harness import make_settings

    settings = make_settings(tmp_path / "patrol.db")
    first = Harness(settings)
    await first.start()
    await patrol_office(first)
    first.clock.set(T("2026-12-01T20:00:00+08:00"))
    await first.tick()
    await first.stop()
    first.clock.set(T("2026-12-02T09:00:00+08:00"))
    second = Harness(settings, clock=first.clock)
    await second.start()
    try:
        calls = await second.tick()
        calls += await second.tick()
        texts = [(c.chat_id, c.text[:50]) for c in calls]
        print(texts)
        assert not any("还没有签到" in c.text for c in calls), (
            "missed alert at the same moment the day went out"
        )
    finally:
        await second.stop()


async def test_a_reminder_due_at_publication_rides_in_the_days_message(harness: Harness) -> None:
    """With the default times the day goes out at 07:30 and the 08:00 shift's reminder (30
    minutes before) is due then too: a morning member gets one message — her day, saying it
    starts soon, with the check-in button — not two in the same second. An afternoon member
    gets her day now and her reminder before her shift."""
    h = harness
    await patrol_office(h)
    await plan_and_publish(h)
    await h.tick()  # (a reminder's own timer, were there one, would be due now)
    users = {(await person_of(h, u)).id: u for u in (MEMBER, MEMBER2, MEMBER3)}
    planned = await h.services.patrol.repo.assignments(1, DAY)
    assert {a.shift for a in planned} == {0, 1}

    def messages(user: User) -> tuple[list[Call], list[Call]]:
        sent = [c for c in h.tg.sent(user.id) if c.text]
        days = [c for c in sent if "巡逻任务" in c.text or "Patrol on" in c.text]
        soon = [c for c in sent if "巡逻即将开始" in c.text or "starts soon" in c.text]
        return days, soon

    for a in planned:
        days, soon = messages(users[a.member_id])
        assert len(days) == 1
        if a.shift == 0:  # 08:00: one message, the day with the reminder and check-in
            assert soon == days and days[0].buttons()[0][0] in ("✅ 签到", "✅ Check in")
        else:
            assert soon == []
    afternoon = next(a for a in planned if a.shift == 1)
    h.clock.set(afternoon.starts_at - timedelta(minutes=30))
    await h.tick()
    days, soon = messages(users[afternoon.member_id])
    assert len(soon) == 1 and soon != days  # the reminder, on its own, before the shift


async def test_the_day_is_published_office_by_office_once(harness: Harness) -> None:
    """The station's publication makes one timer per office (each office's messages are a
    slice of their own at 07:30); run again, it makes none and nobody hears twice."""
    h = harness
    await patrol_office(h)
    chief = await person_of(h, CHIEF)
    await h.services.org.add_office(chief, 1, "西街警务室")  # (no members: nothing to send)
    await plan_and_publish(h)
    rows = await h.services.db.fetch_all(
        "SELECT key, outcome FROM timers WHERE kind = 'patrol_publish_office' ORDER BY key"
    )
    offices = await h.services.org.repo.offices(1)
    assert [r["key"] for r in rows] == sorted(f"patrol:publish:1:{DAY}:{o.id}" for o in offices)
    assert {r["outcome"] for r in rows} == {"done"}
    days = [c for c in h.tg.calls if "巡逻任务" in c.text or "Patrol on" in c.text]
    assert len(days) == 3
    station = await h.services.timers.repo.get(f"patrol:publish:1:{DAY}")
    assert station is not None
    h.tg.clear()
    async with h.services.db.write():
        await h.app.patrol_jobs.on_publish(station)  # (as if it ran twice)
    await h.tick()
    assert not [c for c in h.tg.calls if "巡逻任务" in c.text or "Patrol on" in c.text]
