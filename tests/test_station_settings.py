"""/settings: a chief changes a station setting with validation; others are refused."""

from __future__ import annotations

from datetime import timedelta

from tests import builders
from tests.builders import User
from tests.flows import invite, onboard
from tests.harness import Harness
from tests.test_onboarding import CHIEF, setup_station


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
