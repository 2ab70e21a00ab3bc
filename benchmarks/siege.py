"""The urgent path under siege: `python bot.py` as a process against the HTTP fake Bot API
with Telegram's limits enforced (30/s overall, 20/min per group, one a second per private
chat with short bursts; 429 `retry_after` beyond them), and 10 backup calls timed from the
member's press to the officer's `sendMessage` being accepted, in each of:

- idle;
- ten station boards open in the bot's own web server (polling, reading the map, opening
  report cards and their photos, Telegram's downloads taking half a second);
- a stranger (no invitation) flooding 300 messages in 10 s;
- a registered member flooding 300 messages and button presses in 10 s;
- a broadcast to 3,000 people whose first bulk send gets `429 retry_after=60`;
- 20 people each sending a message a second;
- Telegram answering 502 to everything for 90 s, while 50 people write and the members
  press for backup (timed from Telegram's return; all 50 must be answered);

and a report submitted by someone tapping fast: its card to the officer, from the submit.
Lost and duplicated backup calls are counted: each call's first step must reach its officer
exactly once. The quick variant (CI) runs the same cases smaller and shorter.
"""

from __future__ import annotations

import asyncio
import functools
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.broadcast import DEPUTY, _add_groups
from benchmarks.updates import MEMBER_BASE, OFFICER_BASE, seed
from models.clock import Clock
from models.config import Settings
from models.services import Services
from models.store.db import Database
from models.webapp_auth import sign_init_data
from tests.botproc import BotProcess, bot_env, query
from tests.fake_bot_api import FakeBotAPI
from tests.fakes import TOKEN
from tests.test_operations import free_port

OFFICERS = (OFFICER_BASE, OFFICER_BASE + 1)
CHIEF = 2001
STRANGER = 99_001
TAP = 0.4  # seconds between a person's taps
MARK = "防汛通知"  # the broadcast's first words
BOARD_POLL = 1.5  # seconds between an open board's /version (as the page asks)


@dataclass
class Size:
    people: int = 3000  # members of the station (the broadcast's audience)
    calls: int = 10  # backup calls per case
    flood: int = 300  # messages of a flood
    flood_seconds: float = 10.0
    chatty: int = 20  # people sending a message a second
    outage_seconds: float = 90.0
    outage_writers: int = 50
    pause: int = 60  # the retry_after of the broadcast's 429


QUICK = Size(
    people=200, calls=3, flood=60, flood_seconds=2.0, chatty=5, outage_seconds=10.0, pause=10
)


@dataclass
class Siege:
    api: FakeBotAPI
    db_path: Path
    size: Size
    next_caller: int = MEMBER_BASE
    board_at: str = ""  # the bot's web server (the station board), host:port
    lost: int = 0
    duplicated: int = 0
    figures: dict[str, Any] = field(default_factory=dict)

    # --- people --------------------------------------------------------------------------
    def caller(self) -> int:
        self.next_caller += 1
        return self.next_caller

    def request_of(self, uid: int) -> int | None:
        rows = query(
            self.db_path,
            "SELECT b.id FROM backup_requests b JOIN people p ON p.id = b.requester_id"
            " WHERE p.tg_user_id = ? ORDER BY b.id DESC LIMIT 1",
            (uid,),
        )
        return int(rows[0][0]) if rows else None  # type: ignore[call-overload]

    def await_request(self, uid: int, seconds: float) -> int | None:
        """The member's backup call, once the bot has stored it (None: not within seconds)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(0.05)
            request_id = self.request_of(uid)
            if request_id is not None:
                return request_id
        return None

    def ring(self, request_id: int, since: float, timeout: float = 180.0) -> float | None:
        """When an officer's phone first rang for this call (None: never, within timeout)."""
        mark = f"支援请求 #{request_id}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rings = [
                d.at
                for d in list(self.api.delivered)
                if d.chat_id in OFFICERS and mark in d.text and d.method == "sendMessage"
            ]
            if rings:
                return min(rings) - since
            time.sleep(0.01)
        return None

    def call(self, pressed: Callable[[], float] | None = None) -> tuple[int, float | None]:
        """A member asks for backup; seconds from the press (or from `pressed()`) to the ring."""
        uid = self.caller()
        self.api.text(uid, "/backup")
        time.sleep(TAP)
        at = time.monotonic()
        self.api.press(uid, "bk:r:dispute")
        request_id = self.await_request(uid, 300)
        if request_id is None:
            return uid, None
        since = pressed() if pressed is not None else at
        return request_id, self.ring(request_id, since)

    def settle(self, request_id: int) -> None:
        """The officer claims the call (the chain stops); count its first step's rings."""
        mark = f"支援请求 #{request_id}"
        rings = [d for d in list(self.api.delivered) if d.chat_id in OFFICERS and mark in d.text]
        owner = rings[0].chat_id if rings else OFFICERS[0]
        self.api.press(owner, f"bk:go:{request_id}")
        first = [d for d in rings if d.method == "sendMessage" and d.chat_id == owner]
        if len(first) > 1:
            self.duplicated += 1

    def record(self, case: str, waits: list[float | None]) -> None:
        got = [w for w in waits if w is not None]
        self.lost += len(waits) - len(got)
        got.sort()
        self.figures[f"{case}_p50_s"] = statistics.median(got) if got else -1.0
        self.figures[f"{case}_max_s"] = got[-1] if got else -1.0

    def calls(self, case: str, pressed: Callable[[], float] | None = None) -> None:
        waits = []
        for _ in range(self.size.calls):
            request_id, wait = self.call(pressed)
            waits.append(wait)
            if wait is not None:
                self.settle(request_id)
            time.sleep(0.5)
        self.record(case, waits)

    def quiet(self, timeout: float = 600) -> None:
        """Wait until the outbox has nothing left to send."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = query(
                self.db_path, "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')"
            )
            if rows == [(0,)]:
                return
            time.sleep(0.2)

    # --- the cases -----------------------------------------------------------------------
    def in_background(self, work: Callable[[], None]) -> threading.Thread:
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        return thread

    def flood(self, uid: int, steps: list[tuple[str, str]]) -> threading.Thread:
        gap = self.size.flood_seconds / self.size.flood

        def run() -> None:
            for n in range(self.size.flood):
                kind, data = steps[n % len(steps)]
                if kind == "text":
                    self.api.text(uid, data)
                else:
                    self.api.press(uid, data)
                time.sleep(gap)

        return self.in_background(run)

    def idle(self) -> None:
        self.calls("idle")

    def boards(self) -> None:
        """Ten station boards open in the bot's own web server (the chief's and the
        officers'), each as the page does: /version every 1.5 s, /map when it moved, and the
        newest reports' cards with their photos (Telegram's downloads taking half a second),
        while members call for backup."""
        uid = self.caller()
        for step in ("/report", "rd:cat:hazard", "rd:danger:0", f"井盖缺失 {uid}", "村口"):
            self.tap(uid, step, 0.25)
        self.api.photo(uid, f"AgACAgIAAxkBAAIsiege{uid}")
        for step in ("rd:photos_done", "rd:urg:0", "rd:submit"):
            self.tap(uid, step, 0.25)
        self.api.file_seconds = 0.5
        stop = threading.Event()
        seen = {"requests": 0, "refused": 0, "photos": 0}
        viewers = [CHIEF, *OFFICERS]
        threads = [
            self.in_background(functools.partial(self.board, viewers[n % 3], stop, seen))
            for n in range(10)
        ]
        time.sleep(2)
        self.calls("ten_boards")
        stop.set()
        for thread in threads:
            thread.join()
        self.api.file_seconds = 0.0
        self.figures["board_requests"] = seen["requests"]
        self.figures["board_refused"] = seen["refused"]
        self.figures["board_photos_shown"] = seen["photos"]
        self.figures["board_photo_downloads"] = self.api.downloads
        self.quiet()

    def board(self, viewer: int, stop: threading.Event, seen: dict[str, int]) -> None:
        signed = sign_init_data(
            TOKEN,
            {
                "user": json.dumps({"id": viewer, "first_name": "U"}),
                "auth_date": str(int(time.time())),
            },
        )
        headers = {"Authorization": "tma " + signed}
        version = None
        with httpx.Client(base_url=f"http://{self.board_at}/board/api/", timeout=60) as client:

            def get(path: str) -> httpx.Response:
                response = client.get(path, headers=headers)
                seen["requests"] += 1
                seen["refused"] += response.status_code != 200
                return response

            while not stop.is_set():
                now = get("version").json()["version"]
                if now != version:
                    version = now
                    for report in get("map").json()["reports"][:2]:
                        card = get(f"reports/{report['id']}").json()
                        for n in range(card.get("photos", 0)):
                            seen["photos"] += get(f"reports/{report['id']}/photos/{n}").is_success
                stop.wait(BOARD_POLL)

    def stranger_flood(self) -> None:
        flood = self.flood(STRANGER, [("text", "转账给我")])
        self.calls("stranger_flood")
        flood.join()
        stranger = self.api.received(STRANGER)
        self.figures["stranger_answers"] = len(stranger)

    def member_flood(self) -> None:
        flooder = MEMBER_BASE + self.size.people - 1
        steps = [("text", "/today"), ("press", "pt:in"), ("text", "你好"), ("press", "rp:show:1")]
        flood = self.flood(flooder, steps)
        self.calls("member_flood")
        flood.join()
        self.figures["flooder_answers"] = len(self.api.received(flooder))
        self.quiet()

    def broadcast(self) -> None:
        refused: set[str] = set()

        def first_bulk_send(method: str, params: dict[str, Any]) -> int | None:
            if MARK in str(params.get("text") or "") and not refused:
                refused.add("once")
                return self.size.pause
            return None

        self.api.refuse = first_bulk_send
        for step in ("/broadcast", "bc:aud:everyone", f"{MARK}：今晚有暴雨，请勿靠近河道。"):
            self.tap(DEPUTY, step)
        for step in ("bc:skipother", "bc:nopic", "bc:urg:0", "bc:send"):
            self.tap(DEPUTY, step)
        time.sleep(2)  # the broadcast is under way, and its lane paused by the 429
        self.calls("broadcast_429")
        begun = time.monotonic()
        self.quiet()
        self.figures["broadcast_delivered"] = sum(1 for d in self.api.delivered if MARK in d.text)
        self.figures["broadcast_rest_s"] = time.monotonic() - begun
        self.api.refuse = None

    def chatty(self) -> None:
        stop = threading.Event()
        talkers = [MEMBER_BASE + self.size.people - 2 - n for n in range(self.size.chatty)]

        def talk(uid: int) -> None:
            while not stop.is_set():
                self.api.text(uid, "/today")
                stop.wait(1.0)

        threads = [self.in_background(functools.partial(talk, uid)) for uid in talkers]
        time.sleep(2)
        self.calls("twenty_chatty")
        stop.set()
        for thread in threads:
            thread.join()
        self.quiet()

    def outage(self) -> None:
        writers = [88_000 + n for n in range(self.size.outage_writers)]
        self.api.outage = True
        came_back: list[float] = []
        uids = [self.caller() for _ in range(self.size.calls)]
        for uid in writers:
            self.api.text(uid, "/start")
        for uid in uids:
            self.api.text(uid, "/backup")
        time.sleep(TAP)
        for uid in uids:
            self.api.press(uid, "bk:r:dispute")
        time.sleep(self.size.outage_seconds)
        came_back.append(time.monotonic())
        self.api.outage = False
        waits: list[float | None] = []
        for uid in uids:
            request_id = self.await_request(uid, 120)
            if request_id is None:
                waits.append(None)
                continue
            waits.append(self.ring(request_id, came_back[0]))
            self.settle(request_id)
        self.record("outage", waits)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if all(self.api.received(uid) for uid in writers):
                break
            time.sleep(0.1)
        self.figures["outage_answered"] = sum(1 for uid in writers if self.api.received(uid))
        self.figures["outage_writers"] = len(writers)
        self.quiet()

    def fast_report(self) -> None:
        uid = self.caller()
        text = f"桥栏杆断了 {uid}"
        for step in ("/report", "rd:cat:hazard", "rd:danger:0", text, "村口", "rd:photos_done"):
            self.tap(uid, step, 0.25)
        self.tap(uid, "rd:urg:0", 0.25)
        submitted = time.monotonic()
        self.api.press(uid, "rd:submit")
        deadline = time.monotonic() + 60
        card = None
        while card is None and time.monotonic() < deadline:
            cards = [
                d.at for d in list(self.api.delivered) if d.chat_id in OFFICERS and text in d.text
            ]
            card = min(cards) if cards else None
            time.sleep(0.01)
        self.figures["report_card_s"] = (card - submitted) if card is not None else -1.0

    def tap(self, uid: int, step: str, gap: float = TAP) -> None:
        if ":" in step and not step.startswith("/") and step.split(":", 1)[0].isalpha():
            self.api.press(uid, step)
        else:
            self.api.text(uid, step)
        time.sleep(gap)


async def _prepare(path: Path, size: Size) -> None:
    await seed(path, size.people)
    await _add_groups(path, 0)  # the deputy chief who broadcasts
    settings = Settings(bot_token=TOKEN, db_path=path, _env_file=None)
    db = Database(path)
    await db.open()
    try:
        services = Services.create(settings, db, Clock())
        chief = await services.people.by_telegram(CHIEF)
        assert chief is not None
        for key in ("quiet_start", "quiet_end"):  # no quiet hours: send whenever it runs
            await services.station_settings.change(chief, 1, key, "00:00")
    finally:
        await db.close()


def run(size: Size | None = None) -> dict[str, Any]:
    size = size or Size()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "siege.db"
        asyncio.run(_prepare(path, size))
        api = FakeBotAPI(limits=True).start()
        board_at = f"127.0.0.1:{free_port()}"
        env = bot_env(
            path, api, PATROL_WEBAPP_URL="https://patrol.example/board/", PATROL_LISTEN=board_at
        )
        bot = BotProcess(env, Path(folder) / "bot.log")
        bot.start()
        siege = Siege(api, path, size, board_at=board_at)
        try:
            api.wait_for(lambda: api.count("getUpdates") > 0, 60, "the bot to start polling")
            siege.idle()
            siege.boards()
            siege.stranger_flood()
            siege.member_flood()
            siege.fast_report()
            siege.broadcast()
            siege.chatty()
            siege.outage()
            alive = bot.returncode is None
            stopped = bot.terminate(timeout=30)
        finally:
            if bot.returncode is None:
                bot.kill()
            api.stop()
        log = bot.log()
    backup_cases = (
        "idle",
        "ten_boards",
        "stranger_flood",
        "member_flood",
        "broadcast_429",
        "twenty_chatty",
    )
    worst = max(siege.figures[f"{case}_max_s"] for case in (*backup_cases, "outage"))
    return {
        **siege.figures,
        "worst_backup_s": worst,
        "lost": siege.lost,
        "duplicated": siege.duplicated,
        "too_many_429": api.too_many,
        "alive": alive,
        "sigterm_s": stopped,
        "tracebacks": log.count("Traceback"),
    }


def quick() -> dict[str, Any]:
    return run(QUICK)


if __name__ == "__main__":
    print(run())
