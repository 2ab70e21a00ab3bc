"""The rights matrix: every command and every button that acts on something, against every
role. An allowed role gets the feature (whatever the object's state says); every other role
gets a refusal in its own language, and nothing in the database changes. Objects belong to
office A1 (东关) of station A; "another office" is A2 of the same station, "another station"
is B.

docs/roles.md is this table; regenerate it with `python -m tests.test_rights > docs/roles.md`.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from locales import LOCALES, Translator
from models.clock import to_db
from models.errors import DomainError
from models.org import PlaceKind
from models.rails import REPLY
from tests.builders import Chat, User
from tests.fakes import Call
from tests.flows import (
    CHIEF,
    DUTY,
    MEMBER,
    OFFICER,
    OPERATOR,
    add_station,
    invite,
    onboard,
    person_of,
    register_public,
    with_duty,
)
from tests.harness import Harness, make_settings
from tests.test_dispatch import TABLES

ROOT = Path(__file__).resolve().parent.parent
WEST = User(3100, "Sun", "zh-hans")
PARTNER = User(4100, "Grid", "zh-hans")
MEMBER2 = User(4002, "Amy", "zh-hans")
GONE = User(4999, "Gone", "zh-hans")
CHIEF_B = User(2100, "Hekou", "zh-hans")
STRANGER = User(777001, "Stranger", "en")
VILLAGE = Chat(-100500, "supergroup", "东关村民群")
NEW_GROUP = Chat(-100800, "supergroup", "新群")

ROLES: dict[str, tuple[User, str]] = {
    "U": (STRANGER, "unknown person"),
    "D": (GONE, "deactivated member"),
    "P": (PARTNER, "partner (grid worker)"),
    "M": (MEMBER, "member (the reporter)"),
    "O1": (OFFICER, "officer, same office"),
    "O2": (WEST, "officer, other office"),
    "Dy": (DUTY, "duty desk"),
    "C": (CHIEF, "chief"),
    "CB": (CHIEF_B, "chief, other station"),
    "Op": (OPERATOR, "operator"),
}
ALL = set(ROLES)
KNOWN = ALL - {"U", "D"}
STAFF = {"O1", "O2", "Dy", "C", "CB", "Op"}
HANDLERS = {"O1", "Dy", "C"}
MANAGERS = {"C", "Op"}
REFUSALS = (
    "error.not_allowed",
    "error.stale",
    "gate.invitation_needed",
    "gate.invitation_needed_short",
    "gate.suspended",
)


@dataclass(frozen=True)
class Case:
    what: str  # a command (`/stats`) or button data with {placeholders}
    allowed: frozenset[str]
    note: str
    chat: str = "private"  # or "village" / "new_group"

    @property
    def kind(self) -> str:
        return "command" if self.what.startswith("/") else "button"


def case(what: str, allowed: set[str], note: str, chat: str = "private") -> Case:
    return Case(what, frozenset(allowed), note, chat)


COMMANDS = [
    case("/start", KNOWN, "the help of one's role (unknown people: ask for an invitation)"),
    case("/help", ALL - {"D"}, "what I can do"),
    case("/language", ALL - {"D"}, "change language"),
    case("/cancel", KNOWN, "cancel the current step"),
    case("/check", ALL - {"D"}, "is this a scam?"),
    case("/report", {"P", "M", "O1", "O2"}, "report an incident"),
    case("/backup", {"P", "M", "O1", "O2"}, "ask for officer backup"),
    case("/reports", KNOWN, "reports one may see (own, office, station, county)"),
    case("/today", {"P", "M", "O1", "O2"}, "today's patrol"),
    case("/checkin", {"P", "M"}, "start a patrol"),
    case("/checkout", {"P", "M"}, "end a patrol"),
    case("/leave", {"M", "O1", "O2"}, "days one cannot patrol"),
    case("/duty", {"O1", "O2", "Dy", "C", "CB"}, "on / off duty"),
    case("/invite", {"O1", "O2", "C", "CB", "Op"}, "invite people (roles below one's own)"),
    case("/invite 3", {"O1", "O2", "C", "CB", "Op"}, "a printable sheet of 3 invitation QR codes"),
    case("/roster", STAFF, "the roster of one's office, station or county"),
    case("/areas", {"C", "CB", "Op"}, "stations, offices and places"),
    case("/settings", {"C", "CB", "Op"}, "station settings"),
    case("/peaks", STAFF, "holidays and tourist peaks"),
    case("/tips", {"C", "CB", "Op"}, "the anti-fraud tip library"),
    case("/broadcast", {"O1", "O2", "C", "CB", "Op"}, "a notice to groups and people"),
    case("/stats", STAFF, "statistics of one's office, station or county"),
    case("/export", STAFF, "an Excel workbook of the same"),
    case("/register", {"C", "CB", "Op"}, "register a group (in the group)", chat="new_group"),
]
BUTTONS = [
    # reports of office A1
    case("rp:show:{report}", {"M", "O1", "Dy", "C", "Op"}, "view a report"),
    case("rp:ack:{report}", HANDLERS, "acknowledge a report"),
    case("rp:go:{report}", HANDLERS, "on my way"),
    case("rp:here:{report}", HANDLERS, "arrived"),
    case("rp:info:{report}", HANDLERS, "ask the reporter a question"),
    case("rp:res:{report}", HANDLERS, "resolve"),
    case("rp:out:{report}:mediated", HANDLERS, "resolve with an outcome"),
    case("rp:hand:{report}", HANDLERS, "hand over"),
    case("rp:to:{report}:{officer}", HANDLERS, "hand over to an officer"),
    case("rp:answer:{report}", {"M"}, "answer the officer's question"),
    case("rp:note:{report}", {"M"}, "add to one's report"),
    case("rp:wd:{report}", {"M"}, "withdraw one's report"),
    case("rp:reopen:{resolved}", {"M", "O1", "Dy", "C"}, "reopen a resolved report"),
    case("rp:merge:{report}:{resolved}", HANDLERS, "merge into another report"),
    case("rp:ack:{report}", set(), "any report button in a village group", chat="village"),
    # backup requests of a member of A1
    case("bk:r:dispute", {"P", "M", "O1", "O2"}, "call for backup"),
    case("bk:go:{request}", {"O1", "O2", "Dy", "C"}, "go to a backup call"),
    case("bk:no:{request}", {"O1", "O2", "Dy", "C"}, "cannot go"),
    case("bk:cancel:{request}", {"M"}, "cancel one's call"),
    case("bk:arr:{claimed}", {"O1"}, "arrived (the officer who went)"),
    case("bk:res:{claimed}", {"O1"}, "resolved (the officer who went)"),
    case("bk:duty:0:0", {"O1", "O2", "Dy", "C", "CB"}, "go off duty"),
    case("bk:r:dispute", set(), "a backup call from a village group", chat="village"),
    # patrols of office A1
    case("pt:in", {"P", "M"}, "check in"),
    case("pt:report", {"P", "M", "O1", "O2"}, "report from a patrol"),
    case("pt:swap:{slot}", {"M"}, "offer one's slot"),
    case("pt:swapto:{slot}:{member2}", {"M"}, "offer it to another member"),
    case("pt:rep:{slot}", {"O1", "C", "Op"}, "replace the member of a slot"),
    case("pt:repto:{slot}:{member2}", {"O1", "C", "Op"}, "replace with another member"),
    case("pt:ex:{slot}", {"O1", "C", "Op"}, "exchange two slots"),
    case("pt:decline:{leave}", {"O1", "C", "Op"}, "decline a member's leave"),
    # invitations
    case(
        "inv:go:member:-:1:{office}:3",
        {"O1", "O2", "C", "Op"},
        "a sheet of 3 member invitations for A1 (an officer's is for his own office)",
    ),
    case(
        "inv:exp", {"O1", "O2", "C", "CB", "Op"}, "expired unused invitations one could have made"
    ),
    case("inv:rev", {"O1", "O2", "C", "CB", "Op"}, "revoke them"),
    # the roster
    case("ros:st:{station}", {"O1", "O2", "Dy", "C", "Op"}, "a station's roster"),
    case("ros:of:{office}:{station}", {"O1", "Dy", "C", "Op"}, "an office's roster"),
    case("ros:ops", {"Op"}, "the operators"),
    case("ros:p:{member}", {"O1", "C", "Op"}, "a member's card (with phone)"),
    case("ros:role:{member}", {"O1", "C", "Op"}, "change a member's role"),
    case("ros:setrole:{member}:partner:grid_worker", {"O1", "C", "Op"}, "… to partner"),
    case("ros:move:{member}", {"O1", "C", "Op"}, "move a member"),
    case("ros:setoff:{member}:{west}", {"O1", "C", "Op"}, "… to another office"),
    case("ros:pair:{member}", {"O1", "C", "Op"}, "pair a member"),
    case("ros:tog:{member}:{officer}", {"O1", "C", "Op"}, "… with an officer"),
    case("ros:act:{member}:0", {"O1", "C", "Op"}, "deactivate a member"),
    # areas and settings
    case("area:list", {"Op"}, "all stations"),
    case("area:st:{station}", MANAGERS, "a station's offices"),
    case("area:of:{office}", MANAGERS, "an office's places"),
    case("area:pl:{place}", MANAGERS, "a place"),
    case("area:kind:{place}:hot_spot", MANAGERS, "mark a hot spot"),
    case("area:need:{place}:+", MANAGERS, "people needed per shift"),
    case("area:shift:{place}:0", MANAGERS, "the shifts walked there"),
    case("area:rmpl:{place}", MANAGERS, "remove a place"),
    case("area:addst", {"Op"}, "add a station"),
    case("area:addof:{station}", MANAGERS, "add an office"),
    case("set:st:{station}", MANAGERS, "a station's settings"),
    case("set:k:{station}:quiet_start", MANAGERS, "change a setting"),
    case("set:r:{station}:quiet_start", MANAGERS, "reset a setting"),
    # peaks, tips, broadcasts
    case("pk:st:{station}", {"Op"}, "a station's peaks"),
    case("pk:import", {"Op"}, "load the official holidays"),
    case("pk:add:{station}", MANAGERS, "add a peak period"),
    case("fr:page:0", {"C", "CB", "Op"}, "the tip library"),
    case("fr:tog:1:0", {"C", "CB", "Op"}, "switch a tip on or off"),
    case("fr:add", {"C", "CB", "Op"}, "write a tip"),
    case("fr:edit:1:zh_CN", {"C", "CB", "Op"}, "edit a tip"),
    case("fr:pause", {"O1", "Dy", "C", "Op"}, "pause a village group's tip", chat="village"),
    case("bc:st:{station}", {"Op"}, "broadcast for a station"),
    # statistics
    case("st:m:s:c", {"Op"}, "county statistics"),
    case("st:m:s:s{station}", {"Dy", "C", "Op"}, "station statistics"),
    case("st:p:s:o{office}:lw", {"O1", "Dy", "C", "Op"}, "an office's last week"),
    case("st:p:x:o{office}:lw", {"O1", "Dy", "C", "Op"}, "its export"),
    case("st:z:{station}:2026-11", {"Dy", "C", "Op"}, "the five zeros"),
    case("st:zr:{station}:2026-11:criminal", MANAGERS, "record one of the five zeros"),
    case("st:m:s:s{station}", set(), "statistics in a village group", chat="village"),
    # anyone
    case("lang:lang:en", ALL - {"D"}, "change language"),
]


async def _world(path: Path) -> dict[str, Any]:
    """Station A (offices A1 东关 and A2 西街) with its people, station B with its chief,
    and in A1: a new and a resolved report, an open and a claimed backup call, a patrol
    slot tomorrow and a leave."""
    h = Harness(make_settings(path))
    await h.start()
    try:
        await with_duty(h)
        chief = await person_of(h, CHIEF)
        west = await h.services.org.add_office(chief, 1, "西街警务室")
        await onboard(h, WEST, await invite(h, CHIEF, "社区民警", "西街警务室"), "孙警官")
        await onboard(h, MEMBER2, await invite(h, CHIEF, "巡防队员", "东关警务室"), "周敏")
        await onboard(h, GONE, await invite(h, CHIEF, "巡防队员", "东关警务室"), "离开的人")
        code = await invite(h, CHIEF, "社会力量", "网格员", "东关警务室")
        await onboard(h, PARTNER, code, "网格员老赵")
        await add_station(h, "河口派出所")
        await onboard(
            h, CHIEF_B, await invite(h, OPERATOR, "station chief", "河口派出所"), "何所长"
        )
        await register_public(h, VILLAGE, "中文")
        await h.services.people.set_active(chief, (await person_of(h, GONE)).id, False)
        people = {u: (await person_of(h, u)).id for u in (MEMBER, MEMBER2, OFFICER)}
        office = (await person_of(h, OFFICER)).office_id
        assert office is not None
        place = (await h.services.org.repo.places(office))[0]
        await h.services.org.toggle_place_kind(chief, place.id, PlaceKind.PATROL_AREA)
        db, now = h.services.db, h.clock.now()
        ids: dict[str, Any] = {
            "station": 1,
            "office": office,
            "west": west.id,
            "place": place.id,
            "member": people[MEMBER],
            "member2": people[MEMBER2],
            "officer": people[OFFICER],
        }
        async with db.write():
            for key, seq, status, resolved in (
                ("report", 1, "new", None),
                ("resolved", 2, "resolved", to_db(now - timedelta(days=1))),
            ):
                ids[key] = await db.execute(
                    "INSERT INTO reports (station_id, office_id, year, seq, reporter_id,"
                    " category, description, place_id, status, created_at, resolved_at,"
                    " acknowledged_at) VALUES (1, ?, 2026, ?, ?, 'dispute', '邻里纠纷', ?,"
                    " ?, ?, ?, ?)",
                    (office, seq, ids["member"], place.id, status, to_db(now), resolved, resolved),
                )
            for key, status, owner in (("request", "open", None), ("claimed", "claimed", True)):
                ids[key] = await db.execute(
                    "INSERT INTO backup_requests (station_id, office_id, requester_id, reason,"
                    " status, waits, step_index, owner_id, created_at, claimed_at)"
                    " VALUES (1, ?, ?, 'dispute', ?, '[180]', 0, ?, ?, ?)",
                    (
                        office,
                        ids["member"] if key == "request" else ids["member2"],
                        status,
                        ids["officer"] if owner else None,
                        to_db(now),
                        to_db(now) if owner else None,
                    ),
                )
            tomorrow = (now + timedelta(days=1)).astimezone(h.services.settings.zone)
            ids["slot"] = await db.execute(
                "INSERT INTO assignments (office_id, day, member_id, area_id, shift, starts_at,"
                " ends_at, created_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?)",
                (
                    office,
                    tomorrow.date().isoformat(),
                    ids["member"],
                    place.id,
                    to_db(tomorrow.replace(hour=8, minute=0)),
                    to_db(tomorrow.replace(hour=10, minute=0)),
                    to_db(now),
                ),
            )
            ids["leave"] = await h.services.patrol.repo.add_leave(
                ids["member2"], tomorrow.date(), tomorrow.date(), "家里有事", now
            )
            await db.execute(  # the new report's photo (Telegram keeps it: see `PHOTO`)
                "INSERT INTO report_attachments (report_id, kind, file_id, added_by, created_at)"
                " VALUES (?, 'photo', ?, ?, ?)",
                (ids["report"], PHOTO[0], ids["member"], to_db(now)),
            )
            # a call whose first step's alerts went out (and wait for an answer)
            ids["alerted"] = await db.execute(
                "INSERT INTO backup_requests (station_id, office_id, requester_id, reason,"
                " status, waits, step_index, created_at) VALUES (1, ?, ?, 'dispute', 'open',"
                " '[180]', -1, ?)",
                (office, ids["member"], to_db(now)),
            )
            await h.app.escalation.run_step(ids["alerted"], 0)
        await h.app.sender.drain()  # (its alerts delivered: nothing left to send later)
        return ids
    finally:
        await h.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("rights") / "world.db"
    ids = asyncio.run(_world(path))
    return path, ids


async def _snapshot(h: Harness, *answered: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the inbox. A refusal queues nothing to anyone either,
    but its own answer: replies (REPLY priority) to the person and the chat they used."""
    tables = await h.services.db.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'inbox'"
    )
    chats = ",".join(str(int(c)) for c in answered) or "0"
    where = {"outbox": f" WHERE NOT (urgent = {REPLY} AND chat_id IN ({chats}))"}
    return {
        t["name"]: [
            tuple(r)
            for r in await h.services.db.fetch_all(
                f"SELECT * FROM {t['name']}{where.get(t['name'], '')}"
            )
        ]
        for t in tables
    }


def _answers(calls: list[Call], user: User, chat_id: int) -> list[str]:
    """What the person saw: alerts, and messages or edits in the chat (or privately)."""
    seen = []
    for call in calls:
        if call.method == "answerCallbackQuery" and call.params.get("text"):
            seen.append(str(call.params["text"]))
        elif call.method in ("sendMessage", "editMessageText", "sendDocument", "sendPhoto") and (
            call.chat_id in (user.id, chat_id)
        ):
            seen.append(html.unescape(call.text))
    return seen


def _copy_world(path: Path, work: Path) -> None:
    shutil.copy(path, work)
    for suffix in ("-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)


async def _run(world: tuple[Path, dict[str, Any]], work: Path, item: Case) -> list[str]:
    """Every role against one case, on a fresh copy of the world; the problems found."""
    path, ids = world

    async def fresh() -> Harness:
        _copy_world(path, work)
        harness = Harness(make_settings(work))
        await harness.start()
        if item.chat == "new_group":
            from tests import builders

            await harness.feed(builders.my_chat_member(CHIEF, NEW_GROUP, "left", "member"))
        return harness

    h = await fresh()
    translator = Translator.load("zh_CN")
    refusals = {
        loc: {html.unescape(translator.text(loc, key)) for key in REFUSALS}
        for loc in ("zh_CN", "en")
    }
    internal = {html.unescape(translator.text(loc, "error.internal")) for loc in ("zh_CN", "en")}
    chat = {"village": VILLAGE, "new_group": NEW_GROUP}.get(item.chat)
    problems = []
    try:
        # refused roles first: they must change nothing; then the allowed ones
        for role in sorted(ALL - item.allowed) + sorted(item.allowed):
            user = ROLES[role][0]
            what = item.what.format(**ids)
            answered = (user.id, chat.id if chat else user.id)
            before = await _snapshot(h, *answered)
            if item.kind == "command":
                calls = await h.send(user, what, chat)
            else:
                calls = await h.press(user, what, chat)
            seen = _answers(calls, user, chat.id if chat else user.id)
            person = await h.services.people.by_telegram(user.id)
            locale = (person.locale if person else None) or (
                "en" if user.language_code == "en" else "zh_CN"
            )
            # in a group, someone the bot does not know is answered in the group's language
            expected = refusals[locale] if chat is None else refusals["zh_CN"] | refusals["en"]
            refused = any(text in expected for text in seen) or (
                chat is not None and item.kind == "command" and not seen
            )
            if any(text in internal for text in seen):
                problems.append(f"{role} {what}: an internal error")
            if role in item.allowed:
                if refused or not seen:
                    problems.append(f"{role} {what}: refused or no answer {seen[:2]}")
                if (
                    await _snapshot(h, *answered) != before
                ):  # the next role finds the world as it was
                    await h.stop()
                    h = await fresh()
                    continue
            else:
                if not refused:
                    problems.append(f"{role} {what}: not refused {seen[:2]}")
                if await _snapshot(h, *answered) != before:
                    problems.append(f"{role} {what}: a refusal changed the database")
            if item.kind == "command" and chat is None and role in item.allowed:
                await h.send(user, "/cancel")  # the next role starts from nothing
    finally:
        await h.stop()
    return problems


@pytest.mark.parametrize("item", COMMANDS, ids=lambda c: c.what)
def test_commands(world: tuple[Path, dict[str, Any]], tmp_path: Path, item: Case) -> None:
    assert asyncio.run(_run(world, tmp_path / "case.db", item)) == []


@pytest.mark.parametrize("item", BUTTONS, ids=lambda c: f"{c.what}@{c.chat}")
def test_buttons(world: tuple[Path, dict[str, Any]], tmp_path: Path, item: Case) -> None:
    assert asyncio.run(_run(world, tmp_path / "case.db", item)) == []


def render() -> str:
    """docs/roles.md, from the cases above."""
    lines = [
        "# Who may do what",
        "",
        "Generated from `tests/test_rights.py` (the test fails when this file and the table",
        "there differ): `python -m tests.test_rights > docs/roles.md`. Every cell is run",
        "through the real application: ✓ works; · is refused in the person's language and",
        "changes nothing. Objects belong to office A1 of station A.",
        "",
        "| role | who |",
        "|---|---|",
        *(f"| {code} | {who} |" for code, (_, who) in ROLES.items()),
        "",
    ]
    for title, items in (("Commands", COMMANDS), ("Buttons", BUTTONS)):
        lines += [f"## {title}", ""]
        lines.append("| | " + " | ".join(ROLES) + " | what |")
        lines.append("|---" * (len(ROLES) + 2) + "|")
        for item in items:
            where = "" if item.chat == "private" else f" (in a {item.chat.replace('_', ' ')})"
            cells = ["✓" if role in item.allowed else "·" for role in ROLES]
            shown = item.what.replace("|", "\\|")
            lines.append(f"| `{shown}` | " + " | ".join(cells) + f" | {item.note}{where} |")
        lines.append("")
    lines += [
        "Rules behind the table: any officer of the office, the duty desk and the chief may",
        "handle a report (the first to act becomes its owner); only the officer who went may",
        "mark a backup call arrived or resolved; operators see everything and manage",
        "stations, but do not handle reports or go to backup calls; officers manage the",
        "members and partners of their own office (and may move one to another office of",
        "the station); buttons pressed in a group are refused unless they belong there",
        "(report cards and backup calls in a staff group, a group's tip switches, group",
        "registration).",
        "",
    ]
    return "\n".join(lines)


def test_docs_roles_is_this_table() -> None:
    assert (ROOT / "docs" / "roles.md").read_text(encoding="utf-8") == render(), (
        "regenerate: python -m tests.test_rights > docs/roles.md"
    )


if __name__ == "__main__":
    print(render(), end="")


FORGED_NUMBERS = (str(2**70), "-" + str(2**64), "9" * 50)


def _forged(what: str) -> list[str]:
    """The button's data with every object number (placeholder or literal) replaced by one
    out of SQLite's range, each argument replaced by junk, and the whole made longer than
    Telegram's 64 bytes. Buttons without arguments have only the last."""
    feature, action, *args = what.split(":")
    head = f"{feature}:{action}"
    forged = [(f"{what}:" + "1" * 80)[:100]]  # more than Telegram's 64 bytes
    for number in FORGED_NUMBERS:
        numbered = re.sub(r"\{\w+\}", number, what)
        numbered = ":".join([head, *(re.sub(r"\d+", number, a) for a in numbered.split(":")[2:])])
        if numbered != what:
            forged.append(numbered)
    for n in range(len(args)):
        junk = [*args[:n], "x" * 30, *args[n + 1 :]]
        forged.append(":".join([head, *(re.sub(r"\{\w+\}", "1", a) for a in junk)]))
    return list(dict.fromkeys(forged))


async def _press_forged(path: Path, work: Path) -> list[str]:
    _copy_world(path, work)
    h = Harness(make_settings(work))
    await h.start()
    problems: list[str] = []
    try:
        stale = {html.unescape(h.app.translator.text(loc, "error.stale")) for loc in LOCALES}
        refusals = {
            html.unescape(h.app.translator.text(loc, key)) for loc in LOCALES for key in REFUSALS
        }
        for item in BUTTONS:
            chat = {"village": VILLAGE, "new_group": NEW_GROUP}.get(item.chat)
            for data in _forged(item.what):
                for role in ("Op", "C", "M"):
                    user = ROLES[role][0]
                    answered = (user.id, chat.id if chat else user.id)
                    before = await _snapshot(h, *answered)
                    calls = await h.press(user, data, chat)
                    seen = _answers(calls, user, chat.id if chat else user.id)
                    if not any(text in stale | refusals for text in seen):
                        problems.append(f"{role} {data}: not refused as stale {seen[:2]}")
                    if any("failed while handling" in c.text for c in calls):
                        problems.append(f"{role} {data}: the operators were alerted")
                    if await _snapshot(h, *answered) != before:
                        problems.append(f"{role} {data}: the database changed")
    finally:
        await h.stop()
    return problems


def test_forged_out_of_range_numbers_are_stale_buttons(
    world: tuple[Path, dict[str, Any]], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every feature's buttons with numbers beyond 64 bits, junk and oversized arguments:
    the ordinary "no longer valid" answer (or the role's refusal), no error, no alert."""
    with caplog.at_level(logging.ERROR):
        problems = asyncio.run(_press_forged(world[0], tmp_path / "forged.db"))
    assert problems == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


# A press that fails after it wrote: one allowed button of every feature (bot.py's prefixes,
# `tests.test_dispatch.TABLES`), who presses it and where. Its action in the feature's table
# is wrapped: a real write of its own in the update's transaction, the feature's own action
# (with whatever it writes), then a failure. Nothing of it may stay in the database.
FAILING: dict[str, tuple[str, str, str]] = {
    "onb": ("onb:lang:en", "U", "private"),  # after /start with an invitation
    "lang": ("lang:lang:en", "Op", "private"),
    "inv": ("inv:go:member:-:1:{office}", "C", "private"),
    "ros": ("ros:tog:{member}:{officer}", "C", "private"),
    "area": ("area:need:{place}:+", "C", "private"),
    "set": ("set:r:{station}:quiet_start", "C", "private"),
    "grp": ("grp:go:public:{station}:0:0:zh_CN", "C", "new_group"),
    "rd": ("rd:restart", "M", "private"),
    "rp": ("rp:ack:{report}", "O1", "private"),
    "bk": ("bk:go:{request}", "O1", "private"),
    "pt": ("pt:swap:{slot}", "M", "private"),
    "pk": ("pk:import", "Op", "private"),
    "fr": ("fr:pause", "C", "village"),
    "bc": ("bc:st:{station}", "Op", "private"),
    "st": ("st:r:s:s{station}", "C", "private"),
}
FAILURES = (DomainError("not_allowed"), ValueError("the action failed after writing"))


def test_every_feature_has_a_failing_press() -> None:
    assert set(FAILING) == set(TABLES)


async def _fail_after_writing(
    world: tuple[Path, dict[str, Any]],
    work: Path,
    feature: str,
    monkeypatch: pytest.MonkeyPatch,
    press: tuple[str, str, str] | None = None,
) -> list[str]:
    path, ids = world
    template, role, where = press or FAILING[feature]
    what = template.format(**ids)
    table = TABLES[feature]
    action = table[what.split(":")[1]]
    user = ROLES[role][0]
    chat = {"village": VILLAGE, "new_group": NEW_GROUP}.get(where)
    _copy_world(path, work)
    h = Harness(make_settings(work))
    await h.start()
    problems: list[str] = []
    try:
        if where == "new_group":
            from tests import builders

            await h.feed(builders.my_chat_member(CHIEF, NEW_GROUP, "left", "member"))
        if feature == "onb":
            await h.send(user, f"/start {await invite(h, CHIEF, '巡防队员', '东关警务室')}")
        refusals = {
            html.unescape(h.app.translator.text(loc, key))
            for loc in LOCALES
            for key in ("error.not_allowed", "error.stale")
        }
        internal = {html.unescape(h.app.translator.text(loc, "error.internal")) for loc in LOCALES}
        for failure in FAILURES:
            done: list[str] = []

            async def failing(p: Any, error: Exception = failure, done: list[str] = done) -> None:
                db = p.context.services.db
                async with db.write():  # joins the update's transaction
                    changed = await db.execute_count(
                        "UPDATE stations SET name = name || ' (renamed)' WHERE id = 1"
                    )
                assert changed == 1
                done.append("wrote")
                await action(p)  # the feature's own writes
                done.append("acted")
                raise error

            monkeypatch.setitem(table, what.split(":")[1], failing)
            answered = (user.id, chat.id if chat else user.id)
            before = await _snapshot(h, *answered)
            calls = await h.press(user, what, chat)
            seen = _answers(calls, user, chat.id if chat else user.id)
            kind = type(failure).__name__
            if done != ["wrote", "acted"]:
                problems.append(f"{kind} {what}: the action did not run to its end {done}")
            after = await _snapshot(h, *answered)
            if after != before:
                changed = sorted(t for t in after if after[t] != before.get(t))
                problems.append(f"{kind} {what}: the failed press changed {changed}")
            if not any(text in refusals for text in seen) or any(t in internal for t in seen):
                problems.append(f"{kind} {what}: not refused or stale {seen[:2]}")
            if any("failed while handling" in c.text for c in calls):
                problems.append(f"{kind} {what}: the operators were alerted")
    finally:
        await h.stop()
    return problems


@pytest.mark.parametrize("feature", sorted(FAILING))
def test_a_press_that_fails_after_a_write_leaves_the_database_unchanged(
    world: tuple[Path, dict[str, Any]],
    tmp_path: Path,
    feature: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every feature's button, its action failing (a rule's refusal, or forged data) after
    it and the feature wrote: the press is rolled back whole (`update_failed`), and the
    person gets the refusal or "no longer valid", not an internal error."""
    with caplog.at_level(logging.ERROR):
        problems = asyncio.run(
            _fail_after_writing(world, tmp_path / "failing.db", feature, monkeypatch)
        )
    assert problems == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_failed_press_does_not_change_someone_elses_menu(
    world: tuple[Path, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rolled-back press tells nobody else of what it undid (here the deactivated
    member's new command menu): only its own chat's answers and its refusal go out."""
    deactivate = ("ros:act:{member}:0", "C", "private")
    problems = asyncio.run(
        _fail_after_writing(world, tmp_path / "failing.db", "ros", monkeypatch, deactivate)
    )
    assert problems == []


# The station board's API (handlers/board.py): every endpoint × the ten roles, with the
# database unchanged when refused. Signed-in staff get their scope; a member or a partner
# 403; anyone the bot does not know or has deactivated 401.
BOARD_READS = {"me", "map", "version", "today", "week", "export"}
BOARD_CASES: list[tuple[str, str, set[str]]] = [
    *[("GET", path, STAFF) for path in sorted(BOARD_READS)],
    ("GET", "reports/{report}", HANDLERS | {"Op"}),  # A1's report: its office, station, county
    ("POST", "reports/{report}/ack", HANDLERS),  # acknowledged by those who handle it
    ("GET", "calls/{request}", {"O1", "O2", "Dy", "C", "Op"}),  # the station's staff, county
    ("POST", "calls/{request}/go", {"O1", "O2", "Dy", "C"}),  # as `bk:go` in chat
    ("POST", "calls/{alerted}/no", {"O1"}),  # those whose alert of the step waits: as `bk:no`
    ("GET", "reports/{report}/photos/0", HANDLERS | {"Op"}),  # those who may open the report
]
PHOTO = ("AgACAgIAAxkBAAIBrights", b"\xff\xd8\xff\xe0 a photo")
BOARD_CODES = {"U": 401, "D": 401, "P": 403, "M": 403}


@pytest.mark.parametrize(
    ("method", "path", "allowed"), BOARD_CASES, ids=[f"{m} {p}" for m, p, _ in BOARD_CASES]
)
def test_the_board_api_rights_matrix(
    world: tuple[Path, dict[str, Any]],
    tmp_path: Path,
    method: str,
    path: str,
    allowed: set[str],
) -> None:
    asyncio.run(_board_matrix(world, tmp_path, method, path, allowed))


async def _board_matrix(
    world: tuple[Path, dict[str, Any]], tmp_path: Path, method: str, path: str, allowed: set[str]
) -> None:
    import httpx
    import tornado.httpserver
    import tornado.web

    from handlers import board
    from tests.test_board import init_data
    from tests.test_operations import free_port

    source, ids = world
    failures = []
    for role, (user, _label) in ROLES.items():
        copy = tmp_path / f"board-{role}.db"
        shutil.copy(source, copy)
        h = Harness(make_settings(copy))
        await h.start()
        h.tg.files[PHOTO[0]] = PHOTO[1]
        port = free_port()
        server = tornado.httpserver.HTTPServer(tornado.web.Application(board.routes(h.app)))
        server.listen(port, address="127.0.0.1")
        try:
            before = await _snapshot(h)
            headers = {"Authorization": "tma " + init_data(h, user)}
            url = f"http://127.0.0.1:{port}/board/api/{path.format(**ids)}"
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.request(method, url, headers=headers)
            expected = 200 if role in allowed else None
            code = response.status_code
            if expected == 200 and code != 200:
                failures.append(f"{role}: {code}, expected 200")
            if expected is None:
                wanted = BOARD_CODES.get(role)
                if code == 200 or (wanted is not None and code != wanted):
                    failures.append(f"{role}: {code}, expected {wanted or 'a refusal'}")
                if await _snapshot(h) != before:
                    failures.append(f"{role}: refused, but the database changed")
            if response.headers.get("Cache-Control") != "no-store":
                failures.append(f"{role}: no Cache-Control: no-store")
        finally:
            server.stop()
            await server.close_all_connections()
            await h.stop()
    assert failures == [], f"{method} {path}: {failures}"
