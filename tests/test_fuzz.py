"""Fuzzed input through the real application: hypothesis generates sequences of updates —
random and hostile texts, stickers, voice, documents, photos, locations, contacts, edited
messages, channel posts, strangers, forged and random button data, commands with junk — and
mixes in real flows by pressing buttons the bot actually showed. After every update: no
failure reached the error handler, a private chat got at most a few replies, every HTML
message parses with only Telegram's tags (so user text was escaped), and the database
invariants hold.

`--fuzz-examples N` (default 12) sets how many sequences run; e.g. 500 for a long run."""

from __future__ import annotations

import asyncio
import html.parser
import logging
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import builders
from tests.builders import Chat, User
from tests.fakes import Call
from tests.flows import (
    CHIEF,
    DUTY,
    MEMBER,
    OFFICER,
    OFFICER2,
    OPERATOR,
    person_of,
    register_public,
    with_duty,
)
from tests.harness import Harness, make_settings

VILLAGE = Chat(-100500, "supergroup", "东关村民群")
STRANGE_GROUP = Chat(-100777, "supergroup", "Unknown group")
STRANGER = User(777001, "Stranger", "en")
GONE = User(4999, "Gone", "zh-hans")
PEOPLE = [MEMBER, OFFICER, OFFICER2, CHIEF, DUTY, OPERATOR, STRANGER, GONE]
MAX_REPLIES = 6  # to the sender's own chat, for one update
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                 "tg-spoiler", "blockquote", "span", "tg-emoji"}  # fmt: skip
COMMANDS = [
    "start",
    "help",
    "language",
    "cancel",
    "report",
    "backup",
    "reports",
    "duty",
    "today",
    "checkin",
    "checkout",
    "leave",
    "peaks",
    "check",
    "tips",
    "broadcast",
    "invite",
    "roster",
    "areas",
    "settings",
    "register",
    "stats",
    "export",
    "nope",
]
FEATURES = [
    "rp",
    "rd",
    "bk",
    "pt",
    "ros",
    "area",
    "set",
    "pk",
    "fr",
    "bc",
    "st",
    "grp",
    "inv",
    "onb",
    "lang",
    "zz",
]

hostile = st.sampled_from(
    [
        "",
        " ",
        "<b>粗体</b> & <script>alert(1)</script>",
        "</b></i><a href='x'>",
        "&lt;&amp;&#0;&bogus;",
        "\u202eRTL override\u202c مرحبا",
        "zero\u200bwidth\u200d\ufeff",
        "x" * 10_000,
        "电话 13912345678",
        '=HYPERLINK("http://x")',
        "12-05 至 12-07",
        "0",
        "1 note",
        "\x00\x01\x02",
    ]
)
texts = st.one_of(hostile, st.text(max_size=300))
# what people type when the bot asks something
answers = st.sampled_from(
    ["王芳", "东关村", "桥栏杆断了，很危险", "12-05 至 12-07", "11-01 到 11-15", "明天",
     "08:00-10:00,14:00-16:00", "22:00", "3", "0", "180,300,300", "5 户", "否", "跳过",
     "Skip", "2026-11-01 至 2026-11-29", "庙会", "小心冒充公检法的电话"]
)  # fmt: skip
# the commands each person really uses
FLOWS = {
    MEMBER.id: ["report", "backup", "today", "checkin", "checkout", "leave", "reports", "check"],
    OFFICER.id: ["reports", "roster", "duty", "invite", "stats", "export", "broadcast", "today"],
    OFFICER2.id: ["reports", "duty", "roster", "backup"],
    CHIEF.id: ["areas", "settings", "invite", "roster", "peaks", "tips", "broadcast", "stats",
               "export", "reports"],
    DUTY.id: ["reports", "duty", "roster", "stats"],
    OPERATOR.id: ["areas", "invite", "settings", "peaks", "tips", "stats", "roster"],
    STRANGER.id: ["start", "help", "check", "report"],
    GONE.id: ["report", "help", "backup"],
}  # fmt: skip


def _document(user: User, chat: Chat) -> dict[str, Any]:
    return builders.update(
        message=builders._message(
            user,
            chat,
            document={"file_id": "BQACdoc", "file_unique_id": "doc1", "file_name": "a.pdf"},
        )
    )


def _channel_post(body: str) -> dict[str, Any]:
    return builders.update(
        channel_post={
            "message_id": 5,
            "date": builders.DATE,
            "chat": {"id": -100999, "type": "channel", "title": "News"},
            "text": body,
        }
    )


KINDS = (
    ["flow"] * 4 + ["press_shown"] * 7 + ["answer"] * 3
    + ["text", "command", "press_random", "press_forged", "sticker", "voice", "photo",
       "document", "location", "contact", "edited", "channel", "group_text", "group_command"]
)  # fmt: skip


@st.composite
def actions(draw: st.DrawFn, people: list[User]) -> tuple[str, Any]:
    """One thing a person (or Telegram) does."""
    user = draw(st.sampled_from(people))
    kind = draw(st.sampled_from(KINDS))
    if kind == "press_shown":
        return kind, (user, draw(st.integers(0, 10_000)))
    if kind == "flow":
        return "command", (user, "/" + draw(st.sampled_from(FLOWS.get(user.id, ["help"]))))
    if kind == "answer":
        return kind, (user, draw(st.one_of(answers, answers, texts)))
    if kind == "press_random":
        return kind, (user, draw(st.text(max_size=64)))
    if kind == "press_forged":
        feature = draw(st.sampled_from(FEATURES))
        action = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8))
        args = draw(st.lists(st.integers(-5, 10**12).map(str) | st.text(max_size=5), max_size=4))
        return kind, (user, ":".join([feature, action, *args])[:64])
    if kind in ("command", "group_command"):
        name = draw(st.sampled_from(COMMANDS))
        junk = draw(st.one_of(st.just(""), texts))
        return kind, (user, f"/{name} {junk}".rstrip())
    if kind == "location":
        return kind, (user, draw(st.floats(-90, 90)), draw(st.floats(-180, 180)))
    if kind == "contact":
        return kind, (user, draw(st.sampled_from(["+8613912345678", "abc", "", "1" * 40])))
    return kind, (user, draw(texts))


@st.composite
def scenarios(draw: st.DrawFn) -> list[tuple[str, Any]]:
    """A few people acting at once: their own buttons get pressed, so real flows go deep."""
    people = draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=3, unique=True))
    return draw(st.lists(actions(people), min_size=10, max_size=60))


def _update(kind: str, args: tuple[Any, ...], calls: list[Call]) -> dict[str, Any] | None:
    user = args[0]
    if kind == "text":
        return builders.text(user, args[1] or " ")
    if kind == "command":
        return builders.text(user, args[1])
    if kind == "press_shown":
        # the newest message with buttons to one of the people; mostly its own buttons
        for call in reversed(calls[-40:]):
            shown = [data for _, data in call.buttons() if data and "://" not in data]
            owner = next((p for p in PEOPLE if p.id == call.chat_id), None)
            if shown and owner is not None:
                result = call.result if isinstance(call.result, dict) else {}
                presser = owner if args[1] % 10 else user  # now and then someone else presses
                return builders.press(
                    presser, shown[args[1] % len(shown)], message_id=result.get("message_id", 1)
                )
        return None
    if kind == "answer":
        # whoever the bot spoke to last answers (a conversation's question)
        last = next((c for c in reversed(calls) if c.chat_id in {p.id for p in PEOPLE}), None)
        who = next((p for p in PEOPLE if last is not None and p.id == last.chat_id), user)
        return builders.text(who, args[1] or " ")
    if kind in ("press_random", "press_forged"):
        return builders.press(user, args[1])
    if kind == "sticker":
        return builders.sticker(user)
    if kind == "voice":
        return builders.voice(user)
    if kind == "photo":
        return builders.photo(user, caption=args[1] or None)
    if kind == "document":
        return _document(user, builders.private_chat(user))
    if kind == "location":
        return builders.location(user, args[1], args[2])
    if kind == "contact":
        return builders.contact(user, args[1])
    if kind == "edited":
        return builders.edited_text(user, args[1] or " ")
    if kind == "channel":
        return _channel_post(args[1] or " ")
    if kind == "group_text":
        return builders.text(user, args[1] or " ", random.choice([VILLAGE, STRANGE_GROUP]))
    if kind == "group_command":
        return builders.text(user, args[1], random.choice([VILLAGE, STRANGE_GROUP]))
    raise AssertionError(kind)


class TelegramHtml(html.parser.HTMLParser):
    """Fails on any tag Telegram does not know, and on unbalanced tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.problems.append(f"<{tag}>")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"</{tag}>")


def html_problems(calls: list[Call]) -> list[str]:
    found = []
    for call in calls:
        if call.params.get("parse_mode") != "HTML":
            continue
        text = str(call.params.get("text") or call.params.get("caption") or "")
        parser = TelegramHtml()
        parser.feed(text)
        parser.close()
        if parser.problems or parser.stack:
            found.append(f"{call.method} to {call.chat_id}: {parser.problems} {text[:200]!r}")
    return found


async def invariants(h: Harness) -> list[str]:
    db = h.services.db
    found = []
    if await db.fetch_all("PRAGMA foreign_key_check"):
        found.append("orphan rows")
    for sql, what in (
        (
            "SELECT id FROM reports WHERE reporter_id NOT IN (SELECT id FROM people)",
            "a report without its reporter",
        ),
        (
            "SELECT id FROM backup_requests WHERE (status IN ('claimed', 'arrived')"
            " AND owner_id IS NULL) OR (status = 'open' AND owner_id IS NOT NULL)",
            "a backup request without exactly one owner",
        ),
        (
            "SELECT a.id FROM assignments a JOIN people p ON p.id = a.member_id"
            " WHERE a.status = 'planned' AND p.active = 0 AND a.day >= :today",
            "an assignment for an inactive person",
        ),
        (
            "SELECT id FROM reports WHERE status NOT IN ('new', 'acknowledged', 'en_route',"
            " 'on_site', 'resolved', 'merged', 'withdrawn')",
            "a report in an unknown status",
        ),
    ):
        today = h.services.patrol.today().isoformat()
        if await db.fetch_all(sql, {"today": today} if ":today" in sql else ()):
            found.append(what)
    return found


async def _world(path: Path) -> None:
    """The team of the report tests, a duty desk, a village group, a deactivated member."""
    h = Harness(make_settings(path))
    await h.start()
    try:
        await with_duty(h)
        await register_public(h, VILLAGE, "中文")
        from tests.flows import invite, onboard

        await onboard(h, GONE, await invite(h, CHIEF, "巡防队员", "东关警务室"), "离开的人")
        chief = await person_of(h, CHIEF)
        gone = await person_of(h, GONE)
        await h.services.people.set_active(chief, gone.id, False)
    finally:
        await h.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / "world.db"
    asyncio.run(_world(path))
    return path


class Failures(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def _run(world: Path, work: Path, steps: list[tuple[str, Any]]) -> None:
    shutil.copy(world, work)
    h = Harness(make_settings(work))
    failures = Failures()
    logging.getLogger().addHandler(failures)
    await h.start()
    try:
        for kind, args in steps:
            payload = _update(kind, args, h.tg.calls)
            if payload is None:
                continue
            before = len(h.tg.calls)
            await h.feed(payload)
            calls = h.tg.calls[before:]
            where = f"after {kind} {str(args)[:120]!r}"
            assert not failures.records, f"{where}: {failures.records[0].getMessage()}"
            user = args[0]
            to_sender = [c for c in calls if c.chat_id == user.id and c.method.startswith("send")]
            assert len(to_sender) <= MAX_REPLIES, f"{where}: {len(to_sender)} replies"
            assert not html_problems(calls), f"{where}: {html_problems(calls)}"
            assert not [c for c in calls if "出了点问题" in c.text or "went wrong" in c.text], (
                where
            )
            problems = await invariants(h)
            assert not problems, f"{where}: {problems}"
        await h.tick()
        assert not failures.records, failures.records[0].getMessage()
    finally:
        logging.getLogger().removeHandler(failures)
        await h.stop()


def test_fuzzed_updates_get_clear_answers_and_break_nothing(
    world: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    examples = int(request.config.getoption("--fuzz-examples"))

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=examples <= 12,  # the default run is the same every time in CI
    )
    @given(scenarios())
    def check(steps: list[tuple[str, Any]]) -> None:
        random.seed(len(steps))
        asyncio.run(_run(world, tmp_path / "fuzz.db", steps))

    check()


def test_the_checks_themselves_catch_what_they_look_for() -> None:
    unescaped = Call(
        "sendMessage", {"chat_id": 1, "text": "<b>x</b> <script>", "parse_mode": "HTML"}
    )
    unbalanced = Call("sendMessage", {"chat_id": 1, "text": "<b>x", "parse_mode": "HTML"})
    fine = Call(
        "sendMessage", {"chat_id": 1, "text": "<b>x</b> &lt;script&gt;", "parse_mode": "HTML"}
    )
    assert html_problems([unescaped]) and html_problems([unbalanced])
    assert html_problems([fine]) == []
