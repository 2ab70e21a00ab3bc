"""Privacy: the guard every harness runs on what reached public groups really catches leaks;
phone numbers go only where they should; the monthly retention job strips long-closed
reports of photos, voice and phone numbers and clears the raw transport rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from models.clock import to_db
from models.services import retention
from models.store.retention_repo import redact_phones
from tests import builders
from tests.builders import Chat
from tests.fakes import Call
from tests.flows import CHIEF, MEMBER, OFFICER, ask_backup, team, with_duty
from tests.harness import Harness, make_settings
from tests.privacy import violations

VILLAGE = Chat(-100500, "supergroup", "东关村民群")
STAFF = Chat(-100600, "supergroup", "东关警务群")


async def test_the_guard_catches_names_phones_descriptions_places_and_photos(
    harness: Harness,
) -> None:
    h = harness
    await team(h)
    await h.send(MEMBER, "/report")
    await h.press_label(MEMBER, "矛盾纠纷")
    await h.press_label(MEMBER, "否")
    await h.send(MEMBER, "张家和李家因为宅基地吵架，张大爷电话 13912345678")
    await h.feed(builders.location(MEMBER, 37.8701, 112.5503))
    await h.feed(builders.photo(MEMBER))
    await h.press_label(MEMBER, "完成")
    await h.press_label(MEMBER, "一般")
    await h.press_label(MEMBER, "提交")
    db = h.services.db
    photo = (await db.fetch_one("SELECT file_id FROM report_attachments"))["file_id"]  # type: ignore[index]
    leaks = [
        Call("sendMessage", {"chat_id": VILLAGE.id, "text": "感谢王芳的付出"}),
        Call("sendMessage", {"chat_id": VILLAGE.id, "text": "有事找 13800000002"}),
        Call("sendMessage", {"chat_id": VILLAGE.id, "text": "陌生号码 13711112222 是骗子"}),
        Call("sendMessage", {"chat_id": VILLAGE.id, "text": "张家和李家因为宅基地吵架"}),
        Call("sendMessage", {"chat_id": VILLAGE.id, "text": "位置 37.8701,112.5503"}),
        Call("sendPhoto", {"chat_id": VILLAGE.id, "photo": photo}),
        Call("sendLocation", {"chat_id": VILLAGE.id, "latitude": 1, "longitude": 2}),
        Call("sendDocument", {"chat_id": VILLAGE.id, "caption": "报表"}),
        Call("sendMessage", {"chat_id": VILLAGE.id, "text": "联系 １３９ １２３４ ５６７８"}),
    ]
    for leak in leaks:  # each one is caught on its own
        assert await violations(db, [leak]), leak.params
    # the same words to a registered staff group, or to a person, are not leaks
    await db.execute(
        "INSERT INTO chat_groups (chat_id, title, chat_type, bot_status, kind, station_id,"
        " updated_at) VALUES (?, 'staff', 'supergroup', 'member', 'staff', 1, ?)",
        (STAFF.id, to_db(h.clock.now())),
    )
    fine = [Call(c.method, {**c.params, "chat_id": STAFF.id}) for c in leaks]
    fine += [Call(c.method, {**c.params, "chat_id": OFFICER.id}) for c in leaks]
    assert await violations(db, fine) == []
    # and a weekly tip or an anti-fraud notice is no leak
    ok = [Call("sendMessage", {"chat_id": VILLAGE.id, "text": "接到自称公检法的电话，请拨 96110"})]
    assert await violations(db, ok) == []


async def test_phones_reach_only_those_who_may_see_them(harness: Harness) -> None:
    h = harness
    await with_duty(h)
    # the duty desk's staff group gets report cards without the reporter's phone
    await h.feed(builders.my_chat_member(CHIEF, STAFF, "left", "member"))
    await h.send(CHIEF, "/register", STAFF)
    await h.press_label(CHIEF, "工作群", STAFF)
    await h.press_label(CHIEF, "整个派出所", STAFF)
    await h.press_label(CHIEF, "中文", STAFF)
    await h.services.db.execute(
        "UPDATE people SET phone = '+8613900000004' WHERE tg_user_id = ?", (MEMBER.id,)
    )
    await h.services.db.execute("DELETE FROM pairings")  # no paired officer: the duty desk
    await h.send(MEMBER, "/report")
    await h.press_label(MEMBER, "安全隐患")
    await h.press_label(MEMBER, "否")
    await h.send(MEMBER, "桥栏杆断了")
    await h.press_label(MEMBER, "东关村")
    await h.press_label(MEMBER, "完成")
    await h.press_label(MEMBER, "一般")
    calls = await h.press_label(MEMBER, "提交")
    group_cards = h.texts(calls, STAFF.id)
    assert group_cards and all("13900000004" not in t for t in group_cards)
    # in private the officer's view of the report shows it
    calls = await h.send(OFFICER, "/reports 2026-0001")
    assert any("13900000004" in t for t in h.texts(calls, OFFICER.id))
    # the claiming officer's phone goes to the member who called for backup
    await ask_backup(h)
    calls = await h.press_label(OFFICER, "我去")
    assert any("+8613800000002" in t for t in h.texts(calls, MEMBER.id))


def test_phone_numbers_as_people_write_them_are_found() -> None:
    for text in (
        "13912345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 139 1234 5678",
        "+8613912345678",
        "(0351)1234567",
        "0351-1234567",
        "0351 1234567",
        "１３９１２３４５６７８",
    ):
        assert redact_phones(f"电话{text}。") == "电话〔号码已删除〕。", text
    for text in ("#2026-0001", "2026-11-30", "12-05 至 12-07", "3 万元", "编号 20261130"):
        assert redact_phones(text) == text


async def test_retention_strips_old_closed_reports_and_transport_rows(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "patrol.db", retention_days=3 * 365)
    h = Harness(settings)
    await h.start()
    try:
        await team(h)
        db = h.services.db
        for _ in range(3):
            await h.send(MEMBER, "/report")
            await h.press_label(MEMBER, "矛盾纠纷")
            await h.press_label(MEMBER, "否")
            await h.send(MEMBER, "两家吵架，联系人电话 13912345678 或 0351-1234567")
            await h.press_label(MEMBER, "东关村")
            await h.feed(builders.photo(MEMBER))
            await h.press_label(MEMBER, "完成")
            await h.press_label(MEMBER, "一般")
            await h.press_label(MEMBER, "提交")
        old, recent, still_open = [r["id"] for r in await db.fetch_all("SELECT id FROM reports")]
        long_ago = to_db(h.clock.now() - timedelta(days=3 * 365 + 10))
        await db.execute(
            "UPDATE reports SET status = 'resolved', resolved_at = ?, outcome_note = ?"
            " WHERE id = ?",
            (long_ago, "已调解，回访电话 13912345678", old),
        )
        await db.execute(
            "UPDATE reports SET status = 'resolved', resolved_at = ? WHERE id = ?",
            (to_db(h.clock.now() - timedelta(days=400)), recent),
        )
        await db.execute("UPDATE reports SET created_at = ? WHERE id = ?", (long_ago, still_open))
        await db.execute("UPDATE reports SET voice_file_id = 'AwACvoice' WHERE id = ?", (old,))
        await db.execute(
            "INSERT INTO report_events (report_id, at, kind, detail) VALUES (?, ?, 'note', ?)",
            (old, long_ago, "回访了，电话 138 1234 5678"),
        )
        await db.execute(
            "INSERT INTO scam_checks (tg_user_id, person_id, scam_type, text, at)"
            " VALUES (?, NULL, 'fake_police', '我是公安局的', ?)",
            (MEMBER.id, long_ago),
        )
        await h.services.outbox.send_photo(OFFICER.id, "AgACphoto-old")
        await h.services.outbox.send_location(OFFICER.id, 37.87, 112.55)
        await h.app.sender.drain()
        # everything received and sent so far is 40 days old by the time the job runs
        weeks_ago = to_db(h.clock.now() - timedelta(days=20))
        await db.execute("UPDATE inbox SET received_at = ?", (weeks_ago,))
        await db.execute("UPDATE outbox SET created_at = ?", (weeks_ago,))
        handled = (await db.fetch_one("SELECT MAX(update_id) n FROM inbox"))["n"]  # type: ignore[index]

        await h.tick()  # the row for December 1st, 03:00
        h.clock.set(datetime.fromisoformat("2026-12-01T02:59:00+08:00"))
        await h.tick()
        assert (await db.fetch_one("SELECT redacted_at FROM reports WHERE id = ?", (old,)))[
            0
        ] is None  # type: ignore[index]
        h.clock.set(datetime.fromisoformat("2026-12-20T03:00:00+08:00"))
        await h.tick()  # weeks late (the bot was down): it still runs, once
        report = await db.fetch_one("SELECT * FROM reports WHERE id = ?", (old,))
        assert report is not None and report["redacted_at"] is not None
        assert "13912345678" not in report["description"]
        assert "0351-1234567" not in report["description"]
        assert "〔号码已删除〕" in report["description"] and "两家吵架" in report["description"]
        assert "13912345678" not in report["outcome_note"]
        assert report["voice_file_id"] is None
        note = await db.fetch_one(
            "SELECT detail FROM report_events WHERE report_id = ? AND kind = 'note'", (old,)
        )
        assert note is not None and "1234 5678" not in note["detail"]
        assert await db.fetch_all("SELECT id FROM scam_checks WHERE text IS NOT NULL") == []
        media = await db.fetch_all(
            "SELECT payload FROM outbox WHERE method IN ('sendPhoto', 'sendLocation')"
        )
        assert media and all(
            "AgACphoto-old" not in r["payload"] and "37.87" not in r["payload"] for r in media
        )
        assert await h.services.reports.repo.attachments(old, "photo") == []
        for kept in (recent, still_open):
            row = await db.fetch_one("SELECT * FROM reports WHERE id = ?", (kept,))
            assert row is not None and "13912345678" in row["description"]
            assert await h.services.reports.repo.attachments(kept, "photo")
        # handled updates and delivered texts older than 30 days are gone
        left = await db.fetch_all("SELECT update_id FROM inbox WHERE update_id <= ?", (handled,))
        assert left == []
        texts = await db.fetch_all(
            "SELECT payload FROM outbox WHERE status = 'sent' AND created_at = ?"
            " AND (json_extract(payload, '$.text') IS NOT NULL"
            "   OR json_extract(payload, '$.api') IS NOT NULL)",  # replies: the whole call
            (weeks_ago,),
        )
        assert texts == []
        # the replies of the flows above (outbox rows too) are gone altogether
        old_replies = await db.fetch_all(
            "SELECT id FROM outbox WHERE urgent = 1 AND created_at = ?", (weeks_ago,)
        )
        assert old_replies == []
        assert await db.fetch_all("SELECT id FROM outbox WHERE created_at = ?", (weeks_ago,))
        # the officer still sees the old report, without the number
        calls = await h.send(OFFICER, "/reports 2026-0001")
        view = " ".join(h.texts(calls, OFFICER.id))
        assert "#2026-0001" in view and "两家吵架" in view and "13912345678" not in view
        runs = await db.fetch_all("SELECT key, outcome FROM timers WHERE kind = 'retention'")
        assert ("retention:2026-12", "done") in [tuple(r) for r in runs]
    finally:
        await h.stop()


async def test_the_monthly_retention_goes_in_short_batches_and_resumes_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A month of delivered texts is stripped a bounded batch per transaction (the write
    lock is never held for the whole month), the timer row due again a second later with
    where it stopped — so a bot restarted between batches goes on from there."""
    monkeypatch.setattr(retention, "BATCH_ROWS", 3)
    settings = make_settings(tmp_path / "patrol.db")
    batches: list[int] = []

    def count_batches(h: Harness) -> None:
        db = h.services.db
        real = db.execute_count

        async def counted(sql: str, params: Any = ()) -> int:
            changed = await real(sql, params)
            if "json_remove" in sql:
                batches.append(changed)
            return changed

        monkeypatch.setattr(db, "execute_count", counted)

    h = Harness(settings)
    await h.start()
    try:
        await team(h)
        for n in range(10):
            await h.services.outbox.send(OFFICER.id, f"旧消息 {n}")
        await h.app.sender.drain()
        await h.services.db.execute(
            "UPDATE outbox SET created_at = ?", (to_db(h.clock.now() - timedelta(days=40)),)
        )
        count_batches(h)
        await h.tick()  # the row for December 1st, 03:00
        at = datetime.fromisoformat("2026-12-01T03:00:00+08:00")
        h.clock.set(at)
        await h.tick()  # one batch
        assert batches == [3]
        row = await h.services.db.fetch_one(
            "SELECT payload, done_at FROM timers WHERE key = 'retention:2026-12'"
        )
        assert row is not None and row["done_at"] is None and '"cursor"' in row["payload"]
    finally:
        await h.stop()
    # a restart between batches: the next ones go on from the stored cursor
    h = Harness(settings, clock=h.clock, tg=h.tg)
    await h.start()
    try:
        count_batches(h)
        for second in range(1, 10):
            h.clock.set(at + timedelta(seconds=second))
            await h.tick()
        # ten old texts (and the team's onboarding replies) went three at a time at most
        assert all(n <= 3 for n in batches) and len(batches) >= 4
        left = await h.services.db.fetch_one(
            "SELECT COUNT(*) n FROM outbox WHERE json_extract(payload, '$.text') IS NOT NULL"
            " AND created_at < ?",
            (to_db(at - timedelta(days=30)),),
        )
        assert left is not None and left["n"] == 0
        runs = await h.services.db.fetch_all(
            "SELECT key, outcome FROM timers WHERE kind = 'retention'"
        )
        assert ("retention:2026-12", "done") in [tuple(r) for r in runs]
    finally:
        await h.stop()
