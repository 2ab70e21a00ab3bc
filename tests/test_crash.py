"""Crash test: a scripted session of a few hundred updates while the bot is `kill -9`ed at
random points and restarted. At the end every effect happened exactly once, every
conversation finished, every notification was delivered, and only sends whose outcome was
unknown may have been repeated. Size: `--crash-users` and `--crash-kills` (README)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from tests.botproc import (
    CHIEF_ID,
    OFFICER_IDS,
    BotProcess,
    Step,
    bot_env,
    drive_with_kills,
    interleave,
    query,
    seed_database,
)
from tests.fake_bot_api import FakeBotAPI, Faults

OFFICES = 6
REPORTERS = 10


def script(api: FakeBotAPI, codes: list[str], station_id: int, seed: int) -> list[list[Step]]:
    """Per actor, the updates they send in order."""
    actors: list[list[Step]] = []
    for i, code in enumerate(codes):
        uid = 10_000 + i
        steps: list[Step] = [
            ("text", uid, f"/start {code}"),
            ("press", uid, "onb:lang:zh_CN"),
            ("text", uid, f"队员{i:03d}"),
            ("text", uid, "跳过"),
        ]
        if i < REPORTERS:
            steps += [
                ("text", uid, "/report"),
                ("press", uid, "rd:cat:hazard"),
                ("press", uid, "rd:danger:0"),
                ("text", uid, f"隐患{i:03d}"),
                ("text", uid, f"村口{i}号"),
                ("press", uid, "rd:photos_done"),
                ("press", uid, "rd:urg:0"),
                ("press", uid, "rd:submit"),
            ]
        actors.append(steps)
    chief: list[Step] = []
    for j in range(OFFICES):
        chief += [
            ("press", CHIEF_ID, f"area:addof:{station_id}"),
            ("text", CHIEF_ID, f"警务室-{j}"),
        ]
    actors.append(chief)
    return actors


def ordered(actors: list[list[Step]], seed: int) -> list[Step]:
    order = interleave(actors, seed)
    # last, an officer acknowledges every report (ids are given in submission order)
    reporters = min(REPORTERS, len(actors) - 1)
    order += [("press", OFFICER_IDS[0], f"rp:ack:{n}") for n in range(1, reporters + 1)]
    return order


def run_session(
    tmp_path: Path, users: int, kills: int, faults: Faults | None = None, seed: int = 1
) -> tuple[FakeBotAPI, BotProcess, Path]:
    db_path = tmp_path / "patrol.db"
    seeded = seed_database(db_path, users)
    api = FakeBotAPI(faults).start()
    bot = BotProcess(bot_env(db_path, api), tmp_path / "bot.log")
    steps = ordered(script(api, seeded.codes, seeded.station_id, seed), seed)
    try:
        drive_with_kills(api, bot, steps, kills, seed)
        api.wait_for(
            lambda: api.confirmed_offset > api.last_update_id and _settled(db_path),
            180,
            "every update processed and every notification sent",
        )
        assert bot.terminate() < 10
    except BaseException:
        if bot.returncode is None:
            bot.kill()
        print(bot.log()[-5000:])
        raise
    finally:
        api.stop()
    return api, bot, db_path


def _settled(db_path: Path) -> bool:
    pending_updates = query(db_path, "SELECT COUNT(*) FROM inbox WHERE done_at IS NULL")[0][0]
    unsent = query(db_path, "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')")
    return pending_updates == 0 and unsent[0][0] == 0


def check_exactly_once(api: FakeBotAPI, db_path: Path, users: int) -> None:
    names = query(db_path, "SELECT name FROM people WHERE role = 'member' ORDER BY name")
    assert [n for (n,) in names] == [f"队员{i:03d}" for i in range(users)]
    offices = query(db_path, "SELECT name, COUNT(*) FROM offices GROUP BY name ORDER BY name")
    assert offices == sorted([("东关警务室", 1)] + [(f"警务室-{j}", 1) for j in range(OFFICES)])
    assert query(db_path, "SELECT COUNT(*) FROM audit_log WHERE action = 'person:register'") == [
        (users,)
    ]
    assert query(db_path, "SELECT SUM(max_uses - uses_left) FROM invitations") == [(users,)]
    assert query(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]
    assert query(db_path, "SELECT COUNT(*) FROM inbox WHERE done_at IS NULL OR failed = 1") == [
        (0,)
    ]
    assert query(db_path, "SELECT DISTINCT status FROM outbox") == [("sent",)]
    reporters = min(REPORTERS, users)
    reports = query(db_path, "SELECT description, seq, status FROM reports ORDER BY seq")
    assert sorted(cast(str, d) for d, _, _ in reports) == [
        f"隐患{i:03d}" for i in range(reporters)
    ]
    assert [seq for _, seq, _ in reports] == list(range(1, reporters + 1))
    assert {status for _, _, status in reports} <= {"acknowledged"}
    events = query(
        db_path, "SELECT report_id, kind, COUNT(*) FROM report_events GROUP BY report_id, kind"
    )
    assert all(count == 1 for _, _, count in events)
    assert len(events) == 2 * reporters  # created and acknowledged, once each
    for i in range(reporters):
        assert any("已发送给派出所" in t for t in api.received(10_000 + i)), i
    for i in range(users):
        assert any("登记完成" in text for text in api.received(10_000 + i)), i
    joined = [
        t for officer in OFFICER_IDS for t in api.received(officer) if "已通过您的邀请加入" in t
    ]
    for i in range(users):
        assert any(f"队员{i:03d}" in t for t in joined), i
    flagged = query(db_path, "SELECT COUNT(*) FROM outbox WHERE possible_duplicate = 1")[0][0]
    assert isinstance(flagged, int)
    assert len(joined) - users <= flagged


def test_kill_9_at_random_points_loses_nothing_and_doubles_nothing(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    users = int(request.config.getoption("--crash-users"))
    kills = int(request.config.getoption("--crash-kills"))
    api, bot, db_path = run_session(tmp_path, users, kills)
    assert bot.starts == kills + 1
    check_exactly_once(api, db_path, users)


def test_ten_percent_of_api_calls_failing_still_delivers_everything(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    users = max(10, int(request.config.getoption("--crash-users")) // 2)
    faults = Faults(rate=0.10, seed=11)
    api, _bot, db_path = run_session(tmp_path, users, kills=0, faults=faults)
    check_exactly_once(api, db_path, users)
    assert sum(faults.counts.values()) > 0
    assert api.count("getUpdates") > 0  # polling went on through the failures
