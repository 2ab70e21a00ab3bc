"""Patrol holes found in review, each as the person who would hit it."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from models.errors import DomainError
from models.patrol import parse_leave
from tests.builders import User
from tests.flows import invite, onboard
from tests.harness import Harness
from tests.test_onboarding import CHIEF
from tests.test_patrol import DAY, MEMBER2, MEMBER3, patrol_office, plan_and_publish
from tests.test_reports import MEMBER, OFFICER, OFFICER2, _person

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
    wang, amy = await _person(h, MEMBER), await _person(h, MEMBER2)
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
    other_p = await _person(h, other)
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
    amy = await _person(h, MEMBER2)
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
    wang = await _person(h, MEMBER)
    print(await h.services.patrol.month_record(wang))
    assert await h.services.patrol.repo.open_checkin(wang.id) is None


async def test_deactivated_officer_missed_alert_lost(harness: Harness) -> None:
    h = harness
    await patrol_office(h)
    await plan_and_publish(h)
    plan = await h.services.patrol.repo.assignments(1, DAY)
    wang = await _person(h, MEMBER)
    morning = next(a for a in plan if a.member_id == wang.id)
    chief = await _person(h, CHIEF)
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
    chief = await _person(h, CHIEF)
    qian = await _person(h, SPARE)
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
    wang, amy = await _person(h, MEMBER), await _person(h, MEMBER2)
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
    officer = await _person(h, OFFICER)
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
    chief = await _person(h, CHIEF)
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
