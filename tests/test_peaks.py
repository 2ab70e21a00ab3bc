"""Tourist peaks through the real application, with a clock the test moves."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from models.org import PlaceKind
from tests.builders import User
from tests.flows import (
    CHIEF,
    MEMBER,
    MEMBER2,
    MEMBER3,
    OFFICER,
    OPERATOR,
    invite,
    onboard,
    person_of,
    team,
)
from tests.harness import Harness, make_settings

OFFICER_EN = User(3050, "Ken", "en")


async def resort_station(h: Harness) -> int:
    """The office has a lake resort (a hot spot walked in the morning) and the village."""
    await team(h)
    await onboard(h, MEMBER2, await invite(h, CHIEF, "巡防队员", "东关警务室"), "Amy", "English")
    await onboard(h, MEMBER3, await invite(h, CHIEF, "巡防队员", "东关警务室"), "周敏")
    await onboard(
        h, OFFICER_EN, await invite(h, CHIEF, "社区民警", "东关警务室"), "Ken", "English"
    )
    chief = await person_of(h, CHIEF)
    office = (await h.services.org.repo.offices(1))[0]
    village = (await h.services.org.repo.places(office.id))[0]
    await h.services.org.toggle_place_kind(chief, village.id, PlaceKind.PATROL_AREA)
    resort = await h.services.org.add_place(
        chief, office.id, "湖区度假村", {PlaceKind.PATROL_AREA, PlaceKind.HOT_SPOT}
    )
    h.tg.clear()
    return resort.id


async def add_fair(h: Harness, dates: str) -> None:
    await h.send(CHIEF, "/peaks")
    await h.press_label(CHIEF, "添加高峰期")
    await h.send(CHIEF, "庙会")
    await h.send(CHIEF, dates)
    await h.press_label(CHIEF, "较忙")
    await h.press_label(CHIEF, "湖区度假村")
    await h.press_label(CHIEF, "完成")


def alerts(calls: list, chat_id: int) -> list[str]:  # type: ignore[type-arg]
    return [
        c.text
        for c in calls
        if c.chat_id == chat_id and ("旅游高峰预警" in c.text or "Tourist peak" in c.text)
    ]


async def test_alert_three_days_before_once_in_each_language_and_again_after_a_date_change(
    harness: Harness,
) -> None:
    h = harness
    await resort_station(h)
    h.clock.set(datetime.fromisoformat("2026-12-01T10:00:00+08:00"))
    await add_fair(h, "12-20 至 12-22")
    assert "已保存" in h.last_text(CHIEF.id)
    h.clock.set(datetime.fromisoformat("2026-12-17T08:59:00+08:00"))
    calls = await h.tick()
    assert not alerts(calls, OFFICER.id)
    h.clock.set(datetime.fromisoformat("2026-12-17T09:00:00+08:00"))
    calls = await h.tick()
    zh = alerts(calls, OFFICER.id)
    en = alerts(calls, OFFICER_EN.id)
    assert len(zh) == 1 and "庙会" in zh[0] and "湖区度假村" in zh[0] and "2 倍" in zh[0]
    assert len(en) == 1 and "Tourist peak" in en[0]
    assert alerts(calls, CHIEF.id)
    assert not alerts(await h.tick(), OFFICER.id)  # once
    # the dates change: the alert goes out again for the new dates
    period = (await h.services.peaks.repo.of_station(1))[0]
    await h.press(CHIEF, f"pk:redate:{period.period_id}")
    calls = await h.send(CHIEF, "12-19 至 12-22")
    calls += await h.tick()
    assert len(alerts(calls, OFFICER.id)) == 1  # 2 days ahead now: at once


async def test_alert_survives_a_restart_and_the_eve_reminder(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "patrol.db")
    first = Harness(settings)
    await first.start()
    await resort_station(first)
    first.clock.set(datetime.fromisoformat("2026-12-01T10:00:00+08:00"))
    await add_fair(first, "12-20 至 12-22")
    await first.tick()
    await first.stop()

    first.clock.set(datetime.fromisoformat("2026-12-17T11:00:00+08:00"))  # down at 09:00
    second = Harness(settings, clock=first.clock)
    await second.start()
    try:
        calls = await second.tick()
        assert len(alerts(calls, OFFICER.id)) == 1
        second.clock.set(datetime.fromisoformat("2026-12-19T18:00:00+08:00"))
        calls = await second.tick()
        eves = [c for c in calls if "明天起是庙会" in c.text or "starts tomorrow" in c.text]
        assert {c.chat_id for c in eves} == {MEMBER.id, MEMBER2.id, MEMBER3.id}
        assert any("96110" in c.text for c in eves)
        assert not [c for c in await second.tick() if "明天起" in c.text]
    finally:
        await second.stop()


async def test_a_peak_added_late_is_alerted_at_once(harness: Harness) -> None:
    h = harness
    await resort_station(h)
    h.clock.set(datetime.fromisoformat("2026-12-19T15:00:00+08:00"))
    await add_fair(h, "12-20 至 12-21")
    calls = await h.tick()
    assert len(alerts(h.tg.calls, OFFICER.id)) == 1
    del calls


async def test_planner_doubles_the_resort_on_a_busy_day_and_reports_what_is_open(
    harness: Harness,
) -> None:
    h = harness
    resort = await resort_station(h)
    h.clock.set(datetime.fromisoformat("2026-12-01T10:00:00+08:00"))
    await add_fair(h, "12-20 至 12-22")
    h.clock.set(datetime.fromisoformat("2026-12-19T20:00:00+08:00"))
    calls = await h.tick()
    day = date(2026, 12, 20)
    plan = await h.services.patrol.repo.assignments(1, day)
    at_resort = [a for a in plan if a.area_id == resort]
    assert len(at_resort) == 2  # busy: x2 of the usual one
    # three members for three places: the village (not a hot spot) gets the last one; with
    # one member on leave the village is the one left open and the officers are told
    assert len(plan) == 3
    draft = [c.text for c in calls if c.chat_id == OFFICER.id and "草稿" in c.text][-1]
    assert draft.count("湖区度假村") == 2


async def test_bad_peak_input(harness: Harness) -> None:
    h = harness
    await resort_station(h)
    h.clock.set(datetime.fromisoformat("2026-12-01T10:00:00+08:00"))
    await h.send(CHIEF, "/peaks")
    await h.press_label(CHIEF, "添加高峰期")
    await h.send(CHIEF, "暑期周末")
    calls = await h.send(CHIEF, "12-20 至 12-10")
    assert "早于" in h.texts(calls)[0]
    calls = await h.send(CHIEF, "12-01 至 01-20")
    assert "31 天" in h.texts(calls)[0]
    await h.send(CHIEF, "12-20 至 12-22")
    await h.press_label(CHIEF, "较忙")
    calls = await h.press_label(CHIEF, "完成")  # no hot spot chosen
    assert "热点" in h.texts(calls)[0]
    await add_fair(h, "12-21 至 12-23")  # the other flow's second period overlaps the first?
    # (the first was never saved: no overlap yet) - now a real overlap
    await add_fair(h, "12-22 至 12-24")
    assert "重叠" in h.last_text(CHIEF.id)
    await h.press_label(CHIEF, "两个都保留")
    assert len(await h.services.peaks.repo.of_station(1)) == 2
    # a member may not look at or add periods
    calls = await h.send(MEMBER, "/peaks")
    assert "不能" in h.texts(calls)[0]
    await h.press(MEMBER, "pk:add:1")
    assert h.tg.alerts()[-1].startswith("⛔")


async def test_loading_one_holiday_changes_only_that_one_and_replacing_a_year_is_confirmed(
    harness: Harness,
) -> None:
    """The field report: at 2027-04-28 the operator loads only Labour Day's official line.
    Only Labour Day changes — Dragon Boat, Mid-Autumn and National Day 2027 stay (provisional)
    and the answer says so. Keeping only what was loaded is a separate choice that lists
    what would go and asks first; "keep them" changes nothing, confirming removes them."""
    h = harness
    await resort_station(h)
    await h.send(OPERATOR, "/help")
    h.clock.set(datetime.fromisoformat("2027-04-28T10:00:00+08:00"))
    view = " ".join(h.texts(await h.send(CHIEF, "/peaks")))
    assert "劳动节（暂定" in view and "端午节（暂定" in view
    await h.send(OPERATOR, "/peaks")
    await h.press_label(OPERATOR, "📥 Load the official schedule")
    calls = await h.send(OPERATOR, "labour_day 2027-05-01 2027-05-05 2027-04-25 2027-05-08")
    answer = next(c for c in calls if c.chat_id == OPERATOR.id and "loaded" in c.text)
    assert "2027: Labour Day (updated)" in answer.text
    assert "2027, unchanged: " in answer.text
    for name in ("Dragon Boat Festival (provisional)", "Mid-Autumn Festival", "National Day"):
        assert name in answer.text
    [(label, replace)] = answer.buttons()
    assert label.startswith("🗑 2027: keep only what was loaded (remove ")
    view = " ".join(h.texts(await h.send(CHIEF, "/peaks")))
    assert "劳动节" in view and "劳动节（暂定" not in view and "端午节（暂定" in view

    calls = await h.press(OPERATOR, replace)  # first, what would go
    confirm = h.texts(calls, OPERATOR.id)[-1]
    assert "To be removed:" in confirm and "Dragon Boat Festival" in confirm
    assert "Labour Day" not in confirm.split("To be removed:")[1]
    await h.press_label(OPERATOR, "Keep them")
    view = " ".join(h.texts(await h.send(CHIEF, "/peaks")))
    assert "端午节（暂定" in view  # nothing removed without confirming

    await h.press(OPERATOR, replace)
    calls = await h.press_label(OPERATOR, "🗑 Remove them")
    assert any("now has only the holidays loaded" in t for t in h.texts(calls, OPERATOR.id))
    view = " ".join(h.texts(await h.send(CHIEF, "/peaks")))
    assert "劳动节" in view and "端午节" not in view
