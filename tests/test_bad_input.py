"""Bad input gets one clear answer in the person's language; the conversation stays put."""

from __future__ import annotations

from tests import builders
from tests.builders import User
from tests.flows import CHIEF, invite, setup_station
from tests.harness import Harness

NEWCOMER = User(7001, "Newcomer", "zh-hans")


async def start_onboarding(h: Harness) -> str:
    await setup_station(h)
    code = await invite(h, CHIEF, "巡防队员", "东关警务室")
    await h.send(NEWCOMER, f"/start {code}")
    await h.press_label(NEWCOMER, "中文")
    return code


async def conversation_state(h: Harness) -> str | None:
    row = await h.services.conversations.get(NEWCOMER.id, NEWCOMER.id)
    return row[1] if row else None


async def test_sticker_instead_of_name_is_answered_and_step_kept(harness: Harness) -> None:
    h = harness
    await start_onboarding(h)
    calls = await h.feed(builders.sticker(NEWCOMER))
    assert h.texts(calls) == ["请用文字发送您的姓名。"]
    assert await conversation_state(h) == "onboarding:name"
    calls = await h.feed(builders.photo(NEWCOMER))
    assert h.texts(calls) == ["请用文字发送您的姓名。"]
    await h.send(NEWCOMER, "周九")
    assert await conversation_state(h) == "onboarding:phone"


async def test_over_long_and_empty_names_are_refused(harness: Harness) -> None:
    h = harness
    await start_onboarding(h)
    calls = await h.send(NEWCOMER, "很" * 10_000)
    assert h.texts(calls) == ["名称太长了（最多 64 个字），请重新输入。"]
    calls = await h.send(NEWCOMER, "   \u200b ")
    assert len(h.texts(calls)) == 1
    assert await conversation_state(h) == "onboarding:name"
    await h.send(NEWCOMER, "<b>周九</b>")
    calls = await h.send(NEWCOMER, "跳过")
    # the name is stored as typed and shown escaped (messages are HTML)
    person = await h.services.people.by_telegram(NEWCOMER.id)
    assert person is not None and person.name == "<b>周九</b>"
    assert any("&lt;b&gt;周九&lt;/b&gt;" in t for t in h.texts(calls))


async def test_someone_elses_contact_and_bad_phone_are_refused(harness: Harness) -> None:
    h = harness
    await start_onboarding(h)
    await h.send(NEWCOMER, "周九")
    calls = await h.feed(builders.contact(NEWCOMER, "+8613900000000", owner_id=12345))
    assert "本人" in h.texts(calls)[0]
    calls = await h.send(NEWCOMER, "not a phone")
    assert "手机号" in h.texts(calls)[0]
    calls = await h.feed(builders.sticker(NEWCOMER))
    assert "跳过" in h.texts(calls)[0]
    assert await conversation_state(h) == "onboarding:phone"
    await h.feed(builders.contact(NEWCOMER, "+8613900000000"))
    person = await h.services.people.by_telegram(NEWCOMER.id)
    assert person is not None and person.phone == "+8613900000000"


async def test_stale_and_forged_buttons_get_a_clear_answer(harness: Harness) -> None:
    h = harness
    await start_onboarding(h)
    # the language button again, after the language step is done
    await h.press(NEWCOMER, "onb:lang:en")
    assert h.tg.alerts()[-1] == "这个按钮已失效，请重新打开菜单。"
    assert await conversation_state(h) == "onboarding:name"
    # junk callback data from a registered person
    await h.press(CHIEF, "zzz:whatever")
    assert "失效" in h.tg.alerts()[-1]
    await h.press(CHIEF, "ros:p:notanumber")
    assert "失效" in h.tg.alerts()[-1]
    await h.press(CHIEF, "inv:go:emperor:-:-:-")
    assert "失效" in h.tg.alerts()[-1]


async def test_unknown_command_and_edited_message(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    calls = await h.send(CHIEF, "/fly")
    assert "没有这个命令" in h.texts(calls)[0]
    calls = await h.feed(builders.edited_text(CHIEF, "edited"))
    assert len(calls) <= 1


async def test_cancel_leaves_the_conversation(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    await h.send(CHIEF, "/areas")
    await h.press_label(CHIEF, "➕ 警务室")
    calls = await h.send(CHIEF, "/cancel")
    assert "已取消" in h.texts(calls)[0]
    calls = await h.send(CHIEF, "西山警务室")
    assert "没看懂" in h.texts(calls)[0]
    calls = await h.send(CHIEF, "/cancel")
    assert "没有需要取消" in h.texts(calls)[0]
