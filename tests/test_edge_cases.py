"""Edge cases of the rules across features: each is a person doing something the rules must
stop or allow."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.config import SettingsError, load_settings
from models.org import Role
from tests import builders
from tests.builders import Chat, User
from tests.fakes import TOKEN
from tests.flows import CHIEF, OPERATOR, add_station, invite, onboard, setup_station
from tests.harness import Harness

VILLAGE = Chat(-100777, "supergroup", "东关村民群")


async def test_chief_of_another_station_cannot_take_over_a_registered_group(
    harness: Harness,
) -> None:
    h = harness
    await setup_station(h)
    await add_station(h, "西山派出所")
    other_chief = User(2002, "Zhou")
    code = await invite(h, OPERATOR, "station chief", "西山派出所")
    await onboard(h, other_chief, code, "周所长")
    await h.feed(builders.my_chat_member(CHIEF, VILLAGE, "left", "member"))
    await h.send(CHIEF, "/register", VILLAGE)
    await h.press_label(CHIEF, "村民群", VILLAGE)
    await h.press_label(CHIEF, "东关警务室", VILLAGE)
    await h.press_label(CHIEF, "东关村", VILLAGE)
    await h.press_label(CHIEF, "中文", VILLAGE)

    await h.send(other_chief, "/register", VILLAGE)
    await h.press_label(other_chief, "工作群", VILLAGE)
    await h.press_label(other_chief, "整个派出所", VILLAGE)
    await h.press_label(other_chief, "中文", VILLAGE)
    # the press was answered already: the refusal follows in private
    assert "其他派出所" in h.last_text(other_chief.id)
    group = await h.services.groups.get(VILLAGE.id)
    assert group is not None and group.kind == "public"
    station = await h.services.org.repo.station(group.station_id or 0)
    assert station is not None and station.name == "木兰派出所"


async def test_cancel_and_edits_during_onboarding(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    newcomer = User(8100, "N")
    code = await invite(h, CHIEF, "巡防队员", "东关警务室")
    await h.send(newcomer, f"/start {code}")
    await h.press_label(newcomer, "中文")
    await h.send(newcomer, "吴十")
    # editing the earlier name message is not taken as the phone answer
    calls = await h.feed(builders.edited_text(newcomer, "吴十一"))
    assert calls == []
    calls = await h.send(newcomer, "/cancel")
    assert "已取消" in h.texts(calls)[0]
    assert await h.services.conversations.get(newcomer.id, newcomer.id) is None
    # the invitation is still usable
    await onboard(h, newcomer, code, "吴十")
    assert await h.services.people.by_telegram(newcomer.id) is not None


async def test_duty_person_can_be_made_an_officer_of_an_office(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    duty = User(2500, "Duty")
    await onboard(h, duty, await invite(h, CHIEF, "值班室"), "值班员小刘")
    person = await h.services.people.by_telegram(duty.id)
    assert person is not None and person.role is Role.DUTY and person.office_id is None
    await h.press(CHIEF, f"ros:p:{person.id}")
    await h.press_label(CHIEF, "更改角色")
    await h.press_label(CHIEF, "社区民警")
    await h.press_label(CHIEF, "东关警务室")
    person = await h.services.people.by_telegram(duty.id)
    assert person is not None and person.role is Role.OFFICER and person.office_id is not None


async def test_member_cannot_open_roster_views_with_forged_buttons(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    member = User(4700, "M")
    await onboard(h, member, await invite(h, CHIEF, "巡防队员", "东关警务室"), "王芳")
    station = (await h.services.org.repo.stations())[0]
    for data in (f"ros:of:0:{station.id}", f"ros:st:{station.id}", "ros:ops"):
        calls = await h.press(member, data)
        assert [c for c in calls if c.method == "editMessageText"] == []
        assert h.tg.alerts()[-1].startswith("⛔")


async def test_admin_gets_an_operator_menu_on_first_contact(harness: Harness) -> None:
    h = harness
    calls = await h.send(OPERATOR, "/help")
    menus = [c for c in calls if c.method == "setMyCommands"]
    assert menus and menus[0].params["scope"] == {"type": "chat", "chat_id": OPERATOR.id}
    names = [c["command"] for c in menus[0].params["commands"]]
    assert {"areas", "invite", "roster", "settings"} <= set(names)


async def test_private_command_in_a_group_says_where_to_use_it(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    calls = await h.send(CHIEF, "/roster@MulanPatrolBot", VILLAGE)
    assert "私聊" in h.texts(calls)[0]


def test_database_path_that_is_a_folder_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "patrol.db").mkdir()
    monkeypatch.setenv("PATROL_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("PATROL_DB_PATH", str(tmp_path / "patrol.db"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.variable == "PATROL_DB_PATH"
