"""Incident reports through the real application: scenario 1 end to end, bad input, rights,
the reminder, the duplicate hint, restart-resume, groups, deactivation."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from models.reports import Outcome, Report, ReportStatus
from tests import builders
from tests.builders import Chat, User
from tests.flows import (
    CHIEF,
    LAT,
    LON,
    MEMBER,
    OFFICER,
    OFFICER2,
    draft_dispute,
    invite,
    onboard,
    person_of,
    register,
    setup_station,
    submit_dispute,
    team,
)
from tests.harness import Harness, make_settings


async def latest_report(h: Harness) -> Report:
    member = await person_of(h, MEMBER)
    found, _total = await h.services.reports.repo.listing(reporter_id=member.id)
    return found[0]


async def test_scenario_1_dispute_reported_mediated_and_closed(harness: Harness) -> None:
    h = harness
    await team(h)
    await draft_dispute(h)
    summary = h.last_text(MEMBER.id)
    assert "矛盾纠纷" in summary and "铁丝网" in summary and "照片：1 张" in summary
    calls = await h.press_label(MEMBER, "提交")
    assert any("已发送给您的搭档民警" in t for t in h.texts(calls, MEMBER.id))

    member = await person_of(h, MEMBER)
    report = (await h.services.reports.repo.listing(reporter_id=member.id))[0][0]
    assert report.number == "#2026-0001" and report.status is ReportStatus.NEW
    assert await h.services.reports.repo.attachments(report.id, "photo") == [
        "AgACAgIAAxkBAAIBphoto"
    ]
    # the paired officer got the card with phone, the pin and the photo; the other did not
    officer_calls = [c for c in calls if c.chat_id == OFFICER.id]
    assert [c.method for c in officer_calls] == ["sendMessage", "sendLocation", "sendPhoto"]
    card = officer_calls[0]
    assert "新上报" in card.text and "王芳" in card.text and "#2026-0001" in card.text
    labels = [label for label, _ in card.buttons()]
    assert labels == ["✋ 接收", "🚓 我去处理", "📍 已到场", "❓ 需要补充", "✅ 办结", "👉 转交"]
    assert not [c for c in calls if c.chat_id == OFFICER2.id]

    calls = await h.press_label(OFFICER, "接收")
    assert any("已由 李警官 接收" in t for t in h.texts(calls, MEMBER.id))
    calls = await h.press_label(OFFICER, "我去处理")
    assert any(
        "李警官 正在赶往现场" in t and "+8613800000002" in t for t in h.texts(calls, MEMBER.id)
    )

    await h.press_label(OFFICER, "需要补充")
    calls = await h.send(OFFICER, "铁丝网有多高？")
    assert any("铁丝网有多高" in t for t in h.texts(calls, MEMBER.id))
    await h.press_label(MEMBER, "回复")
    calls = await h.send(MEMBER, "大约两米，在院墙顶上。")
    assert any("大约两米" in t for t in h.texts(calls, OFFICER.id))

    await h.press_label(OFFICER, "办结")
    await h.press_label(OFFICER, "现场调解")
    calls = await h.send(OFFICER, "双方同意拆除铁丝网，改装监控。")
    told = h.texts(calls, MEMBER.id)
    assert any("已办结：现场调解" in t and "改装监控" in t for t in told)

    resolved = await h.services.reports.repo.get(report.id)
    assert resolved is not None and resolved.status is ReportStatus.RESOLVED
    assert resolved.outcome == "mediated" and resolved.owner_id == (await person_of(h, OFFICER)).id
    events = [e.kind.value for e in await h.services.reports.repo.events(resolved.id)]
    assert events == ["created", "acknowledged", "en_route", "question", "answer", "resolved"]

    # the reporter sees the whole timeline with /reports <number>
    calls = await h.send(MEMBER, "/reports 2026-0001")
    timeline = h.texts(calls)[0]
    assert "处理记录" in timeline and "大约两米" in timeline and "现场调解" in timeline


async def test_report_goes_to_duty_desk_when_no_paired_officer(harness: Harness) -> None:
    h = harness
    await setup_station(h)
    duty = User(2600, "Duty")
    await onboard(h, duty, await invite(h, CHIEF, "值班室"), "值班员")
    await onboard(h, MEMBER, await invite(h, CHIEF, "巡防队员", "东关警务室"), "王芳")
    h.tg.clear()
    await draft_dispute(h, photo=False)
    calls = await h.press_label(MEMBER, "提交")
    assert any("值班室" in t for t in h.texts(calls, MEMBER.id))
    assert any("新上报" in t for t in h.texts(calls, duty.id))


async def test_bad_input_in_the_report_conversation(harness: Harness) -> None:
    h = harness
    await team(h)
    await h.send(MEMBER, "/report")
    calls = await h.send(MEMBER, "随便说点什么")
    assert "请使用下方按钮" in h.texts(calls)[0]
    await h.press_label(MEMBER, "安全隐患")
    await h.press_label(MEMBER, "否")
    calls = await h.feed(builders.photo(MEMBER))
    assert "照片在下一步" in h.texts(calls)[0]
    calls = await h.feed(builders.sticker(MEMBER))
    assert "照片在下一步" in h.texts(calls)[0]
    calls = await h.send(MEMBER, "很" * 10_000)
    assert "10000 字" in h.texts(calls)[0]
    row = await h.services.conversations.get(MEMBER.id, MEMBER.id)
    assert row is not None and row[1] == "report:describe"
    await h.send(MEMBER, "电线垂到路面了")
    # a location far from every office asks to confirm
    offices = await h.services.org.repo.offices(1)
    await h.services.org.locate_office(await person_of(h, CHIEF), offices[0].id, LAT, LON)
    calls = await h.feed(builders.location(MEMBER, 31.2, 121.5))  # Shanghai
    assert "50 公里" in h.texts(calls)[0]
    await h.press_label(MEMBER, "否")
    await h.feed(builders.location(MEMBER, LAT + 0.001, LON))
    calls = await h.send(MEMBER, "not a photo")
    assert "请发送照片" in h.texts(calls)[0]
    # a second /report while a draft is open offers to continue or restart
    calls = await h.send(MEMBER, "/report")
    assert "继续填写还是重新开始" in h.texts(calls)[0]
    calls = await h.press_label(MEMBER, "继续填写")
    assert any("照片" in t for t in h.texts(calls))
    draft = (await h.services.conversations.get(MEMBER.id, MEMBER.id))[2]["draft"]  # type: ignore[index]
    assert draft["description"] == "电线垂到路面了" and draft["latitude"] == LAT + 0.001


async def test_draft_survives_a_restart_and_expires_with_a_note(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "patrol.db")
    first = Harness(settings)
    await first.start()
    await team(first)
    await first.send(MEMBER, "/report")
    await first.press_label(MEMBER, "可疑人员")
    await first.press_label(MEMBER, "否")
    await first.send(MEMBER, "一辆陌生面包车在村口转了三圈")
    await first.stop()

    second = Harness(settings, clock=first.clock)
    await second.start()
    try:
        calls = await second.feed(builders.location(MEMBER, LAT, LON))
        assert any("照片" in t for t in second.texts(calls))
        await second.press_label(MEMBER, "完成")
        await second.press_label(MEMBER, "紧急")
        summary = second.last_text(MEMBER.id)
        assert "面包车" in summary and "紧急" in summary
        # left alone for more than two hours: the draft expires with a note
        second.clock.advance(timedelta(hours=2, minutes=1))
        calls = await second.tick()
        assert any("草稿" in t and "作废" in t for t in second.texts(calls, MEMBER.id))
        assert await second.services.conversations.get(MEMBER.id, MEMBER.id) is None
        count = await second.services.db.fetch_one("SELECT COUNT(*) FROM reports")
        assert count is not None and count[0] == 0
    finally:
        await second.stop()


async def test_rights_on_report_buttons(harness: Harness) -> None:
    h = harness
    await team(h)
    report_id = await submit_dispute(h)
    # a member forging an officer button changes nothing
    await h.press(MEMBER, f"rp:ack:{report_id}")
    assert h.tg.alerts()[-1].startswith("⛔")
    # an officer of another office is refused
    await h.send(CHIEF, "/areas")
    await h.press_label(CHIEF, "➕ 警务室")
    await h.send(CHIEF, "西山警务室")
    stranger = User(3100, "Sun")
    await onboard(h, stranger, await invite(h, CHIEF, "社区民警", "西山警务室"), "孙警官")
    await h.press(stranger, f"rp:go:{report_id}")
    assert h.tg.alerts()[-1].startswith("⛔")
    calls = await h.send(stranger, "/reports 2026-0001")
    assert "没有找到" in h.texts(calls)[0]
    report = await h.services.reports.repo.get(report_id)
    assert report is not None and report.status is ReportStatus.NEW
    # the chief may act on any report of the station
    await h.press(CHIEF, f"rp:ack:{report_id}")
    report = await h.services.reports.repo.get(report_id)
    assert report is not None and report.status is ReportStatus.ACKNOWLEDGED
    # a stale button of a closed report
    await h.services.reports.resolve(await person_of(h, CHIEF), report_id, Outcome.UNFOUNDED, None)
    await h.press(OFFICER, f"rp:go:{report_id}")
    assert "已经结束" in h.tg.alerts()[-1]


async def test_withdraw_until_acknowledged_and_reopen_within_7_days(harness: Harness) -> None:
    h = harness
    await team(h)
    report_id = await submit_dispute(h)
    calls = await h.press_label(MEMBER, "撤回")
    assert any("撤回了上报" in t for t in h.texts(calls, OFFICER.id))
    report = await h.services.reports.repo.get(report_id)
    assert report is not None and report.status is ReportStatus.WITHDRAWN

    report_id = await submit_dispute(h)
    await h.press(OFFICER, f"rp:ack:{report_id}")
    await h.press(MEMBER, f"rp:wd:{report_id}")
    assert "不能撤回" in h.tg.alerts()[-1]
    await h.press(OFFICER, f"rp:res:{report_id}")
    await h.press(OFFICER, f"rp:out:{report_id}:mediated")
    await h.press_label(OFFICER, "跳过")
    await h.press_label(MEMBER, "重新打开")
    calls = await h.send(MEMBER, "又吵起来了")
    assert any("又吵起来了" in t for t in h.texts(calls, OFFICER.id))
    report = await h.services.reports.repo.get(report_id)
    assert report is not None and report.status is ReportStatus.NEW
    # too late after 7 days
    await h.services.reports.resolve(
        await person_of(h, OFFICER), report_id, Outcome.MEDIATED, None
    )
    h.clock.advance(timedelta(days=8))
    await h.press(MEMBER, f"rp:reopen:{report_id}")  # told at once, not after typing
    assert "超过 7 天" in h.tg.alerts()[-1]


async def test_reminder_for_a_report_still_new(harness: Harness) -> None:
    h = harness
    await team(h)
    duty = User(2600, "Duty")
    await onboard(h, duty, await invite(h, CHIEF, "值班室"), "值班员")
    await h.send(MEMBER, "/report")
    await h.press_label(MEMBER, "火情")
    await h.press_label(MEMBER, "是")  # someone in danger: urgent
    await h.send(MEMBER, "柴房冒烟")
    await h.feed(builders.location(MEMBER, LAT, LON))
    await h.press_label(MEMBER, "完成")
    calls = await h.press_label(MEMBER, "提交")
    assert any("119" in t for t in h.texts(calls, MEMBER.id))
    h.clock.advance(timedelta(minutes=9))
    assert await h.tick() == []
    h.clock.advance(timedelta(minutes=2))
    calls = await h.tick()
    assert any("仍未接收" in t for t in h.texts(calls, OFFICER.id))
    assert any("仍未接收" in t for t in h.texts(calls, duty.id))
    assert await h.tick() == []  # once


async def test_possible_duplicate_hint_and_merge(harness: Harness) -> None:
    h = harness
    await team(h)
    first = await submit_dispute(h)
    h.clock.advance(timedelta(minutes=30))
    second = await submit_dispute(h)
    card = [c for c in h.tg.sent(OFFICER.id) if "新上报" in c.text][-1]
    assert "可能与 #2026-0001 是同一件事" in card.text
    calls = await h.press_label(OFFICER, "合并到 #2026-0001")
    assert any("已合并" in t for t in h.texts(calls, MEMBER.id))
    merged = await h.services.reports.repo.get(second)
    assert (
        merged is not None and merged.status is ReportStatus.MERGED and merged.merged_into == first
    )


async def test_report_in_a_group_redirects_to_private(harness: Harness) -> None:
    h = harness
    await team(h)
    group = Chat(-100900, "supergroup", "东关村民群")
    calls = await h.send(MEMBER, "/report", group)
    assert len(calls) == 1 and "私聊" in calls[0].text
    assert calls[0].buttons()[0][1] == "https://t.me/MulanPatrolBot?start=report"
    calls = await h.send(MEMBER, "/start report")
    assert "是什么情况" in h.texts(calls)[0]


async def test_deactivated_officers_reports_return_to_the_queue(harness: Harness) -> None:
    h = harness
    await team(h)
    report_id = await submit_dispute(h)
    await h.press(OFFICER, f"rp:ack:{report_id}")
    officer = await person_of(h, OFFICER)
    await h.press(CHIEF, f"ros:p:{officer.id}")
    calls = await h.press_label(CHIEF, "停用")
    assert any("退回警务室待办" in t for t in h.texts(calls, OFFICER2.id))
    report = await h.services.reports.repo.get(report_id)
    assert report is not None and report.status is ReportStatus.NEW and report.owner_id is None


async def test_hand_over_and_lists(harness: Harness) -> None:
    h = harness
    await team(h)
    report_id = await submit_dispute(h)
    await h.press(OFFICER, f"rp:hand:{report_id}")
    calls = await h.press_label(OFFICER, "赵警官")
    assert any("已转交给您" in t for t in h.texts(calls, OFFICER2.id))
    assert any("转交给 赵警官" in t for t in h.texts(calls, MEMBER.id))
    calls = await h.send(OFFICER2, "/reports")
    listing = h.texts(calls)[0]
    assert "#2026-0001" in listing and "待处理" in listing
    await h.press_label(OFFICER2, "我负责的")
    assert "#2026-0001" in h.last_text(OFFICER2.id)
    calls = await h.send(MEMBER, "/reports")
    assert "#2026-0001" in h.texts(calls)[0]


async def test_voice_description_edit_a_field_and_a_photo_note(harness: Harness) -> None:
    h = harness
    await team(h)
    await h.send(MEMBER, "/report")
    await h.press_label(MEMBER, "电信诈骗")
    await h.press_label(MEMBER, "否")
    await h.press_label(MEMBER, "是")  # money was lost
    calls = await h.send(MEMBER, "很多")
    assert "请输入数字" in h.texts(calls)[0]
    await h.send(MEMBER, "5,000元")
    await h.feed(builders.voice(MEMBER))
    await h.press_label(MEMBER, "东关村")
    await h.press_label(MEMBER, "完成")
    await h.press_label(MEMBER, "一般")
    summary = h.last_text(MEMBER.id)
    assert "附语音" in summary and "约 5000 元" in summary and "东关村" in summary
    await h.press_label(MEMBER, "改描述")
    await h.send(MEMBER, "冒充客服让转账退款")
    summary = h.last_text(MEMBER.id)
    assert "核对" in summary and "冒充客服" in summary
    await h.press_label(MEMBER, "提交")
    report = await latest_report(h)
    assert report.money_lost and report.loss_amount == 5000
    assert report.voice_file_id == "AwACAgIAAxkBAAIBvoice"
    assert await h.services.reports.repo.attachments(report.id, "voice") == [report.voice_file_id]
    await h.press_label(MEMBER, "补充说明")
    calls = await h.feed(builders.photo(MEMBER, caption="转账截图"))
    assert [c.method for c in calls if c.chat_id == OFFICER.id] == ["sendMessage", "sendPhoto"]
    assert len(await h.services.reports.repo.attachments(report.id, "photo")) == 1


# --- Report edge cases, each as the person who would hit it ---------------------------------
STAFF = Chat(-100300, "supergroup", "所部工作群")
VILLAGE = Chat(-100301, "supergroup", "东关村民群")


async def test_voice_and_photos_reach_whoever_gets_the_card(harness: Harness) -> None:
    h = harness
    await team(h)
    await h.send(MEMBER, "/report")
    await h.press_label(MEMBER, "其他")
    await h.press_label(MEMBER, "否")
    calls = await h.feed(builders.voice(MEMBER))
    await h.feed(builders.location(MEMBER, LAT, LON))
    await h.feed(builders.photo(MEMBER))
    await h.press_label(MEMBER, "完成")
    await h.press_label(MEMBER, "一般")
    calls = await h.press_label(MEMBER, "提交")
    methods = [c.method for c in calls if c.chat_id == OFFICER.id]
    assert methods == ["sendMessage", "sendLocation", "sendPhoto", "sendVoice"]
    report = await latest_report(h)
    calls = await h.press(OFFICER, f"rp:hand:{report.id}")
    calls = await h.press_label(OFFICER, "赵警官")
    methods = [c.method for c in calls if c.chat_id == OFFICER2.id]
    assert methods == ["sendMessage", "sendLocation", "sendPhoto", "sendVoice"]


async def test_moved_officer_reports_go_back_and_notes_follow_the_office(
    harness: Harness,
) -> None:
    h = harness
    await team(h)
    report_id = await submit_dispute(h)
    await h.press(OFFICER, f"rp:go:{report_id}")
    await h.send(CHIEF, "/areas")
    await h.press_label(CHIEF, "➕ 警务室")
    await h.send(CHIEF, "西山警务室")
    officer = await person_of(h, OFFICER)
    await h.press(CHIEF, f"ros:p:{officer.id}")
    await h.press_label(CHIEF, "调动警务室")
    calls = await h.press_label(CHIEF, "西山警务室")
    assert any("退回警务室待办" in t for t in h.texts(calls, OFFICER2.id))
    report = await h.services.reports.repo.get(report_id)
    assert report is not None and report.status is ReportStatus.NEW and report.owner_id is None
    # the reporter cannot withdraw a report an officer was already going to
    await h.press(MEMBER, f"rp:wd:{report_id}")
    assert "不能撤回" in h.tg.alerts()[-1]
    # the reporter's note goes to the office, not to the moved officer
    await h.press(MEMBER, f"rp:note:{report_id}")
    calls = await h.send(MEMBER, "他们又吵起来了")
    assert any("又吵起来了" in t for t in h.texts(calls, OFFICER2.id))
    assert not h.texts(calls, OFFICER.id)
    # and the returned report is reminded again
    h.clock.advance(timedelta(hours=2, minutes=1))
    calls = await h.tick()
    assert any("仍未接收" in t for t in h.texts(calls, OFFICER2.id))


async def test_forged_show_in_groups_posts_nothing(harness: Harness) -> None:
    h = harness
    await team(h)
    report_id = await submit_dispute(h)
    await register(h, STAFF, "工作群")
    for chat in (VILLAGE, STAFF):
        calls = await h.press(CHIEF, f"rp:show:{report_id}", chat)
        assert [c for c in calls if c.method == "sendMessage"] == []
        calls = await h.press(CHIEF, "rp:list:open:0", chat)
        assert [c for c in calls if c.method in ("sendMessage", "editMessageText")] == []
    # in a village group even a card action is refused
    await h.press(CHIEF, f"rp:ack:{report_id}", VILLAGE)
    assert h.tg.alerts()[-1].startswith("⛔")


async def test_resolving_from_the_staff_group_asks_in_private(harness: Harness) -> None:
    h = harness
    await team(h)
    report_id = await submit_dispute(h)
    await register(h, STAFF, "工作群")
    await h.press(CHIEF, f"rp:res:{report_id}", STAFF)
    calls = await h.press(CHIEF, f"rp:out:{report_id}:mediated", STAFF)
    assert any("简要说明" in c.text for c in calls if c.chat_id == CHIEF.id)
    await h.send(CHIEF, "x" * 1200)
    assert "最多 1000" in h.last_text(CHIEF.id)
    calls = await h.send(CHIEF, "已调解")
    report = await h.services.reports.repo.get(report_id)
    assert report is not None and report.status is ReportStatus.RESOLVED
    assert report.outcome_note == "已调解"


async def test_answer_button_does_not_wipe_an_open_draft(harness: Harness) -> None:
    h = harness
    await team(h)
    report_id = await submit_dispute(h)
    await h.press(OFFICER, f"rp:info:{report_id}")
    await h.send(OFFICER, "几个人？")
    await h.send(MEMBER, "/report")
    await h.press_label(MEMBER, "交通")
    await h.press(MEMBER, f"rp:answer:{report_id}")
    assert "先完成" in h.tg.alerts()[-1]
    row = await h.services.conversations.get(MEMBER.id, MEMBER.id)
    assert row is not None and row[0] == "report" and row[1] == "report:danger"


async def test_refused_reopen_does_not_trap_the_person(harness: Harness) -> None:
    h = harness
    await team(h)
    report_id = await submit_dispute(h)
    await h.services.reports.resolve(
        await person_of(h, OFFICER), report_id, Outcome.MEDIATED, None
    )
    await h.press(MEMBER, f"rp:reopen:{report_id}")
    h.clock.advance(timedelta(days=8))
    calls = await h.send(MEMBER, "没解决")
    assert "超过 7 天" in h.texts(calls)[0]
    calls = await h.send(MEMBER, "hello")
    assert "没看懂" in h.texts(calls)[0]


async def test_answer_reaches_the_duty_person_who_asked(harness: Harness) -> None:
    h = harness
    await team(h)
    duty = User(2600, "Duty")
    await onboard(h, duty, await invite(h, CHIEF, "值班室"), "值班员")
    report_id = await submit_dispute(h)
    await h.press(duty, f"rp:info:{report_id}")
    await h.send(duty, "现场有几个人？")
    await h.press_label(MEMBER, "回复")
    calls = await h.send(MEMBER, "三个")
    assert any("三个" in t for t in h.texts(calls, duty.id))


async def test_editing_the_location_forgets_the_old_one(harness: Harness) -> None:
    h = harness
    await team(h)
    await h.send(MEMBER, "/report")
    await h.press_label(MEMBER, "安全隐患")
    await h.press_label(MEMBER, "否")
    await h.send(MEMBER, "井盖丢了")
    await h.feed(builders.location(MEMBER, LAT, LON))
    await h.press_label(MEMBER, "完成")
    await h.press_label(MEMBER, "一般")
    await h.press_label(MEMBER, "改位置")
    await h.send(MEMBER, "东关村小学门口")
    draft = (await h.services.conversations.get(MEMBER.id, MEMBER.id))[2]["draft"]  # type: ignore[index]
    assert draft["latitude"] is None and draft["address"] == "东关村小学门口"


async def test_officer_can_reopen_and_numbers_use_the_local_year(harness: Harness) -> None:
    h = harness
    await team(h)
    h.clock.set(datetime.fromisoformat("2027-01-01T06:00:00+08:00"))
    report_id = await submit_dispute(h)
    report = await h.services.reports.repo.get(report_id)
    assert report is not None and report.number == "#2027-0001"
    await h.services.reports.resolve(
        await person_of(h, OFFICER), report_id, Outcome.MEDIATED, None
    )
    calls = await h.send(OFFICER, "/reports 2027-0001")
    labels = [label for c in calls for label, _ in c.buttons()]
    assert "🔄 重新打开" in labels
    await h.press_label(OFFICER, "重新打开")
    calls = await h.send(OFFICER, "当事人反映未解决")
    assert any("重新打开" in t for t in h.texts(calls, MEMBER.id))
