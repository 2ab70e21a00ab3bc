"""The station board's API (handlers/board.py), served by the real tornado routes on
127.0.0.1 over the real application: Telegram's initData checked (valid, tampered, expired,
another bot's, a deactivated person's, a member's), the scope of each role, what may be done
and that it reaches the reporter in chat, and the privacy headers on every answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import tornado.httpserver
import tornado.web

from handlers import board
from models.geo import wgs84_to_gcj02
from models.webapp_auth import sign_init_data
from tests.builders import User
from tests.fakes import TOKEN
from tests.flows import (
    CHIEF,
    DAY,
    DUTY,
    LAT,
    LON,
    MEMBER,
    MEMBER2,
    MEMBER3,
    OFFICER,
    OFFICER2,
    OPERATOR,
    add_station,
    alerted,
    ask_backup,
    invite,
    onboard,
    patrol_office,
    person_of,
    plan_and_publish,
    submit_dispute,
    team,
    with_duty,
)
from tests.harness import Harness, make_settings
from tests.test_operations import free_port

WEST_CHIEF = User(2101, "Sun", "zh-hans")
NEW_OFFICER = User(3009, "Qian", "zh-hans")
NEW_MEMBER = User(4009, "Mei", "zh-hans")
STRANGER = User(9900, "Nobody", "zh-hans")


@dataclass
class Board:
    h: Harness
    client: httpx.AsyncClient
    report_id: int

    async def get(self, path: str, user: User | None, **signing: Any) -> httpx.Response:
        headers = {"Authorization": "tma " + init_data(self.h, user, **signing)} if user else {}
        return await self.client.get(f"/board/api/{path}", headers=headers)

    async def post(self, path: str, user: User) -> httpx.Response:
        headers = {"Authorization": "tma " + init_data(self.h, user)}
        return await self.client.post(f"/board/api/{path}", headers=headers)


def init_data(
    h: Harness, user: User, token: str = TOKEN, age: timedelta = timedelta(minutes=1)
) -> str:
    """What Telegram gives the Mini App when `user` opens it (signed with the bot's token)."""
    when = h.clock.now() - age
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user.id, "first_name": user.first_name, "language_code": "zh"}),
        "auth_date": str(int(when.timestamp())),
    }
    return sign_init_data(token, fields)


@pytest.fixture
async def web(harness: Harness) -> AsyncIterator[Board]:
    h = harness
    await with_duty(h)
    report_id = await submit_dispute(h)
    await add_station(h, "西河派出所")
    code = await invite(h, OPERATOR, "station chief", "西河派出所")
    await onboard(h, WEST_CHIEF, code, "孙所长")
    h.tg.clear()
    port = free_port()
    server = tornado.httpserver.HTTPServer(tornado.web.Application(board.routes(h.app)))
    server.listen(port, address="127.0.0.1")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        yield Board(h, client, report_id)
    server.stop()
    await server.close_all_connections()


async def test_signed_init_data_of_a_staff_member_opens_the_board(web: Board) -> None:
    response = await web.get("me", OFFICER)
    assert response.status_code == 200
    me = response.json()
    assert me["role"] == "officer" and me["office_id"] is not None
    assert me["labels"]["ui"]["tab_map"] == "地图" and me["tiles"]["crs"] == "wgs84"
    assert response.headers["Cache-Control"] == "no-store"
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "script-src 'self' https://telegram.org" in policy


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("no header", 401),
        ("tampered", 401),
        ("expired", 401),
        ("another bot's token", 401),
        ("not signed in as anyone known", 401),
        ("deactivated", 401),
        ("a patrol member", 403),
    ],
)
async def test_anything_but_a_valid_staff_init_data_gets_nothing(
    web: Board, case: str, expected: int
) -> None:
    h = web.h
    headers: dict[str, str] = {}
    if case == "tampered":
        signed = init_data(h, OFFICER).replace("3001", "3002")  # pretend to be the other officer
        headers = {"Authorization": "tma " + signed}
    elif case == "expired":
        headers = {"Authorization": "tma " + init_data(h, OFFICER, age=timedelta(hours=25))}
    elif case == "another bot's token":
        other = "7000000002:AAF4k3-t0k3n-0f-4n0th3r-b0t-xxxxxxxx"
        headers = {"Authorization": "tma " + init_data(h, OFFICER, token=other)}
    elif case == "not signed in as anyone known":
        headers = {"Authorization": "tma " + init_data(h, STRANGER)}
    elif case == "deactivated":
        chief = await person_of(h, CHIEF)
        await h.services.people.set_active(chief, (await person_of(h, OFFICER2)).id, False)
        headers = {"Authorization": "tma " + init_data(h, OFFICER2)}
    elif case == "a patrol member":
        headers = {"Authorization": "tma " + init_data(h, MEMBER)}
    for path in ("me", "map", "version", "today", "week", f"reports/{web.report_id}"):
        response = await web.client.get(f"/board/api/{path}", headers=headers)
        assert response.status_code == expected, (case, path)
        assert response.json() == {"error": "unauthorized" if expected == 401 else "forbidden"}
        assert response.headers["Cache-Control"] == "no-store"


async def test_each_role_sees_its_own_scope_and_nothing_of_another_station(web: Board) -> None:
    h = web.h
    await ask_backup(h)
    seen = {}
    for user in (OFFICER, DUTY, CHIEF, OPERATOR, WEST_CHIEF):
        data = (await web.get("map", user)).json()
        seen[user.id] = data
    for user in (OFFICER, DUTY, CHIEF, OPERATOR):
        data = seen[user.id]
        assert [r["id"] for r in data["reports"]] == [web.report_id], user
        assert len(data["calls"]) == 1 and data["calls"][0]["step"] == 1, user
    west = seen[WEST_CHIEF.id]
    assert west["reports"] == [] and west["calls"] == [] and west["places"] == []
    assert [o["name"] for o in west["offices"]] == []  # (the new station has no office yet)
    # the report's card in detail: the chat's own text, for those who may see it
    detail = (await web.get(f"reports/{web.report_id}", OFFICER)).json()
    assert detail["number"] == "#2026-0001" and "铁丝网" in detail["html"]
    assert {a["action"] for a in detail["actions"]} == {"ack", "go", "here", "info", "res", "hand"}
    assert (await web.get(f"reports/{web.report_id}", WEST_CHIEF)).status_code == 404


async def test_acknowledging_on_the_board_is_acknowledging_in_chat(web: Board) -> None:
    h = web.h
    before = (await web.get("version", OFFICER)).json()["version"]
    response = await web.post(f"reports/{web.report_id}/ack", OFFICER)
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    report = await h.services.reports.repo.get(web.report_id)
    assert report is not None and report.status.value == "acknowledged"
    await h.app.sender.drain()
    told = " ".join(h.texts(h.tg.calls, MEMBER.id))
    assert "李警官" in told and "#2026-0001" in told  # the reporter hears it as from chat
    assert (await web.get("version", OFFICER)).json()["version"] != before
    # pressed twice (or in chat meanwhile): refused, nothing changes
    again = await web.post(f"reports/{web.report_id}/ack", OFFICER)
    assert again.status_code in (403, 409)


async def test_a_refused_action_changes_nothing(web: Board) -> None:
    h = web.h
    dump = await _dump(h)
    for user, path in (
        (WEST_CHIEF, f"reports/{web.report_id}/ack"),  # another station's chief
        (MEMBER, f"reports/{web.report_id}/ack"),  # a member has no board
        (OFFICER, f"reports/{web.report_id}/resolve-everything"),  # no such action
    ):
        response = await web.post(path, user)
        assert response.status_code in (403, 404, 409), (user, path)
    assert await _dump(h) == dump


async def _dump(h: Harness) -> list[Any]:
    rows = []
    for table in ("reports", "report_events", "outbox", "backup_requests"):
        rows += [tuple(r) for r in await h.services.db.fetch_all(f"SELECT * FROM {table}")]
    return rows


async def test_the_page_has_no_inline_script_and_its_files_are_ours(web: Board) -> None:
    page = await web.client.get("/board/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.text
    assert "<script>" not in html and "onclick" not in html
    for path in ("static/app.js", "static/app.css", "static/vendor/leaflet/leaflet.js"):
        asset = await web.client.get(f"/board/{path}")
        assert asset.status_code == 200, path
    assert (await web.client.get("/board/static/../../bot.py")).status_code in (403, 404)


BOARD_URL = "https://patrol.example.cn/board/"


async def test_with_a_board_staff_get_it_as_their_menu_button_and_under_their_lists(
    tmp_path: Path,
) -> None:
    """PATROL_WEBAPP_URL set: an officer's chat menu button opens the board once they join,
    and /reports, /today and /stats carry "📊 打开工作台"; a member's menu stays the
    command list and her lists have no board button."""
    h = Harness(make_settings(tmp_path / "patrol.db", webapp_url=BOARD_URL))
    await h.start()
    try:
        await team(h)
        await onboard(h, NEW_OFFICER, await invite(h, CHIEF, "社区民警", "东关警务室"), "钱警官")
        await onboard(h, NEW_MEMBER, await invite(h, CHIEF, "巡防队员", "东关警务室"), "李梅")
        menus = {
            int(c.params["chat_id"]): json.loads(c.params["menu_button"])
            if isinstance(c.params["menu_button"], str)
            else c.params["menu_button"]
            for c in h.tg.calls
            if c.method == "setChatMenuButton"
        }
        assert menus[NEW_OFFICER.id]["type"] == "web_app"
        assert menus[NEW_OFFICER.id]["web_app"]["url"] == BOARD_URL
        assert menus[NEW_MEMBER.id]["type"] == "commands"
        for command in ("/reports", "/today", "/stats"):
            calls = await h.send(OFFICER, command)
            markup = json.dumps([c.params.get("reply_markup") for c in calls])
            assert BOARD_URL in markup and "web_app" in markup, command
        calls = await h.send(MEMBER, "/reports")
        assert BOARD_URL not in json.dumps([c.params.get("reply_markup") for c in calls])
    finally:
        await h.stop()


async def test_asking_resolving_and_handing_over_on_the_board(web: Board) -> None:
    """The officer's other actions go through the chat's services and tell the reporter (and
    the new handler) as from chat; a malformed body is a 400 and changes nothing."""
    h = web.h
    path = f"reports/{web.report_id}"
    detail = (await web.get(path, OFFICER)).json()
    assert {"info", "res", "hand"} <= {a["action"] for a in detail["actions"]}
    assert [o["name"] for o in detail["officers"]] == ["赵警官"]
    headers = {"Authorization": "tma " + init_data(h, OFFICER)}
    ask = await web.client.post(
        f"/board/api/{path}/info", headers=headers, json={"question": "铁丝网有多高？"}
    )
    assert ask.status_code == 200
    await h.app.sender.drain()
    assert any("铁丝网有多高" in t for t in h.texts(h.tg.calls, MEMBER.id))
    officer2 = await person_of(h, OFFICER2)
    hand = await web.client.post(
        f"/board/api/{path}/hand", headers=headers, json={"officer": officer2.id}
    )
    assert hand.status_code == 200
    await h.app.sender.drain()
    assert any("#2026-0001" in t for t in h.texts(h.tg.calls, OFFICER2.id))
    for bad in ({"outcome": "nonsense"}, {"question": ""}, [1, 2]):
        action = "info" if "question" in bad else "res"
        response = await web.client.post(f"/board/api/{path}/{action}", headers=headers, json=bad)
        assert response.status_code == 400, bad
    headers2 = {"Authorization": "tma " + init_data(h, OFFICER2)}
    resolved = await web.client.post(
        f"/board/api/{path}/res", headers=headers2, json={"outcome": "mediated", "note": "已调解"}
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    await h.app.sender.drain()
    assert any("已调解" in t for t in h.texts(h.tg.calls, MEMBER.id))


async def test_a_backup_calls_card_is_its_chat_timeline_for_those_who_may_see_it(
    web: Board,
) -> None:
    h = web.h
    call_id = await ask_backup(h)
    card = (await web.get(f"calls/{call_id}", OFFICER)).json()
    assert f"#{call_id}" in card["html"] and "纠纷升级" in card["html"]
    assert (await web.get(f"calls/{call_id}", WEST_CHIEF)).status_code == 404
    assert (await web.get(f"calls/{call_id}", MEMBER)).status_code == 403


async def test_going_to_a_backup_call_from_the_board_is_going_from_chat(web: Board) -> None:
    """ "我去" on the board: the call is claimed, the chain stops (the duty desk is never
    alerted), the member hears who is coming with their phone, the officer gets the
    arrived / resolved buttons in private; a second officer is told it is taken."""
    h = web.h
    call_id = await ask_backup(h)
    card = (await web.get(f"calls/{call_id}", OFFICER)).json()
    assert [a["action"] for a in card["actions"]] == ["go", "no"]
    assert (await web.post(f"calls/{call_id}/go", OFFICER)).status_code == 200
    request = await h.services.backup.repo.get(call_id)
    assert request is not None and request.status.value == "claimed"
    await h.app.sender.drain()
    assert any("李警官" in t and "+8613800000002" in t for t in h.texts(h.tg.calls, MEMBER.id))
    mine = [
        c for c in h.tg.sent(OFFICER.id) if "已到场" in json.dumps(c.buttons(), ensure_ascii=False)
    ]
    assert mine
    h.tg.clear()
    h.clock.advance(timedelta(minutes=10))
    await h.tick()
    assert not any("支援请求 #" in c.text for c in h.tg.sent(DUTY.id))  # the chain stopped
    again = await web.post(f"calls/{call_id}/go", OFFICER2)
    assert again.status_code == 409
    assert (await web.post(f"calls/{call_id}/go", MEMBER)).status_code == 403


async def test_the_week_names_the_five_zeros_and_downloads_the_audited_workbook(
    web: Board,
) -> None:
    h = web.h
    week = (await web.get("week", CHIEF)).json()
    assert week["zeros"].startswith("🎯 五零") and "<b>" not in week["zeros"]
    assert (await web.get("week", OFFICER)).json()["zeros"] is None  # the station's, not theirs
    response = await web.get("export", CHIEF)
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    audit = await h.services.db.fetch_all("SELECT * FROM audit_log WHERE action = 'stats:export'")
    assert len(audit) == 1
    assert (await web.get("export", MEMBER)).status_code == 403


async def test_cannot_go_from_the_board_is_cannot_go_from_chat(web: Board) -> None:
    """ "去不了" on the board, for those whose alert waits for an answer: noted, their alert
    in chat says so (its buttons gone); when everyone the step alerted said no, the next
    step goes at once, as from the alert's button. Someone the step did not alert
    (the chief) has no such button and is refused."""
    h = web.h
    call_id = await ask_backup(h)
    await h.app.sender.drain()
    card = (await web.get(f"calls/{call_id}", OFFICER)).json()
    assert [a["action"] for a in card["actions"]] == ["go", "no"]
    assert [a["action"] for a in (await web.get(f"calls/{call_id}", CHIEF)).json()["actions"]] == [
        "go"
    ]
    dump = await _dump(h)
    assert (await web.post(f"calls/{call_id}/no", CHIEF)).status_code == 409
    assert (await web.post(f"calls/{call_id}/no", MEMBER)).status_code == 403
    assert await _dump(h) == dump
    h.tg.clear()
    assert (await web.post(f"calls/{call_id}/no", OFFICER)).status_code == 200
    await h.app.sender.drain()
    edited = [c for c in h.tg.calls if c.method == "editMessageText" and c.chat_id == OFFICER.id]
    assert edited and "您去不了" in edited[-1].text and not edited[-1].buttons()
    # the first step alerted only her paired officer: his "no" moves the chain on at once
    assert alerted(h.tg.calls, DUTY.id) and alerted(h.tg.calls, OFFICER2.id)
    request = await h.services.backup.repo.get(call_id)
    assert request is not None and request.status.value == "open" and request.step_index == 1
    again = (await web.get(f"calls/{call_id}", OFFICER)).json()
    assert [a["action"] for a in again["actions"]] == ["go"]  # said once
    assert (await web.post(f"calls/{call_id}/no", OFFICER)).status_code == 409
    second = (await web.get(f"calls/{call_id}", OFFICER2)).json()
    assert [a["action"] for a in second["actions"]] == ["go", "no"]  # the new step's alert
    assert (await web.post(f"calls/{call_id}/no", OFFICER2)).status_code == 200
    events = await h.services.db.fetch_all(
        "SELECT kind FROM backup_events WHERE request_id = ? AND kind = 'cannot_go'", (call_id,)
    )
    assert len(events) == 2


async def test_a_reports_photos_open_on_its_card_for_those_who_may_see_it(web: Board) -> None:
    """The card says how many photos; each is Telegram's copy, fetched by the bot (its file
    id never leaves the server), for those who may open the report — nobody else."""
    h = web.h
    h.tg.files["AgACAgIAAxkBAAIBphoto"] = b"\xff\xd8\xff\xe0 the wire fence"
    detail = (await web.get(f"reports/{web.report_id}", OFFICER)).json()
    assert detail["photos"] == 1 and "AgACAgIAAxkBAAIBphoto" not in json.dumps(detail)
    photo = await web.get(f"reports/{web.report_id}/photos/0", CHIEF)
    assert photo.status_code == 200 and photo.content == b"\xff\xd8\xff\xe0 the wire fence"
    assert photo.headers["Content-Type"] == "image/jpeg"
    assert photo.headers["Cache-Control"] == "no-store"
    assert (await web.get(f"reports/{web.report_id}/photos/1", OFFICER)).status_code == 404
    assert (await web.get(f"reports/{web.report_id}/photos/0", WEST_CHIEF)).status_code == 404
    assert (await web.get(f"reports/{web.report_id}/photos/0", MEMBER)).status_code == 403
    assert (await web.get(f"reports/{web.report_id}/photos/0", None)).status_code == 401
    # opened again: from memory, not fetched twice
    downloads = [c for c in h.tg.calls if c.method == "download"]
    assert (await web.get(f"reports/{web.report_id}/photos/0", OFFICER)).status_code == 200
    assert [c for c in h.tg.calls if c.method == "download"] == downloads


async def test_a_reports_voice_message_plays_on_its_card(web: Board) -> None:
    """A report told by voice: the card counts it and the board plays Telegram's copy
    (OGG/Opus), for those who may see the report; the policy lets the page play it."""
    h = web.h
    member = await person_of(h, MEMBER)
    async with h.services.db.write():  # (as the report conversation stores a voice message)
        await h.services.reports.repo.add_attachment(
            web.report_id, "voice", "AwACAgIAAxkBAAIBvoice", member.id, h.clock.now()
        )
    h.tg.files["AwACAgIAAxkBAAIBvoice"] = b"OggS voice of the quarrel"
    detail = await web.get(f"reports/{web.report_id}", OFFICER)
    assert detail.json()["voices"] == 1 and detail.json()["photos"] == 1
    assert "media-src blob:" in detail.headers["Content-Security-Policy"]
    voice = await web.get(f"reports/{web.report_id}/voice/0", OFFICER)
    assert voice.status_code == 200 and voice.content == b"OggS voice of the quarrel"
    assert voice.headers["Content-Type"] == "audio/ogg"
    assert (await web.get(f"reports/{web.report_id}/voice/1", OFFICER)).status_code == 404
    assert (await web.get(f"reports/{web.report_id}/voice/0", WEST_CHIEF)).status_code == 404


async def test_a_photo_telegram_no_longer_has_is_a_clear_failure(web: Board) -> None:
    response = await web.get(f"reports/{web.report_id}/photos/0", OFFICER)  # (not in the fake)
    assert response.status_code == 502 and response.json() == {"error": "bad gateway"}


async def test_tiles_of_ones_own_in_gcj02_move_the_markers_and_open_the_policy(
    web: Board,
) -> None:
    """A county's own tile server (a URL template and its coordinate system): the page is
    told the template, the policy lets only that host's images in, and every marker comes
    in GCJ-02 — the report where the member stood, converted."""
    h = web.h
    settings = h.services.settings
    settings.webapp_tiles = "https://tiles.county.example:8443/gcj/{z}/{x}/{y}.png"
    settings.webapp_tiles_crs = "gcj02"
    settings.webapp_tiles_attribution = "县政务云底图"
    response = await web.get("me", OFFICER)
    tiles = response.json()["tiles"]
    assert tiles["url_template"] == settings.webapp_tiles and tiles["crs"] == "gcj02"
    assert tiles["attribution"] == "县政务云底图"
    assert "img-src 'self' data: blob: https://tiles.county.example:8443;" in (
        response.headers["Content-Security-Policy"] + ";"
    )
    report = (await web.get("map", OFFICER)).json()["reports"][0]
    assert (report["lat"], report["lon"]) == pytest.approx(wgs84_to_gcj02(LAT, LON))


async def test_todays_board_shows_each_slot_as_it_stands(harness: Harness) -> None:
    """Areas × shifts, after the morning shift: the member who checked in is "checked in",
    the morning members who never did are "missed", the afternoon's are "not started";
    the officer of the office and the chief see it, a member does not."""
    h = harness
    await patrol_office(h)
    await plan_and_publish(h)
    planned = await h.services.patrol.repo.assignments(1, DAY)
    morning = sorted((a for a in planned if a.shift == 0), key=lambda a: a.id)
    people = {(await person_of(h, u)).id: u for u in (MEMBER, MEMBER2, MEMBER3)}
    walker = people[morning[0].member_id]
    h.clock.set(morning[0].starts_at)
    await h.press(walker, "pt:in")
    h.clock.set(max(a.ends_at for a in morning) + timedelta(minutes=1))
    port = free_port()
    server = tornado.httpserver.HTTPServer(tornado.web.Application(board.routes(h.app)))
    server.listen(port, address="127.0.0.1")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            web = Board(h, client, 0)
            rows = (await web.get("today", OFFICER)).json()["rows"]
            assert (await web.get("today", CHIEF)).json()["rows"] == rows
            assert (await web.get("today", MEMBER)).status_code == 403
            labels = (await web.get("me", OFFICER)).json()["labels"]["slot"]
    finally:
        server.stop()
        await server.close_all_connections()
    names = {a.id: (await h.services.people.get(a.member_id)).name for a in planned}  # type: ignore[union-attr]
    expected = sorted(
        (a.shift, names[a.id], "checked_in" if a is morning[0] else "missed" if a.shift == 0
         else "planned")
        for a in planned
    )  # fmt: skip
    seen = sorted((0 if r["hours"].startswith("0") else 1, r["member"], r["state"]) for r in rows)
    assert seen == expected and len(rows) == 3
    assert {r["area"] for r in rows} == {"东关村", "集市街"}
    assert labels["missed"] == "漏巡（未签到）" and labels["checked_in"]
