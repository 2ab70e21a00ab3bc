"""The foundation scenario: a county is set up and its team onboards through deep links."""

from __future__ import annotations

from datetime import timedelta

from models.org import Role
from tests import builders
from tests.builders import User
from tests.flows import CHIEF, OFFICER, invite, onboard, setup_station
from tests.harness import Harness

MEMBER = User(4001, "Wang", "en")  # many Chinese users run Telegram in English


async def test_operator_sets_up_station_and_team_onboards(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    chief = await h.services.people.by_telegram(CHIEF.id)
    assert chief is not None and chief.role is Role.CHIEF and chief.phone == "+8613800000001"
    assert chief.locale == "zh_CN"
    stations = await h.services.org.repo.stations()
    assert [s.name for s in stations] == ["木兰派出所"]
    offices = await h.services.org.repo.offices(stations[0].id)
    assert [o.name for o in offices] == ["东关警务室"]
    places = await h.services.org.repo.places(offices[0].id)
    assert [(p.name, p.is_village) for p in places] == [("东关村", True)]
    assert "东关村" in h.last_text(CHIEF.id)

    officer_code = await invite(h, CHIEF, "社区民警", "东关警务室")
    member_code = await invite(h, CHIEF, "巡防队员", "东关警务室")
    await onboard(h, OFFICER, officer_code, "李警官")
    # The member's Telegram is in English, but she picks Chinese: the question matters.
    await h.send(MEMBER, f"/start {member_code}")
    question = h.tg.sent(MEMBER.id)[-1]
    assert [label for label, _ in question.buttons()] == ["English", "中文"]
    await h.press_label(MEMBER, "中文")
    await h.send(MEMBER, "王芳")
    calls = await h.send(MEMBER, "跳过")
    assert any("登记完成" in t and "王芳" in t for t in h.texts(calls, MEMBER.id))
    keyboard = [c for c in calls if c.chat_id == MEMBER.id and c.buttons()]
    assert any("❓ 帮助" in label for c in keyboard for label, _ in c.buttons())
    # the officer who invited is told (here: the chief)
    assert any("王芳" in t for t in h.texts(calls, CHIEF.id))
    # her own command menu follows her language and role
    menus = [c for c in calls if c.method == "setMyCommands"]
    assert menus and menus[-1].params["scope"] == {"type": "chat", "chat_id": MEMBER.id}

    member = await h.services.people.by_telegram(MEMBER.id)
    officer = await h.services.people.by_telegram(OFFICER.id)
    assert member is not None and member.role is Role.MEMBER and member.office_id == offices[0].id
    assert officer is not None and officer.role is Role.OFFICER

    # she switches to English: every later reply is English
    await h.send(MEMBER, "/language")
    calls = await h.press_label(MEMBER, "English")
    assert any("Language set to English" in t for t in h.texts(calls))
    calls = await h.send(MEMBER, "/help")
    assert "patrol member" in h.texts(calls)[0]
    calls = await h.send(MEMBER, "what?")
    assert "didn't understand" in h.texts(calls)[0]
    member = await h.services.people.by_telegram(MEMBER.id)
    assert member is not None and member.locale == "en"

    # the chief pairs her with the officer from the roster
    await h.send(CHIEF, "/roster")
    await h.press_label(CHIEF, "东关警务室")
    await h.press_label(CHIEF, "王芳")
    await h.press_label(CHIEF, "搭档")
    calls = await h.press_label(CHIEF, "李警官")
    assert any("✅ 李警官" in label for c in calls for label, _ in c.buttons())
    assert [o.id for o in await h.services.people.officers_of(member)] == [officer.id]

    # the officer's roster shows both, with the pairing
    calls = await h.send(OFFICER, "/roster")
    roster = h.texts(calls)[0]
    assert "王芳" in roster and "李警官" in roster and "搭档：李警官" in roster

    # the audit log has the registration and the pairing
    entries = await h.services.people.audit.for_subject("person", member.id)
    assert [e.action for e in entries] == ["person:register", "person:pair"]
    assert entries[1].actor_id is not None


async def test_bad_invitations_register_nothing(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    stranger = User(5001, "X", "zh-hans")

    calls = await h.send(stranger, "/start AAAAAAAAAAAAAAAAAAAA")
    assert "无效" in h.texts(calls)[0]

    code = await invite(h, CHIEF, "巡防队员", "东关警务室")
    h.clock.advance(timedelta(days=8))
    calls = await h.send(stranger, f"/start {code}")
    assert "过期" in h.texts(calls)[0]
    h.clock.advance(timedelta(days=-8))

    await onboard(h, User(5002, "Y"), code, "赵六")
    calls = await h.send(stranger, f"/start {code}")
    assert "已被使用" in h.texts(calls)[0]
    assert await h.services.people.by_telegram(stranger.id) is None

    # a code that was valid when opened but used up before the person finished
    code = await invite(h, CHIEF, "巡防队员", "东关警务室")
    await h.send(stranger, f"/start {code}")
    await h.press_label(stranger, "中文")
    await onboard(h, User(5003, "Z"), code, "钱七")
    await h.send(stranger, "孙八")
    calls = await h.send(stranger, "跳过")
    assert "已被使用" in h.texts(calls)[0]
    assert await h.services.people.by_telegram(stranger.id) is None


async def test_unknown_user_hint_in_private_and_silence_in_group(harness: Harness) -> None:
    h = harness
    stranger = User(6001, "Stranger", "en")
    calls = await h.send(stranger, "hello")
    assert "invitation link" in h.texts(calls)[0]
    calls = await h.send(stranger, "/roster")
    assert "invitation link" in h.texts(calls)[0]
    group = builders.Chat(-100123, "supergroup", "东关村民群")
    calls = await h.send(stranger, "/help", group)
    assert calls == []
    calls = await h.send(stranger, "hello everyone", group)
    assert calls == []


async def test_member_cannot_invite_and_officer_cannot_manage_other_office(
    harness: Harness,
) -> None:
    h = harness
    await setup_station(h)
    await h.send(CHIEF, "/areas")
    await h.press_label(CHIEF, "➕ 警务室")
    await h.send(CHIEF, "西山警务室")
    officer_code = await invite(h, CHIEF, "社区民警", "东关警务室")
    member_code = await invite(h, CHIEF, "巡防队员", "西山警务室")
    await onboard(h, OFFICER, officer_code, "李警官")
    await onboard(h, MEMBER, member_code, "王芳")
    member = await h.services.people.by_telegram(MEMBER.id)
    assert member is not None

    calls = await h.send(MEMBER, "/invite")
    assert "不能" in h.texts(calls)[0]
    # a forged invite button from a member changes nothing
    invitations_before = await h.services.db.fetch_one("SELECT COUNT(*) FROM invitations")
    calls = await h.press(MEMBER, "inv:go:officer:-:1:1")
    assert h.tg.alerts()[-1].startswith("⛔")
    invitations_after = await h.services.db.fetch_one("SELECT COUNT(*) FROM invitations")
    assert invitations_before is not None and invitations_after is not None
    assert invitations_before[0] == invitations_after[0]

    # the officer of 东关 cannot suspend a member of 西山, even with forged buttons
    calls = await h.press(OFFICER, f"ros:act:{member.id}:0")
    assert "⛔" in h.tg.alerts()[-1]
    member = await h.services.people.by_telegram(MEMBER.id)
    assert member is not None and member.active
    # and the officer's invite offers only members and partners of their own office
    await h.send(OFFICER, "/invite")
    labels = [label for label, _ in h.tg.sent(OFFICER.id)[-1].buttons()]
    assert labels == ["巡防队员", "社会力量"]


async def test_last_chief_cannot_demote_themselves(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    chief = await h.services.people.by_telegram(CHIEF.id)
    assert chief is not None
    await h.press(CHIEF, f"ros:p:{chief.id}")
    await h.press_label(CHIEF, "更改角色")
    calls = await h.press_label(CHIEF, "值班室")
    assert "至少要有一位所长" in h.tg.alerts()[-1]
    chief = await h.services.people.by_telegram(CHIEF.id)
    assert chief is not None and chief.role is Role.CHIEF
    assert not [c for c in calls if c.method == "editMessageText"]


async def test_deactivated_member_is_told_access_suspended(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    code = await invite(h, CHIEF, "巡防队员", "东关警务室")
    await onboard(h, MEMBER, code, "王芳")
    member = await h.services.people.by_telegram(MEMBER.id)
    assert member is not None
    await h.press(CHIEF, f"ros:p:{member.id}")
    await h.press_label(CHIEF, "停用")
    member = await h.services.people.by_telegram(MEMBER.id)
    assert member is not None and not member.active
    calls = await h.send(MEMBER, "/help")
    assert "暂停" in h.texts(calls)[0]
    entries = await h.services.people.audit.for_subject("person", member.id)
    assert entries[-1].action == "person:deactivate"
    assert entries[-1].before == '{"active": true}' and entries[-1].after == '{"active": false}'
    await h.press(CHIEF, f"ros:p:{member.id}")
    await h.press_label(CHIEF, "恢复")
    calls = await h.send(MEMBER, "/help")
    assert "巡防队员" in h.texts(calls)[0]


async def test_what_people_see_before_start_descriptions_and_admin_only_group_commands(
    harness: Harness,
) -> None:
    """At start the bot sets its description and short description in each language (what
    an empty chat and the bot's profile show), and /register appears only in the menu of a
    group's administrators."""
    calls = harness.tg.calls
    descriptions = {
        c.params.get("language_code"): c.params["description"]
        for c in calls
        if c.method == "setMyDescription"
    }
    assert set(descriptions) == {None, "zh", "en"}
    assert "木兰巡防" in descriptions["zh"] and "110" in descriptions["zh"]
    assert "Mulan Patrol" in descriptions["en"] and "110" in descriptions["en"]
    assert descriptions[None] == descriptions["zh"]  # the deployment's language by default
    short = {
        c.params.get("language_code"): c.params["short_description"]
        for c in calls
        if c.method == "setMyShortDescription"
    }
    assert set(short) == {None, "zh", "en"} and all(len(t) <= 120 for t in short.values())

    def menu(scope: str, language: str) -> list[str]:
        found = [
            c
            for c in calls
            if c.method == "setMyCommands"
            and c.params["scope"] == {"type": scope}
            and c.params.get("language_code") == language
        ]
        assert len(found) == 1
        return [command["command"] for command in found[0].params["commands"]]

    for language in ("zh", "en"):
        assert "register" not in menu("all_group_chats", language)
        assert "report" in menu("all_group_chats", language)
        assert "register" in menu("all_chat_administrators", language)
        assert "register" not in menu("all_private_chats", language)
