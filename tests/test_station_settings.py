"""/settings: a chief changes a station setting with validation; others are refused."""

from __future__ import annotations

import json
from datetime import date, timedelta

from models.org import Person, Place, PlaceKind
from tests import builders
from tests.builders import User
from tests.fakes import Call
from tests.flows import CHIEF, invite, onboard, setup_station
from tests.harness import Harness


async def test_chief_changes_invitation_days_with_validation(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    calls = await h.send(CHIEF, "/settings")
    assert "邀请有效天数：7（默认）" in h.texts(calls)[0]

    await h.press_label(CHIEF, "邀请有效天数")
    calls = await h.send(CHIEF, "abc")
    assert "格式不对" in h.texts(calls)[0]
    calls = await h.feed(builders.sticker(CHIEF))
    assert "请用文字输入" in h.texts(calls)[0]
    calls = await h.send(CHIEF, "500")
    assert "1 到 90" in h.texts(calls)[0]
    calls = await h.send(CHIEF, "14")
    assert "<b>14</b>" in h.texts(calls)[0]

    station = (await h.services.org.repo.stations())[0]
    assert await h.services.station_settings.value(station.id, "invitation_days") == 14
    code = await invite(h, CHIEF, "巡防队员", "东关警务室")
    invitation = await h.services.invitations.repo.by_code(code)
    assert invitation is not None
    assert invitation.expires_at - h.clock.now() == timedelta(days=14)

    # after saving, text is no longer taken as a setting value
    calls = await h.send(CHIEF, "30")
    assert "没看懂" in h.texts(calls)[0]
    assert await h.services.station_settings.value(station.id, "invitation_days") == 14

    # reset to the default, recorded in the audit log
    await h.press_label(CHIEF, "邀请有效天数")
    await h.press_label(CHIEF, "恢复默认")
    assert await h.services.station_settings.value(station.id, "invitation_days") == 7
    audit = await h.services.people.audit.for_subject("station", station.id)
    assert [(a.before, a.after) for a in audit if a.action == "setting:invitation_days"] == [
        ('"7"', '"14"'),
        ('"14"', None),
    ]


async def test_quiet_hours_and_waits_are_validated(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    await h.send(CHIEF, "/settings")
    await h.press_label(CHIEF, "免打扰开始")
    calls = await h.send(CHIEF, "25:00")
    assert "时:分" in h.texts(calls)[0]
    await h.send(CHIEF, "21：30")
    await h.press_label(CHIEF, "支援升级等待")
    calls = await h.send(CHIEF, "5,300")
    assert "10 到 3600" in h.texts(calls)[0]
    await h.send(CHIEF, "60, 120, 120")
    station = (await h.services.org.repo.stations())[0]
    values = {k: v for k, v, _ in await h.services.station_settings.all(station.id)}
    assert values["backup_step_waits"] == (60, 120, 120)
    assert str(values["quiet_start"]) == "21:30:00"


async def test_member_and_officer_cannot_change_settings(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    member = User(4300, "Wang")
    await onboard(h, member, await invite(h, CHIEF, "巡防队员", "东关警务室"), "王芳")
    calls = await h.send(member, "/settings")
    assert "不能" in h.texts(calls)[0]
    calls = await h.press(member, "set:k:1:invitation_days")
    assert "⛔" in h.tg.alerts()[-1]
    station = (await h.services.org.repo.stations())[0]
    assert await h.services.station_settings.value(station.id, "invitation_days") == 7


# --- the shift list: places store positions in it, and keep their hours when it changes ----
DEFAULT_SHIFTS = "08:00-11:00,14:00-17:00,19:00-21:00"
TOMORROW = date(2026, 12, 1)


async def _chief_and_village(h: Harness) -> tuple[Person, Place]:
    """The station of `setup_station`, its village made a patrol area walked 19:00-21:00
    (the third of the default shifts)."""
    await setup_station(h)
    chief = await h.services.people.by_telegram(CHIEF.id)
    assert chief is not None
    office = (await h.services.org.repo.offices(1))[0]
    village = (await h.services.org.repo.places(office.id))[0]
    await h.services.org.toggle_place_kind(chief, village.id, PlaceKind.PATROL_AREA)
    village = await h.services.org.set_patrol(chief, village.id, (2,), 1)
    return chief, village


async def _area(h: Harness, chief: Person, name: str, shifts: tuple[int, ...]) -> Place:
    office = (await h.services.org.repo.offices(1))[0]
    place = await h.services.org.add_place(chief, office.id, name, {PlaceKind.PATROL_AREA})
    return await h.services.org.set_patrol(chief, place.id, shifts, 1)


async def _hours(h: Harness, place_id: int) -> list[str]:
    """The hours a place is walked in now, read from the database."""
    place = await h.services.org.repo.place(place_id)
    assert place is not None
    shifts = await h.services.patrol.shifts(1)
    return [f"{shifts[i][0]:%H:%M}-{shifts[i][1]:%H:%M}" for i in place.shifts]


async def _shift_setting(h: Harness) -> str:
    spec_value = await h.services.station_settings.value(1, "shifts")
    return ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in spec_value)


def _said(h: Harness, calls: list[Call]) -> str:
    """Everything the bot told the chief in answer to one update: messages and alerts."""
    alerts = [str(c.params.get("text", "")) for c in calls if c.method == "answerCallbackQuery"]
    return "\n".join(h.texts(calls) + alerts)


async def test_inserting_a_shift_first_keeps_patrol_areas_at_their_hours(
    harness: Harness,
) -> None:
    h = harness
    chief, village = await _chief_and_village(h)
    market = await _area(h, chief, "集市街", (0, 1))
    bridge = await _area(h, chief, "旧桥", (2,))
    await h.services.org.remove_place(chief, bridge.id)  # removed places keep hours too
    west = await h.services.org.add_office(chief, 1, "西山警务室")
    hill = await h.services.org.add_place(chief, west.id, "西山村", {PlaceKind.VILLAGE})

    await h.send(CHIEF, "/settings")
    await h.press_label(CHIEF, "巡逻班次")
    calls = await h.send(CHIEF, "06:00-08:00," + DEFAULT_SHIFTS)
    reply = h.texts(calls)[0]
    assert "已保存" in reply and "巡逻区域的班次已按时间对应调整（4 处）" in reply

    assert await _hours(h, village.id) == ["19:00-21:00"]
    stored = await h.services.org.repo.place(village.id)
    assert stored is not None and stored.shifts == (3,)  # its new position
    assert await _hours(h, market.id) == ["08:00-11:00", "14:00-17:00"]
    assert await _hours(h, bridge.id) == ["19:00-21:00"]
    assert await _hours(h, hill.id) == ["08:00-11:00"]  # its office's places too

    # what the chief sees in /areas, and what the planner plans
    await h.send(CHIEF, "/areas")
    await h.press_label(CHIEF, "东关警务室")
    calls = await h.press_label(CHIEF, "东关村")
    labels = [text for call in calls for text, _ in call.buttons()]
    assert "✅ 19:00–21:00" in labels and "▫️ 06:00–08:00" in labels
    assert "▫️ 08:00–11:00" in labels
    shifts = await h.services.patrol.shifts(1)
    slots = await h.services.patrol.slots_for(1, TOMORROW)
    planned = {(s.area_id, f"{shifts[s.shift][0]:%H:%M}") for s in slots}
    assert planned == {(village.id, "19:00"), (market.id, "08:00"), (market.id, "14:00")}

    # each renumbered place is audited, as the setting is
    audit = await h.services.people.audit.for_subject("place", village.id)
    moved = [(a.actor_id, a.before, a.after) for a in audit if a.action == "place:renumber"]
    assert moved == [
        (
            chief.id,
            json.dumps({"shifts": [2], "hours": ["19:00-21:00"]}),
            json.dumps({"shifts": [3], "hours": ["19:00-21:00"]}),
        )
    ]
    station_audit = await h.services.people.audit.for_subject("station", 1)
    assert [a.after for a in station_audit if a.action == "setting:shifts"] == [
        json.dumps("06:00-08:00," + DEFAULT_SHIFTS)
    ]


async def test_a_shift_list_leaving_a_patrol_area_without_shift_is_refused(
    harness: Harness,
) -> None:
    h = harness
    chief, village = await _chief_and_village(h)
    market = await _area(h, chief, "集市街", (0, 2))
    lake = await _area(h, chief, "水库", (1,))

    await h.send(CHIEF, "/settings")
    await h.press_label(CHIEF, "巡逻班次")
    calls = await h.send(CHIEF, "08:00-11:00,14:00-17:00")
    refusal = h.texts(calls)[0]
    assert "班次未修改" in refusal and "东关村" in refusal
    assert "集市街" not in refusal and "水库" not in refusal
    # nothing changed
    assert await _shift_setting(h) == DEFAULT_SHIFTS
    assert await _hours(h, village.id) == ["19:00-21:00"]
    assert await _hours(h, market.id) == ["08:00-11:00", "19:00-21:00"]
    assert await _hours(h, lake.id) == ["14:00-17:00"]
    assert not [
        a
        for a in await h.services.people.audit.for_subject("station", 1)
        if a.action == "setting:shifts"
    ]
    assert not [
        a
        for a in await h.services.people.audit.for_subject("place", village.id)
        if a.action == "place:renumber"
    ]

    # the question stays: the next message is another try (no place moves: no count)
    calls = await h.send(CHIEF, DEFAULT_SHIFTS + ",21:00-22:00")
    assert "已保存" in h.texts(calls)[0] and "按时间对应调整" not in h.texts(calls)[0]
    assert await _hours(h, village.id) == ["19:00-21:00"]

    # in English, two areas left without a shift
    await h.send(CHIEF, "/language")
    await h.press_label(CHIEF, "English")
    await h.send(CHIEF, "/settings")
    await h.press_label(CHIEF, "Patrol shifts")
    calls = await h.send(CHIEF, "08:00-11:00")
    refusal = h.texts(calls)[0]
    assert "The shifts were not changed" in refusal and "patrol area" in refusal
    assert "东关村, 水库" in refusal or "水库, 东关村" in refusal
    assert "集市街" not in refusal
    assert await _shift_setting(h) == DEFAULT_SHIFTS + ",21:00-22:00"
    assert await _hours(h, lake.id) == ["14:00-17:00"]


async def test_reset_to_default_keeps_hours_that_exist(harness: Harness) -> None:
    h = harness
    chief, village = await _chief_and_village(h)
    market = await _area(h, chief, "集市街", (0, 2))
    await h.send(CHIEF, "/settings")
    await h.press_label(CHIEF, "巡逻班次")
    calls = await h.send(CHIEF, "06:00-08:00,19:00-21:00,21:00-23:00")
    assert "巡逻区域的班次已按时间对应调整（2 处）" in h.texts(calls)[0]
    assert await _hours(h, village.id) == ["19:00-21:00"]
    assert await _hours(h, market.id) == ["19:00-21:00"]  # 08:00-11:00 is gone
    early = await _area(h, chief, "早市", (0,))  # 06:00-08:00, not in the default list

    # the default has no 06:00-08:00: refused, nothing changed, the question stays
    await h.press_label(CHIEF, "巡逻班次")
    calls = await h.press_label(CHIEF, "恢复默认")
    refusal = _said(h, calls)
    assert "班次未修改" in refusal and "早市" in refusal and "东关村" not in refusal
    assert await _shift_setting(h) == "06:00-08:00,19:00-21:00,21:00-23:00"
    assert await _hours(h, early.id) == ["06:00-08:00"]
    assert await _hours(h, village.id) == ["19:00-21:00"]

    # once 早市 is also walked 19:00-21:00, the reset goes through, keeping the hours
    await h.services.org.set_patrol(chief, early.id, (0, 1), 1)
    calls = await h.press_label(CHIEF, "恢复默认")
    assert "巡逻区域的班次已按时间对应调整（3 处）" in _said(h, calls)
    assert await _shift_setting(h) == DEFAULT_SHIFTS
    assert await _hours(h, village.id) == ["19:00-21:00"]
    assert await _hours(h, market.id) == ["19:00-21:00"]
    assert await _hours(h, early.id) == ["19:00-21:00"]
    audit = await h.services.people.audit.for_subject("station", 1)
    assert [a.after for a in audit if a.action == "setting:shifts"] == [
        json.dumps("06:00-08:00,19:00-21:00,21:00-23:00"),
        None,
    ]
