"""The crash and fault tests over every feature's flows: a station's Monday morning (its
clock shifted to 07:59 on 2026-11-30 with `PATROL_CLOCK_OFFSET_SECONDS`) while the bot is
`kill -9`ed at random points, or while 10% of Bot API calls fail. At 08:00 the day's patrol
is published, the weekly anti-fraud tip goes to the village group, the chief's weekly
report and the officers' go out, and the peak alert for a fair three days later; members
check in and out with their patrol logs, report incidents, one calls for backup (the chain
escalates every 10 s until an officer goes), and the chief broadcasts to every person of
the station. At the end each of those happened exactly once and every message was
delivered (a repeat only where the outcome of a send was unknown)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest

from models.calendar import Level
from models.clock import FrozenClock
from models.config import Settings
from models.org import PlaceKind, Role
from models.services import Services
from models.store.db import Database
from tests.botproc import (
    CHIEF_ID,
    OFFICER_IDS,
    BotProcess,
    Step,
    bot_env,
    drive_with_kills,
    interleave,
    query,
)
from tests.fake_bot_api import FakeBotAPI, Faults
from tests.fakes import TOKEN

MONDAY = datetime.fromisoformat("2026-11-30T07:59:15+08:00")
MEMBERS = [20_000 + n for n in range(6)]
REPORTERS = MEMBERS[:3]
CALLER = MEMBERS[3]
VILLAGE_GROUP = -100500


def seed(db_path: Path) -> None:
    """A station that has existed since October, set to do its Monday work at 08:00."""

    async def run() -> None:
        settings = Settings(bot_token=TOKEN, db_path=db_path, _env_file=None)
        db = Database(db_path)
        await db.open()
        try:
            services = Services.create(settings, db, FrozenClock(MONDAY - timedelta(days=60)))
            people, org = services.people, services.org
            operator = await people.ensure_operator(1000, "Admin", "zh_CN")
            station = await org.add_station(operator, "木兰派出所")
            office = await org.add_office(operator, station.id, "东关警务室")
            now = services.clock.now()
            async with db.write():
                chief = await people.repo.add(
                    tg_user_id=CHIEF_ID, name="张所长", role=Role.CHIEF,
                    station_id=station.id, locale="zh_CN", at=now,
                )  # fmt: skip
                officers = [
                    await people.repo.add(
                        tg_user_id=tg,
                        name=f"民警{n}",
                        role=Role.OFFICER,
                        station_id=station.id,
                        office_id=office.id,
                        locale="zh_CN",
                        at=now,
                    )
                    for n, tg in enumerate(OFFICER_IDS[:2])
                ]
                members = [
                    await people.repo.add(
                        tg_user_id=tg,
                        name=f"队员{n}",
                        role=Role.MEMBER,
                        station_id=station.id,
                        office_id=office.id,
                        locale="zh_CN",
                        at=now,
                    )
                    for n, tg in enumerate(MEMBERS)
                ]
            for member in members:
                await people.toggle_pairing(chief, member.id, officers[0].id)
            for key, value in (
                ("shifts", "08:30-10:30"),
                ("publish_time", "08:00"),
                ("tip_weekday", "1"),
                ("tip_time", "08:00"),
                ("report_time", "08:00"),
                ("peak_alert_time", "08:00"),
                ("backup_step_waits", "10,10,10"),
                ("quiet_start", "23:00"),
                ("quiet_end", "05:00"),
            ):
                await services.station_settings.change(chief, station.id, key, value)
            # the places after the shift list (a new list would renumber them by their times)
            village = await org.add_place(chief, office.id, "东关村", {PlaceKind.PATROL_AREA})
            resort = await org.add_place(chief, office.id, "湖区度假村", {PlaceKind.HOT_SPOT})
            await org.set_patrol(chief, village.id, (0,), len(MEMBERS))
            await services.peaks.add_period(
                chief, station.id, "庙会", date(2026, 12, 3), date(2026, 12, 4),
                Level.BUSY, [resort.id], date(2026, 11, 1),
            )  # fmt: skip
            await db.execute(
                "INSERT INTO chat_groups (chat_id, title, chat_type, bot_status, kind,"
                " station_id, office_id, place_id, locale, registered_at, updated_at)"
                " VALUES (?, '东关村民群', 'supergroup', 'member', 'public', ?, ?, ?,"
                " 'zh_CN', ?, ?)",
                (
                    VILLAGE_GROUP,
                    station.id,
                    office.id,
                    village.id,
                    now.isoformat(),
                    now.isoformat(),
                ),
            )
        finally:
            await db.close()

    asyncio.run(run())


def script() -> list[list[Step]]:
    """Per actor, what they do in order."""
    actors: list[list[Step]] = []
    for n, uid in enumerate(MEMBERS):
        steps: list[Step] = [("text", uid, "/checkin"), ("text", uid, "/checkout")]
        steps += [("text", uid, answer) for answer in ("12", "1", "0", "0", f"巡逻{n}")]
        if uid in REPORTERS:
            steps += [
                ("text", uid, "/report"),
                ("press", uid, "rd:cat:hazard"),
                ("press", uid, "rd:danger:0"),
                ("text", uid, f"隐患{n:03d}"),
                ("text", uid, f"村口{n}号"),
                ("press", uid, "rd:photos_done"),
                ("press", uid, "rd:urg:0"),
                ("press", uid, "rd:submit"),
            ]
        if uid == CALLER:
            steps += [("text", uid, "/backup"), ("press", uid, "bk:r:dispute")]
        actors.append(steps)
    actors.append(
        [
            ("text", CHIEF_ID, "/broadcast"),
            ("press", CHIEF_ID, "bc:aud:everyone"),
            ("text", CHIEF_ID, "周五集市人多，请大家注意防范扒窃。"),
            ("press", CHIEF_ID, "bc:skipother"),
            ("press", CHIEF_ID, "bc:nopic"),
            ("press", CHIEF_ID, "bc:urg:0"),
            ("press", CHIEF_ID, "bc:send"),
        ]
    )
    return actors


def _settled(db_path: Path) -> bool:
    pending = query(db_path, "SELECT COUNT(*) FROM inbox WHERE done_at IS NULL")[0][0]
    unsent = query(db_path, "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')")
    return pending == 0 and unsent[0][0] == 0


def _done(db_path: Path, kind: str) -> bool:
    rows = query(
        db_path, "SELECT COUNT(*) FROM timers WHERE kind = ? AND outcome = 'done'", (kind,)
    )
    return bool(rows[0][0])


def run_monday(
    tmp_path: Path, kills: int, faults: Faults | None = None, seed_value: int = 3
) -> tuple[FakeBotAPI, Path]:
    db_path = tmp_path / "patrol.db"
    seed(db_path)
    api = FakeBotAPI(faults).start()
    offset = (MONDAY - datetime.now(UTC)).total_seconds()
    bot = BotProcess(
        bot_env(db_path, api, PATROL_CLOCK_OFFSET_SECONDS=str(offset)), tmp_path / "bot.log"
    )
    steps = interleave(script(), seed_value)
    try:
        drive_with_kills(api, bot, steps, kills, seed_value)
        # the backup chain reaches the chief, then an officer goes
        api.wait_for(lambda: any("支援请求 #1" in t for t in api.received(CHIEF_ID)), 90, "step 3")
        api.press(OFFICER_IDS[1], "bk:go:1")
        api.wait_for(
            lambda: (
                api.confirmed_offset > api.last_update_id
                and all(
                    _done(db_path, k)
                    for k in (
                        "patrol_publish",
                        "patrol_publish_office",
                        "weekly_tip",
                        "stats_weekly",
                    )
                )
                and _settled(db_path)
            ),
            180,
            "every update, every Monday timer and every notification",
        )
        assert bot.terminate() < 10
    except BaseException:
        if bot.returncode is None:
            bot.kill()
        print(bot.log()[-6000:])
        raise
    finally:
        api.stop()
    return api, db_path


def check_monday(api: FakeBotAPI, db_path: Path) -> None:
    def one(sql: str, params: tuple[object, ...] = ()) -> object:
        return query(db_path, sql, params)[0][0]

    talks = query(db_path, "SELECT user_id, flow, state FROM conversations")
    # only the caller's offer to share her location may still be open
    assert [t for t in talks if t[0] != CALLER] == [], talks
    assert one("SELECT COUNT(*) FROM inbox WHERE done_at IS NULL OR failed = 1") == 0
    assert query(db_path, "SELECT DISTINCT status FROM outbox") == [("sent",)]
    duplicates = one("SELECT COUNT(*) FROM outbox WHERE possible_duplicate = 1")
    assert isinstance(duplicates, int)

    def received(chat_id: int, words: str) -> int:
        return sum(1 for t in api.received(chat_id) if words in t)

    def at_most_doubled(count: int, expected: int) -> None:
        assert expected <= count <= expected + duplicates, (count, expected, duplicates)

    # every timer of the morning ran once, and none failed
    assert one("SELECT COUNT(*) FROM timers WHERE outcome = 'failed'") == 0
    # the patrol: one slot each, published once, each told once; checked in and out with logs
    assert one("SELECT COUNT(*) FROM assignments WHERE status = 'planned'") == len(MEMBERS)
    assert one("SELECT COUNT(*) FROM patrol_days WHERE published_at IS NOT NULL") == 1
    for member in MEMBERS:
        # the day's task, once; a member who checked in before 08:00 (an unplanned walk)
        # also gets the reminder that her planned slot starts soon, once at most
        at_most_doubled(received(member, "巡逻任务"), 1)
        assert received(member, "巡逻即将开始") <= 1 + duplicates
    assert one("SELECT COUNT(*) FROM checkins") == len(MEMBERS)
    assert one("SELECT COUNT(*) FROM checkins WHERE ended_at IS NOT NULL AND households = 12"
               " AND note LIKE '巡逻%'") == len(MEMBERS)  # fmt: skip
    # the weekly tip: one row for the group, delivered
    assert one("SELECT COUNT(*) FROM group_tips WHERE chat_id = ?", (VILLAGE_GROUP,)) == 1
    at_most_doubled(received(VILLAGE_GROUP, "每周防诈提醒"), 1)
    # the weekly reports: the chief's and each officer's, once
    at_most_doubled(received(CHIEF_ID, "上周周报"), 1)
    for officer in OFFICER_IDS[:2]:
        at_most_doubled(received(officer, "上周周报"), 1)
    # the peak alert, once to each officer and the chief
    for chat in (CHIEF_ID, *OFFICER_IDS[:2]):
        at_most_doubled(received(chat, "庙会"), 1)
    # the reports: each once, numbered without gaps
    reports = query(db_path, "SELECT description, seq FROM reports ORDER BY seq")
    assert sorted(cast(str, d) for d, _ in reports) == [
        f"隐患{n:03d}" for n in range(len(REPORTERS))
    ]
    assert [s for _, s in reports] == list(range(1, len(REPORTERS) + 1))
    # the backup call: one request, each step once, one officer going
    assert one("SELECT COUNT(*) FROM backup_requests") == 1
    assert one("SELECT status FROM backup_requests") == "claimed"
    steps = query(db_path, "SELECT detail FROM backup_events WHERE kind = 'step'")
    numbers = [int(str(d).split(":")[0]) for (d,) in steps]
    assert numbers == sorted(set(numbers)) and numbers[:3] == [1, 2, 3], numbers
    assert one("SELECT COUNT(*) FROM backup_events WHERE kind = 'claimed'") == 1
    notified = query(
        db_path,
        "SELECT step_index, chat_id, COUNT(*) FROM backup_notifications"
        " GROUP BY step_index, chat_id HAVING COUNT(*) > 1",
    )
    assert notified == []
    # the broadcast: one, to every person of the station (its author too), each once
    assert one("SELECT COUNT(*) FROM broadcasts") == 1
    assert one("SELECT COUNT(*) FROM broadcast_recipients") == len(MEMBERS) + 2 + 1
    for chat in (CHIEF_ID, *OFFICER_IDS[:2], *MEMBERS):
        # the broadcast itself (the chief also saw its text in the preview)
        delivered = [t for t in api.received(chat) if t.startswith("周五集市人多")]
        at_most_doubled(len(delivered), 1)


def test_monday_morning_survives_kill_9_everywhere(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    kills = max(4, int(request.config.getoption("--crash-kills")) // 2)
    api, db_path = run_monday(tmp_path, kills)
    check_monday(api, db_path)


def test_monday_morning_with_ten_percent_of_api_calls_failing(tmp_path: Path) -> None:
    faults = Faults(rate=0.10, seed=5)
    api, db_path = run_monday(tmp_path, kills=0, faults=faults)
    check_monday(api, db_path)
    assert sum(faults.counts.values()) > 0
