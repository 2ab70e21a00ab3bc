"""Anti-fraud holes found in review, each as the person who would hit it."""

from __future__ import annotations

from datetime import timedelta

from tests import builders
from tests.builders import Chat
from tests.harness import Harness
from tests.test_fraud import MONDAY, register_public, tips_to
from tests.test_onboarding import setup_station
from tests.test_reports import MEMBER, team

SMALL = Chat(-4610, "group", "东关村民小群")
SUPER = Chat(-1004610, "supergroup", "东关村民群")


async def test_a_group_upgraded_to_a_supergroup_keeps_getting_its_tips_in_order(
    harness: Harness,
) -> None:
    h = harness
    await setup_station(h)
    await register_public(h, SMALL, "中文")
    h.clock.set(MONDAY)
    await h.tick()
    first = await h.services.db.fetch_one(
        "SELECT tip_id FROM group_tips WHERE chat_id = ?", (SMALL.id,)
    )
    # Telegram says the chat moved before the bot saw the service message
    h.tg.migrated[SMALL.id] = SUPER.id
    h.clock.set(MONDAY + timedelta(weeks=1))
    calls = await h.tick()
    assert tips_to(calls, SUPER)  # delivered to the new id
    rows = await h.services.db.fetch_all(
        "SELECT tip_id FROM group_tips WHERE chat_id = ? ORDER BY week", (SUPER.id,)
    )
    assert first is not None and rows[0]["tip_id"] == first["tip_id"]
    assert len({r["tip_id"] for r in rows}) == 2  # the rotation went on, no repeat
    group = await h.services.groups.get(SUPER.id)
    assert group is not None and group.kind == "public"


async def test_forwarding_during_a_report_keeps_the_draft(harness: Harness) -> None:
    h = harness
    await team(h)
    await h.send(MEMBER, "/report")
    await h.press_label(MEMBER, "交通")
    forwarded = builders.text(MEMBER, "您好，这里是公安局，您涉嫌洗钱，请转到安全账户。")
    forwarded["message"]["forward_origin"] = {
        "type": "hidden_user",
        "sender_user_name": "X",
        "date": 1790000000,
    }
    calls = await h.feed(forwarded)
    assert "冒充公检法" in h.texts(calls)[0]
    row = await h.services.conversations.get(MEMBER.id, MEMBER.id)
    assert row is not None and row[0] == "report" and row[1] == "report:danger"
    await h.press_label(MEMBER, "作为诈骗上报")
    assert "先完成" in h.tg.alerts()[-1]
