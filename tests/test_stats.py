"""Statistics through the real application: a seeded week with known answers (medians and
90th percentiles) in /stats, the picture in both languages with every Chinese glyph in the
font, /export read back with openpyxl, the five zeros, the weekly and monthly reports sent
once across a restart, rights and bad input."""

from __future__ import annotations

import io
import json
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # no stubs, no py.typed
from openpyxl import load_workbook

from models import chart
from models.clock import to_db
from models.stats import Figures, FiveZero, UnitTimes
from scheduler.notices.stats_views import StatsViews
from tests.builders import User
from tests.fakes import Call
from tests.flows import (
    CHIEF,
    DUTY,
    MEMBER,
    OFFICER,
    OFFICER2,
    OPERATOR,
    invite,
    onboard,
    person_of,
    with_duty,
)
from tests.harness import Harness, make_settings

WEST_OFFICER = User(3100, "Sun", "zh-hans")
OFFICER_EN = User(3101, "Ken", "en")
PNG = b"\x89PNG\r\n\x1a\n"


def at(text: str) -> str:
    """A local (UTC+8) time as the database stores it."""
    return to_db(datetime.fromisoformat(text + "+08:00"))


def plus(text: str, minutes: float) -> str:
    return to_db(datetime.fromisoformat(text + "+08:00") + timedelta(minutes=minutes))


async def station(h: Harness) -> dict[str, int]:
    """The team of the report tests, the duty desk, a second office with its own officer,
    and an English-speaking officer in the first office."""
    await with_duty(h)
    chief = await person_of(h, CHIEF)
    west = await h.services.org.add_office(chief, 1, "西街警务室")
    await onboard(h, WEST_OFFICER, await invite(h, CHIEF, "社区民警", "西街警务室"), "孙警官")
    await onboard(
        h, OFFICER_EN, await invite(h, CHIEF, "社区民警", "东关警务室"), "Ken", "English"
    )
    east = (await person_of(h, OFFICER)).office_id
    assert east is not None
    village = (await h.services.org.repo.places(east))[0]
    member = await person_of(h, MEMBER)
    h.tg.clear()
    return {"east": east, "west": west.id, "village": village.id, "member": member.id}


async def _report(
    h: Harness,
    ids: dict[str, int],
    seq: int,
    category: str,
    created: str,
    *,
    office: str = "east",
    status: str = "new",
    ack: float | None = None,
    resolved: float | None = None,
    outcome: str | None = None,
    money_lost: int | None = None,
    description: str = "情况说明",
) -> None:
    await h.services.db.execute(
        "INSERT INTO reports (station_id, office_id, year, seq, reporter_id, category,"
        " money_lost, description, place_id, status, outcome, created_at, acknowledged_at,"
        " resolved_at) VALUES (1, ?, 2026, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ids[office],
            seq,
            ids["member"],
            category,
            money_lost,
            description,
            ids["village"],
            status,
            outcome,
            at(created),
            plus(created, ack) if ack is not None else None,
            plus(created, resolved) if resolved is not None else None,
        ),
    )


async def _outbox(h: Harness, chat_id: int, status: str) -> int:
    return await h.services.db.execute(
        "INSERT INTO outbox (chat_id, method, payload, status, next_attempt_at, created_at)"
        " VALUES (?, 'sendMessage', '{}', ?, ?, ?)",
        (chat_id, status, at("2026-11-26T10:00:00"), at("2026-11-26T10:00:00")),
    )


async def seed_week(h: Harness, ids: dict[str, int]) -> None:
    """Monday 2026-11-23 to Sunday 11-29, stored as the features store it (the station has
    existed since October)."""
    async with h.services.db.write():
        await h.services.db.execute(
            "UPDATE stations SET created_at = ? WHERE id = 1", (at("2026-10-01T09:00:00"),)
        )
        # reports of the east office: acknowledged after 4, 10, 6, 20 and 2 minutes
        await _report(h, ids, 1, "dispute", "2026-11-23T10:00:00", status="resolved",
                      ack=4, resolved=120, outcome="mediated")  # fmt: skip
        await _report(h, ids, 2, "dispute", "2026-11-24T09:00:00", status="resolved",
                      ack=10, resolved=300, outcome="other_department")  # fmt: skip
        await _report(h, ids, 3, "hazard", "2026-11-24T15:00:00", status="acknowledged", ack=6)
        await _report(h, ids, 4, "fraud", "2026-11-25T20:00:00", status="resolved",
                      ack=20, resolved=1440, outcome="other", money_lost=1)  # fmt: skip
        await _report(h, ids, 5, "hazard", "2026-11-27T08:00:00", status="resolved",
                      ack=2, resolved=30, outcome="other")  # fmt: skip
        await _report(h, ids, 6, "other", "2026-11-28T11:00:00",
                      description="=HYPERLINK(\"http://x\")")  # fmt: skip
        await _report(h, ids, 7, "dispute", "2026-11-23T10:30:00", status="merged")
        # the west office: acknowledged after 30 minutes
        await _report(h, ids, 8, "suspicious", "2026-11-26T14:00:00", office="west",
                      status="acknowledged", ack=30)  # fmt: skip
        # outside the week, on both sides
        await _report(h, ids, 9, "fire", "2026-11-22T23:59:00")
        await _report(h, ids, 10, "fire", "2026-11-30T00:00:00")
        # backup: claimed after 3, 9 and 5 minutes; arrived after 15 and 25
        officer = (await person_of(h, OFFICER)).id
        for office, created, claim, arrive, step in (
            ("east", "2026-11-24T09:30:00", 3, 15, 0),
            ("east", "2026-11-26T19:00:00", 9, 25, 2),
            ("west", "2026-11-27T10:00:00", 5, None, 1),
        ):
            request = await h.services.db.execute(
                "INSERT INTO backup_requests (station_id, office_id, requester_id, reason,"
                " status, waits, step_index, owner_id, created_at, claimed_at, arrived_at)"
                " VALUES (1, ?, ?, 'dispute', 'resolved', '[180]', ?, ?, ?, ?, ?)",
                (
                    ids[office],
                    ids["member"],
                    step,
                    officer,
                    at(created),
                    plus(created, claim),
                    plus(created, arrive) if arrive is not None else None,
                ),
            )
            for number in range(1, step + 2):  # the escalation's step events
                await h.services.db.execute(
                    "INSERT INTO backup_events (request_id, at, kind, detail)"
                    " VALUES (?, ?, 'step', ?)",
                    (request, at(created), f"{number}:office:1"),
                )
        # patrols: three planned slots (two walked, one missed), one cancelled, one
        # unplanned walk; 2 + 1.5 + 1 hours
        slots = {}
        for day, status in (
            ("2026-11-23", "planned"),
            ("2026-11-25", "planned"),
            ("2026-11-27", "planned"),
            ("2026-11-29", "cancelled"),
        ):
            slots[day] = await h.services.db.execute(
                "INSERT INTO assignments (office_id, day, member_id, area_id, shift, starts_at,"
                " ends_at, status, created_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)",
                (
                    ids["east"],
                    day,
                    ids["member"],
                    ids["village"],
                    at(f"{day}T08:00:00"),
                    at(f"{day}T10:00:00"),
                    status,
                    at("2026-11-20T18:00:00"),
                ),
            )
        for slot, start, minutes, logs in (
            (slots["2026-11-23"], "2026-11-23T08:05:00", 120, (12, 1, 1, 0)),
            (slots["2026-11-25"], "2026-11-25T08:00:00", 90, (8, 0, 0, 2)),
            (None, "2026-11-28T14:00:00", 60, (5, 2, 1, 1)),
        ):
            await h.services.db.execute(
                "INSERT INTO checkins (person_id, assignment_id, office_id, started_at,"
                " ended_at, households, publicity, hazards, disputes)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (ids["member"], slot, ids["east"], at(start), plus(start, minutes), *logs),
            )
        # one weekly tip delivered to a village group (one failed), a broadcast delivered
        # to the group and the member (one failed)
        await h.services.db.execute(
            "INSERT INTO chat_groups (chat_id, title, chat_type, bot_status, kind, station_id,"
            " office_id, updated_at) VALUES (-100500, '东关村村民群', 'supergroup',"
            " 'member', 'public', 1, ?, ?)",
            (ids["east"], at("2026-11-20T10:00:00")),
        )
        for chat_id, status in ((-100500, "sent"), (-100501, "failed")):
            await h.services.db.execute(
                "INSERT INTO group_tips (chat_id, week, tip_id, outbox_id, sent_at)"
                " VALUES (?, '2026-W48', (SELECT MIN(id) FROM tips), ?, ?)",
                (chat_id, await _outbox(h, chat_id, status), at("2026-11-26T10:00:00")),
            )
        broadcast = await h.services.db.execute(
            "INSERT INTO broadcasts (station_id, author_id, audience, text, text_locale,"
            " status, created_at) VALUES (1, ?, 'all', '通知', 'zh_CN', 'done', ?)",
            ((await person_of(h, CHIEF)).id, at("2026-11-27T09:00:00")),
        )
        for chat_id, status in ((-100500, "sent"), (MEMBER.id, "sent"), (OFFICER.id, "failed")):
            await h.services.db.execute(
                "INSERT INTO broadcast_recipients (broadcast_id, chat_id, outbox_id)"
                " VALUES (?, ?, ?)",
                (broadcast, chat_id, await _outbox(h, chat_id, status)),
            )
        # scam checks: two by the member, one by someone the bot does not know
        for person, tg in ((ids["member"], MEMBER.id), (ids["member"], MEMBER.id), (None, 42)):
            await h.services.db.execute(
                "INSERT INTO scam_checks (tg_user_id, person_id, at) VALUES (?, ?, ?)",
                (tg, person, at("2026-11-25T12:00:00")),
            )


def photos(calls: list[Call], chat_id: int) -> list[Call]:
    return [c for c in calls if c.method == "sendPhoto" and c.chat_id == chat_id]


def documents(calls: list[Call], chat_id: int) -> list[Call]:
    return [c for c in calls if c.method == "sendDocument" and c.chat_id == chat_id]


def stats_text(h: Harness, calls: list[Call], chat_id: int) -> str:
    found = [t for t in h.texts(calls, chat_id) if "报告</b>" in t or "Reports</b>" in t]
    assert found, h.texts(calls, chat_id)
    return found[-1]


async def test_the_seeded_week_in_numbers_for_the_station_and_an_office(
    harness: Harness,
) -> None:
    h = harness
    ids = await station(h)
    await seed_week(h, ids)
    await h.send(CHIEF, "/stats")
    calls = await h.press_label(CHIEF, "上周")
    text = stats_text(h, calls, CHIEF.id)
    assert "木兰派出所" in text and "11月23日 至 11月29日" in text
    assert "报告</b> 7 件" in text  # the merged duplicate is not counted twice
    assert "矛盾纠纷 2" in text and "安全隐患 2" in text and "可疑人员/车辆 1" in text
    assert "已合并 1" in text and "已办结 4" in text
    # acknowledged after 2, 4, 6, 10, 20, 30 minutes; resolved after 30, 120, 300, 1440
    assert "接收用时：中位数 8 分钟，90% 在 30 分钟内" in text
    assert "办结用时：中位数 3.5 小时，90% 在 24 小时内" in text
    assert "支援请求</b> 3 次" in text
    assert "认领用时中位数 5 分钟，到场用时中位数 20 分钟" in text
    assert "升级到第 2 步 2 次，第 3 步 1 次" in text
    assert "排班 3 班，签到 2 班，缺勤 1 班" in text
    assert "巡逻 4.5 小时；走访 25 户，宣传 3 场，发现隐患 2 处，化解纠纷 3 起" in text
    assert "提示送达 1 条，广播送达 2 条，骗局查询 2 次" in text
    [picture] = photos(calls, CHIEF.id)
    name, content = picture.files["photo"]
    assert content.startswith(PNG) and name.endswith(".png") and len(content) > 10_000

    # the east office alone, for its officer (acks 2, 4, 6, 10, 20)
    await h.send(OFFICER, "/stats")
    calls = await h.press_label(OFFICER, "上周")
    text = stats_text(h, calls, OFFICER.id)
    assert "东关警务室" in text and "报告</b> 6 件" in text
    assert "接收用时：中位数 6 分钟，90% 在 20 分钟内" in text
    assert "支援请求</b> 2 次" in text and "认领用时中位数 6 分钟" in text
    assert "可疑人员" not in text  # the west office's report
    assert "骗局查询 2 次" in text

    # the chief switches to the west office
    await h.send(CHIEF, "/stats")
    await h.press_label(CHIEF, "西街警务室")
    calls = await h.press_label(CHIEF, "上周")
    text = stats_text(h, calls, CHIEF.id)
    assert "西街警务室" in text and "报告</b> 1 件" in text
    assert "中位数 30 分钟" in text and "排班 0 班" in text

    # the operator sees the whole county, in English, including the unknown person's check
    await h.send(OPERATOR, "/stats")
    calls = await h.press_label(OPERATOR, "Last week")
    text = stats_text(h, calls, OPERATOR.id)
    assert "Whole county" in text and "<b>Reports</b> 7" in text
    assert "median 8 min, 90% within 30 min" in text and "3 scam checks" in text
    assert "Nov 23 – Nov 29" in text


async def test_a_report_made_and_acknowledged_in_the_chat_is_counted(harness: Harness) -> None:
    from tests.flows import submit_dispute

    h = harness
    await station(h)
    await submit_dispute(h)
    h.clock.set(h.clock.now() + timedelta(minutes=7))
    await h.press_label(OFFICER, "接收")
    await h.send(OFFICER, "/stats")
    calls = await h.press_label(OFFICER, "本周")
    text = stats_text(h, calls, OFFICER.id)
    assert "报告</b> 1 件" in text and "矛盾纠纷 1" in text
    assert "接收用时：中位数 7 分钟，90% 在 7 分钟内" in text
    assert photos(calls, OFFICER.id)


def _chart_words(views: StatsViews, locale: str) -> dict[str, Any]:
    figures = Figures.model_validate(
        {
            "first": "2026-11-01",
            "last": "2026-11-30",
            "reports": 11,
            "daily": {
                f"2026-11-{i + 1:02d}": {c: 1}
                for i, c in enumerate(
                    [
                        "dispute",
                        "hazard",
                        "suspicious",
                        "fraud",
                        "public_order",
                        "traffic",
                        "fire",
                        "missing",
                        "information",
                        "help",
                        "other",
                    ]
                )
            },
            "units": [
                UnitTimes(name="东关警务室", reports=10, ack_median=480, resolve_median=None),
                UnitTimes(name="西街警务室", reports=1, ack_median=None, resolve_median=None),
            ],
        }
    )
    return views.chart_spec(locale, "木兰派出所", figures)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


async def test_the_picture_in_both_languages_has_every_glyph_in_the_font(
    harness: Harness,
) -> None:
    views = harness.app.stats_views
    assert views is not None
    cmap = TTFont(str(chart.font_path()), fontNumber=0, lazy=True).getBestCmap()
    for locale in ("zh_CN", "en"):
        spec = _chart_words(views, locale)
        used = {ch for text in _strings(spec) for ch in text if not ch.isspace()}
        missing = sorted(ch for ch in used if ord(ch) not in cmap)
        assert not missing, f"{locale}: {missing}"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            png = chart.render(spec)
        assert png.startswith(PNG)
        assert not [w for w in caught if "missing from" in str(w.message)]
    zh = _chart_words(views, "zh_CN")
    assert zh["daily_title"] == "每日报告（按类别）" and "电信诈骗" in _strings(zh["series"])
    en = _chart_words(views, "en")
    assert en["daily_title"] == "Reports per day, by kind" and en["ack_text"][0] == "8 min"


async def test_export_reads_back_with_the_right_rows_phones_for_the_chief_only_and_audit(
    harness: Harness,
) -> None:
    h = harness
    ids = await station(h)
    await seed_week(h, ids)
    await h.send(CHIEF, "/export")
    calls = await h.press_label(CHIEF, "上周")
    assert "报告 8 条，支援 3 条，巡逻 4 条" in " ".join(h.texts(calls, CHIEF.id))
    [document] = documents(calls, CHIEF.id)
    name, content = document.files["document"]
    assert name == "mulan-20261123-20261129.xlsx"
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["报告", "支援请求", "巡逻"]
    reports = [[c.value for c in row] for row in book["报告"].iter_rows()]
    header = reports[0]
    assert header[:4] == ["编号", "时间", "警务室", "类别"] and "电话" in header
    assert len(reports) == 1 + 8
    first = dict(zip(header, reports[1], strict=True))
    assert first["编号"] == "#2026-0001" and first["类别"] == "矛盾纠纷"
    assert first["时间"] == datetime(2026, 11, 23, 10, 0)  # local time, a real date cell
    assert first["处理结果"] == "现场调解" and first["报告人"] == "王芳"
    formula = next(r for r in book["报告"].iter_rows(min_row=2) if r[0].value == "#2026-0006")
    cell = formula[header.index("情况")]
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s"
    backup = [[c.value for c in row] for row in book["支援请求"].iter_rows()]
    assert len(backup) == 1 + 3 and backup[2][-1] == 3  # the second request reached step 3
    patrols = [[c.value for c in row] for row in book["巡逻"].iter_rows()]
    assert len(patrols) == 1 + 4
    status = patrols[0].index("情况")
    assert [p[status] for p in patrols[1:]] == ["已签到", "已签到", "缺勤", "临时巡逻"]
    audit = await h.services.db.fetch_all("SELECT * FROM audit_log WHERE action = 'stats:export'")
    assert len(audit) == 1
    entry = json.loads(audit[0]["after"])
    assert audit[0]["actor_id"] == (await person_of(h, CHIEF)).id
    assert audit[0]["subject_type"] == "station" and entry["first"] == "2026-11-23"
    assert entry["rows"] == {"reports": 8, "backup": 3, "patrols": 3, "checkins": 1}

    # the officer: the office only, and no phone numbers
    await h.send(OFFICER, "/export")
    calls = await h.press_label(OFFICER, "上周")
    [document] = documents(calls, OFFICER.id)
    book = load_workbook(io.BytesIO(document.files["document"][1]))
    rows = [[c.value for c in row] for row in book["报告"].iter_rows()]
    assert "电话" not in rows[0] and len(rows) == 1 + 7
    assert all(r[2] == "东关警务室" for r in rows[1:])
    # the duty desk sees the station but no phone numbers either
    await h.send(DUTY, "/export")
    calls = await h.press_label(DUTY, "上周")
    book = load_workbook(io.BytesIO(documents(calls, DUTY.id)[0].files["document"][1]))
    assert "电话" not in [c.value for c in book["报告"][1]]
    exports = await h.services.db.fetch_one(
        "SELECT COUNT(*) n FROM audit_log WHERE action = 'stats:export'"
    )
    assert exports is not None and exports["n"] == 3


async def test_rights(harness: Harness) -> None:
    h = harness
    ids = await station(h)
    await seed_week(h, ids)
    # a member, and someone the bot does not know, get no statistics
    calls = await h.send(MEMBER, "/stats")
    assert "不能" in h.texts(calls, MEMBER.id)[-1]
    assert not photos(calls, MEMBER.id)
    calls = await h.send(MEMBER, "/export")
    assert not documents(calls, MEMBER.id) and "不能" in h.texts(calls, MEMBER.id)[-1]
    # an officer forges the other office's, or the county's, buttons
    for data in (f"st:p:s:o{ids['west']}:lw", "st:p:x:s1:lw", "st:m:s:c", "st:z:1:2026-11"):
        calls = await h.press(OFFICER, data)
        assert not photos(calls, OFFICER.id) and not documents(calls, OFFICER.id)
        assert any("⛔" in a for a in h.tg.alerts()), data
        h.tg.clear()
    # the chief cannot look at the county, nor at a station that does not exist
    for data in ("st:p:s:c:lw", "st:p:s:s2:lw", "st:p:s:o999:lw"):
        calls = await h.press(CHIEF, data)
        assert not h.texts(calls, CHIEF.id) or "报告</b>" not in h.texts(calls, CHIEF.id)[-1]
    # the officer only sees the period buttons, no scope to switch to, no five zeros
    await h.send(OFFICER, "/stats")
    labels = [label for label, _ in h.tg.sent(OFFICER.id)[-1].buttons()]
    assert "西街警务室" not in labels and not any("五零" in label for label in labels)
    # forged junk gets "no longer valid"
    await h.press(CHIEF, "st:p:q:s1:lw")
    await h.press(CHIEF, "st:zr:1:2026-11:nonsense")
    assert len(h.tg.alerts()) >= 2
    assert not await h.services.db.fetch_all("SELECT * FROM five_zeros")
    # only chiefs and operators record the five zeros; the duty desk may look
    await h.press(DUTY, "st:zr:1:2026-11:criminal")
    assert "⛔" in h.tg.alerts()[-1]
    calls = await h.press(DUTY, "st:z:1:2026-11")
    assert "五零" in h.texts(calls, DUTY.id)[-1]
    assert not any("✏️" in label for c in calls for label, _ in c.buttons())
    assert not await h.services.db.fetch_all(
        "SELECT * FROM audit_log WHERE action = 'stats:export'"
    )


async def test_bad_ranges_get_clear_answers_and_the_question_stays(harness: Harness) -> None:
    h = harness
    ids = await station(h)
    await seed_week(h, ids)
    await h.send(CHIEF, "/stats")
    await h.press_label(CHIEF, "自定义")
    assert "日期范围" in h.last_text(CHIEF.id)
    for typed, answer in (
        ("11-20 至 11-10", "结束日期在开始日期之前"),
        ("2027-01-01", "还没到"),
        ("2025-01-01 至 2026-11-01", "最多 366 天"),
        ("上个礼拜", "日期看不懂"),
        ("13-45", "日期看不懂"),
    ):
        await h.send(CHIEF, typed)
        assert answer in h.last_text(CHIEF.id), typed
    await h.send(CHIEF, "2026-01-01 至 2026-01-31")
    assert "没有任何记录" in h.last_text(CHIEF.id)
    assert not photos(h.tg.calls, CHIEF.id)
    # the conversation ended with that answer; asking again with a good range works
    await h.send(CHIEF, "/stats")
    await h.press_label(CHIEF, "自定义")
    calls = await h.send(CHIEF, "11-25 到 12-31")  # the end is cut to today
    text = stats_text(h, calls, CHIEF.id)
    assert "11月25日 至 11月30日" in text and "报告</b> 5 件" in text
    # a sticker instead of dates
    await h.send(CHIEF, "/stats")
    await h.press_label(CHIEF, "自定义")
    from tests.builders import sticker

    await h.feed(sticker(CHIEF))
    assert "请用文字输入" in h.last_text(CHIEF.id)
    calls = await h.send(CHIEF, "11-23 至 11-29")
    assert "报告</b> 7 件" in stats_text(h, calls, CHIEF.id)


async def test_five_zeros_recorded_prefilled_and_shown_by_month(harness: Harness) -> None:
    h = harness
    ids = await station(h)
    await seed_week(h, ids)
    await h.send(CHIEF, "/stats")
    calls = await h.press_label(CHIEF, "五零")
    view = h.texts(calls, CHIEF.id)[-1]
    assert "五零</b> · 木兰派出所 · 2026年11月" in view
    # what the bot knows: the fraud report with a loss, the dispute referred upward
    assert "电诈案件零发生：未填（系统记录 1）" in view
    assert "矛盾纠纷零上交：未填（系统记录 1）" in view
    assert "刑事案件零发案：未填" in view
    await h.press_label(CHIEF, "刑事案件零发案")
    await h.send(CHIEF, "零起")
    assert "请以数字开头" in h.last_text(CHIEF.id)
    await h.send(CHIEF, "0")
    view = h.last_text(CHIEF.id)
    assert "刑事案件零发案：✅ 0" in view
    await h.press_label(CHIEF, "电诈案件零发生")
    await h.send(CHIEF, "1 老人被冒充公检法骗 3 万元，已立案")
    view = h.last_text(CHIEF.id)
    assert "电诈案件零发生：⚠️ 1（老人被冒充公检法骗 3 万元，已立案）" in view
    # last month, then the history line seen from this month
    await h.press_label(CHIEF, "上个月")
    assert "2026年10月" in h.last_text(CHIEF.id)
    await h.press_label(CHIEF, "安全事故零发生")
    await h.send(CHIEF, "2 两起农机事故")
    await h.press_label(CHIEF, "本月")
    view = h.last_text(CHIEF.id)
    assert "2026年10月：达成 0/1；未达成：安全事故零发生 2" in view
    assert "2026年9月：未填" in view
    rows = await h.services.db.fetch_all(
        "SELECT month, item, count FROM five_zeros ORDER BY month, item"
    )
    assert [tuple(r) for r in rows] == [
        ("2026-10", "safety", 2),
        ("2026-11", "criminal", 0),
        ("2026-11", "fraud", 1),
    ]
    audit = await h.services.db.fetch_all("SELECT * FROM audit_log WHERE action = 'zero:record'")
    assert len(audit) == 3
    # a future month cannot be recorded
    await h.press(CHIEF, "st:zr:1:2027-01:criminal")
    assert "还没到" in h.tg.alerts()[-1]


def _weekly(calls: list[Call], chat_id: int) -> list[Call]:
    return [
        c
        for c in calls
        if c.chat_id == chat_id and ("上周周报" in c.text or "Last week's report" in c.text)
    ]


async def test_weekly_and_monthly_reports_are_sent_once_across_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "patrol.db")
    first = Harness(settings)
    await first.start()
    ids = await station(first)
    await seed_week(first, ids)
    first.clock.set(datetime.fromisoformat("2026-11-30T07:00:00+08:00"))
    calls = await first.tick()  # the rows for Monday 08:00 and December 1st are made
    assert not _weekly(calls, CHIEF.id)
    await first.stop()

    # the bot is down at 08:00 and back at 08:20
    first.clock.set(datetime.fromisoformat("2026-11-30T08:20:00+08:00"))
    second = Harness(settings, clock=first.clock)
    await second.start()
    try:
        calls = await second.tick()
        [chief_report] = _weekly(calls, CHIEF.id)
        chief_text = chief_report.text
        assert "报告</b> 7 件" in chief_text and "11月23日 至 11月29日" in chief_text
        # the five-zeros line says what it is and what is missing, with the button to fill in
        assert "🎯 <b>五零</b>（2026年11月）：未填" in chief_text
        assert "五项都还没填——点下方按钮填写" in chief_text
        [(label, data)] = chief_report.buttons()
        assert label == "🎯 填写五零" and data == "st:z:1:2026-11"
        assert len(photos(calls, CHIEF.id)) == 1
        [east] = [c.text for c in _weekly(calls, OFFICER.id)]
        assert "东关警务室" in east and "报告</b> 6 件" in east
        assert _weekly(calls, OFFICER2.id)
        [english] = [c.text for c in _weekly(calls, OFFICER_EN.id)]
        assert "<b>Reports</b> 6" in english
        [west] = [c.text for c in _weekly(calls, WEST_OFFICER.id)]
        assert "报告</b> 1 件" in west
        assert not _weekly(calls, MEMBER.id) and not _weekly(calls, DUTY.id)
        assert not _weekly(await second.tick(), CHIEF.id)  # once
        calls = await second.press(CHIEF, data)  # the button opens the five zeros to fill in
        assert any("五零</b> · 木兰派出所 · 2026年11月" in t for t in second.texts(calls))
    finally:
        await second.stop()

    third = Harness(settings, clock=first.clock)
    await third.start()
    try:
        assert not _weekly(await third.tick(), CHIEF.id)  # once, after another restart too
        # the 1st of December: November's report with the workbook for the chief only
        third.clock.set(datetime.fromisoformat("2026-12-01T08:00:00+08:00"))
        calls = await third.tick()
        monthly = [c for c in calls if "月报" in c.text and c.chat_id == CHIEF.id]
        # November: the seeded week, and the reports just before and after it
        assert len(monthly) == 1 and "报告</b> 9 件" in monthly[0].text
        assert "刑事案件零发案：未填" in monthly[0].text
        [document] = documents(calls, CHIEF.id)
        book = load_workbook(io.BytesIO(document.files["document"][1]))
        assert "电话" in [c.value for c in book["报告"][1]]
        assert book["报告"].max_row == 1 + 10
        assert not documents(calls, OFFICER.id)
        audit = await third.services.db.fetch_all(
            "SELECT * FROM audit_log WHERE action = 'stats:export'"
        )
        assert len(audit) == 1 and audit[0]["actor_id"] is None
        assert json.loads(audit[0]["after"])["recipient"] == (await person_of(third, CHIEF)).id
        assert not documents(await third.tick(), CHIEF.id)
    finally:
        await third.stop()


async def test_a_new_station_waits_for_its_first_whole_week_and_the_time_can_change(
    harness: Harness,
) -> None:
    h = harness
    await station(h)  # made on Monday 2026-11-30 at 09:00
    await h.tick()
    h.clock.set(datetime.fromisoformat("2026-12-07T08:00:00+08:00"))
    assert not _weekly(await h.tick(), CHIEF.id)  # a week it only partly existed in
    timers = await h.services.db.fetch_all(
        "SELECT key, due_at FROM timers WHERE kind = 'stats_weekly' AND done_at IS NULL"
    )
    assert [t["key"] for t in timers] == ["stats_weekly:1:2026-W50"]
    # the chief moves the report to 07:30: the row waiting for next Monday follows
    chief = await person_of(h, CHIEF)
    await h.services.station_settings.change(chief, 1, "report_time", "07:30")
    await h.tick()
    h.clock.set(datetime.fromisoformat("2026-12-14T07:30:00+08:00"))
    calls = await h.tick()
    [text] = [c.text for c in _weekly(calls, CHIEF.id)]
    assert "12月7日 至 12月13日" in text and "报告</b> 0 件" in text
    assert not photos(calls, CHIEF.id)  # no reports: no empty picture
    assert not _weekly(await h.tick(), CHIEF.id)


async def test_no_figures_in_a_group_and_forged_odd_data(harness: Harness) -> None:
    from tests.builders import Chat

    h = harness
    ids = await station(h)
    await seed_week(h, ids)
    group = Chat(-100500, "supergroup", "东关村村民群")
    for data in (f"st:p:x:o{ids['east']}:lw", "st:p:s:s1:lw", "st:z:1:2026-11"):
        calls = await h.press(CHIEF, data, chat=group)
        assert not [
            c for c in calls if c.chat_id == group.id and c.method != "answerCallbackQuery"
        ]
        assert "⛔" in h.tg.alerts()[-1]
    # months and dates nobody could mean
    for data in ("st:z:1:0001-01", "st:z:1:9999-12", "st:z:1:2026-13", "st:zr:1:1999-12:fraud"):
        await h.press(CHIEF, data)
        assert "失效" in h.tg.alerts()[-1], data
    await h.send(CHIEF, "/stats")
    await h.press_label(CHIEF, "自定义")
    await h.send(CHIEF, "0001-01-01 至 0001-01-05")
    assert "日期看不懂" in h.last_text(CHIEF.id)
    # an operator cannot record the five zeros of a station that does not exist
    await h.press(OPERATOR, "st:zr:999:2026-11:criminal")
    assert "⛔" in h.tg.alerts()[-1] or "not allow" in h.tg.alerts()[-1]
    assert not await h.services.db.fetch_all("SELECT * FROM five_zeros")
    # nothing went wrong inside: no apology, no operator alert
    assert not [t for t in h.texts(h.tg.calls) if "出了点问题" in t or "went wrong" in t]


async def test_an_office_name_with_dollar_signs_still_draws(harness: Harness) -> None:
    views = harness.app.stats_views
    assert views is not None
    figures = Figures.model_validate(
        {
            "first": "2026-11-23",
            "last": "2026-11-29",
            "reports": 1,
            "daily": {"2026-11-23": {"dispute": 1}},
            "units": [
                UnitTimes(name="东关$\\frac$ <b>", reports=1, ack_median=60, resolve_median=None)
            ],
        }
    )
    assert chart.render(views.chart_spec("zh_CN", "$x^2$", figures)).startswith(PNG)


async def test_an_empty_export_says_so_and_a_sent_file_forgets_its_rows(
    harness: Harness,
) -> None:
    h = harness
    ids = await station(h)
    await h.send(CHIEF, "/export")
    calls = await h.press_label(CHIEF, "上周")
    assert "没有可导出的" in h.texts(calls, CHIEF.id)[-1] and not documents(calls, CHIEF.id)
    await seed_week(h, ids)
    await h.send(CHIEF, "/export")
    calls = await h.press_label(CHIEF, "上周")
    assert documents(calls, CHIEF.id)
    rows = await h.services.db.fetch_all(
        "SELECT status, payload FROM outbox WHERE method = 'sendDocument'"
    )
    assert [r["status"] for r in rows] == ["sent"]
    payload = json.loads(rows[0]["payload"])
    assert "spec" not in payload and "王芳" not in rows[0]["payload"]
    assert payload["filename"].endswith(".xlsx")


async def test_the_weekly_five_zeros_line_names_what_is_still_missing(harness: Harness) -> None:
    """Two of the five recorded (one held, one not): the chief's weekly line says so and
    names the three still missing, with the button; all five recorded: no button."""
    h = harness
    await station(h)
    chief = await person_of(h, CHIEF)
    h.clock.set(datetime.fromisoformat("2026-12-01T09:00:00+08:00"))
    stats = h.services.stats
    await stats.record_zero(chief, 1, "2026-11", FiveZero.CRIMINAL, 0, None)
    await stats.record_zero(chief, 1, "2026-11", FiveZero.FRAUD, 2, "两起冒充客服")
    views = h.app.stats_views
    entries = (await stats.zeros(1, ["2026-11"]))["2026-11"]
    line, markup = views.zeros_in_report("zh_CN", 1, "2026-11", entries)
    assert line.startswith("🎯 <b>五零</b>（2026年11月）：达成 1/2；未达成：电诈案件零发生 2")
    assert "还没填：矛盾纠纷零上交、吸毒人员零新增、安全事故零发生——点下方按钮填写" in line
    assert markup == {
        "inline_keyboard": [[{"text": "🎯 填写五零", "callback_data": "st:z:1:2026-11"}]]
    }
    for item in FiveZero:
        await stats.record_zero(chief, 1, "2026-11", item, 0, None)
    entries = (await stats.zeros(1, ["2026-11"]))["2026-11"]
    line, markup = views.zeros_in_report("en", 1, "2026-11", entries)
    assert "Five zeros</b> (Nov 2026): 5 of 5 held" in line and markup is None
