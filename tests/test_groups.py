"""Groups: tracked from my_chat_member, registered by a chief, kept across migration."""

from __future__ import annotations

from tests import builders
from tests.builders import Chat, User
from tests.flows import CHIEF, invite, onboard, setup_station
from tests.harness import Harness

VILLAGE_GROUP = Chat(-100500, "supergroup", "东关村民群")


async def test_public_group_registered_and_marked_inactive_when_bot_removed(
    harness: Harness,
) -> None:
    h = harness
    await setup_station(h)
    await h.feed(builders.my_chat_member(CHIEF, VILLAGE_GROUP, "left", "member"))
    group = await h.services.groups.get(VILLAGE_GROUP.id)
    assert group is not None and group.active and not group.registered

    await h.send(CHIEF, "/register", VILLAGE_GROUP)
    await h.press_label(CHIEF, "村民群", VILLAGE_GROUP)
    await h.press_label(CHIEF, "东关警务室", VILLAGE_GROUP)
    await h.press_label(CHIEF, "东关村", VILLAGE_GROUP)
    calls = await h.press_label(CHIEF, "中文", VILLAGE_GROUP)
    assert "村民群" in h.texts(calls)[0]

    group = await h.services.groups.get(VILLAGE_GROUP.id)
    assert group is not None and group.kind == "public" and group.locale == "zh_CN"
    places = await h.services.org.repo.places(group.office_id or 0)
    assert group.place_id == places[0].id

    await h.feed(builders.my_chat_member(CHIEF, VILLAGE_GROUP, "member", "kicked"))
    group = await h.services.groups.get(VILLAGE_GROUP.id)
    assert group is not None and not group.active and group.registered


async def test_staff_group_for_whole_station_and_migration_keeps_registration(
    harness: Harness,
) -> None:
    h = harness
    await setup_station(h)
    small = Chat(-4242, "group", "所部工作群")
    await h.feed(builders.my_chat_member(CHIEF, small, "left", "member"))
    await h.send(CHIEF, "/register", small)
    await h.press_label(CHIEF, "工作群", small)
    await h.press_label(CHIEF, "整个派出所", small)
    await h.press_label(CHIEF, "English", small)
    group = await h.services.groups.get(small.id)
    assert group is not None and group.kind == "staff" and group.office_id is None
    assert group.locale == "en"

    await h.feed(builders.migrate(CHIEF, small, -1009999))
    assert await h.services.groups.get(small.id) is None
    moved = await h.services.groups.get(-1009999)
    assert moved is not None and moved.kind == "staff" and moved.locale == "en"
    assert moved.station_id == group.station_id


async def test_only_chief_or_operator_registers_a_group(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    member = User(4100, "Wang")
    code = await invite(h, CHIEF, "巡防队员", "东关警务室")
    await onboard(h, member, code, "王芳")
    await h.feed(builders.my_chat_member(CHIEF, VILLAGE_GROUP, "left", "member"))
    calls = await h.send(member, "/register", VILLAGE_GROUP)
    assert "不能" in h.texts(calls)[0]
    # a forged registration button from the member changes nothing
    await h.press(member, "grp:go:public:1:1:0:zh_CN", VILLAGE_GROUP)
    group = await h.services.groups.get(VILLAGE_GROUP.id)
    assert group is not None and not group.registered
    # a resident nobody registered is ignored entirely
    calls = await h.send(User(4200, "Resident"), "/register", VILLAGE_GROUP)
    assert calls == []
    # /register in private explains where to send it
    calls = await h.send(CHIEF, "/register")
    assert "群里" in h.texts(calls)[0]


async def test_group_ignores_commands_for_other_bots(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    calls = await h.send(CHIEF, "/help@SomeOtherBot", VILLAGE_GROUP)
    assert calls == []
    calls = await h.send(CHIEF, "/nonsense", VILLAGE_GROUP)
    assert calls == []
    calls = await h.send(CHIEF, "/help@MulanPatrolBot", VILLAGE_GROUP)
    assert "防诈" in h.texts(calls)[0]
