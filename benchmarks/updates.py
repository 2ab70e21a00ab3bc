"""Update throughput and latency through the full application — real handlers, the durable
inbox and outbox, the real SQLite database with synchronous=FULL, Telegram faked at PTB's
request seam, Telegram's rate limits off (they would cap everything at ~30/s and hide the
bot's own cost) — against a minimal python-telegram-bot echo bot on the same fake, in the
same run. The mix: report conversations acknowledged by an officer, backup calls claimed and
resolved, check-in / check-out with the patrol log, and /today."""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters
from telegram.request import RequestData

from benchmarks.people import unlimited
from bot import build_application
from models.clock import Clock
from models.config import Settings
from models.org import PlaceKind, Role
from models.services import Services
from models.store.db import Database
from tests.fakes import TOKEN, FakeTelegram

OFFICER_BASE, MEMBER_BASE = 30_000, 40_000
DATE = 1_790_000_000


class Updates:
    """Raw updates as Telegram sends them."""

    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.messages = itertools.count(1)

    def _user(self, uid: int) -> dict[str, Any]:
        return {"id": uid, "is_bot": False, "first_name": f"U{uid}", "language_code": "zh-hans"}

    def text(self, uid: int, body: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self.messages),
            "date": DATE,
            "chat": {"id": uid, "type": "private"},
            "from": self._user(uid),
            "text": body,
        }
        if body.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(body.split()[0])}
            ]
        return {"update_id": next(self.ids), "message": message}

    def press(self, uid: int, data: str) -> dict[str, Any]:
        return {
            "update_id": next(self.ids),
            "callback_query": {
                "id": f"q{next(self.messages)}",
                "from": self._user(uid),
                "chat_instance": "ci",
                "data": data,
                "message": {
                    "message_id": 1,
                    "date": DATE,
                    "chat": {"id": uid, "type": "private"},
                    "from": {"id": 7000000001, "is_bot": True, "first_name": "bot"},
                    "text": "…",
                },
            },
        }


def workload(
    total: int, members: int, report_base: int = 0, backup_base: int = 0
) -> list[dict[str, Any]]:
    """About `total` updates: per member in turn a report (then acknowledged), a backup call
    (claimed, resolved), a patrol (check-in, check-out, the log) or /today."""
    make = Updates()
    out: list[dict[str, Any]] = []
    report, backup = report_base, backup_base  # the ids the database gives them next
    for turn in itertools.count():
        if len(out) >= total:
            break
        uid = MEMBER_BASE + turn % members
        officer = OFFICER_BASE + (turn % members) % 2
        kind = turn // members % 4
        if kind == 0:
            report += 1
            out += [
                make.text(uid, "/report"),
                make.press(uid, "rd:cat:hazard"),
                make.press(uid, "rd:danger:0"),
                make.text(uid, f"桥栏杆断了 {turn}"),
                make.text(uid, f"村口 {turn} 号"),
                make.press(uid, "rd:photos_done"),
                make.press(uid, "rd:urg:0"),
                make.press(uid, "rd:submit"),
                make.press(officer, f"rp:ack:{report}"),
            ]
        elif kind == 1:
            backup += 1
            out += [
                make.text(uid, "/backup"),
                make.press(uid, "bk:r:dispute"),
                make.press(officer, f"bk:go:{backup}"),
                make.press(officer, f"bk:res:{backup}"),
                make.text(officer, "已处理"),
            ]
        elif kind == 2:
            out += [make.text(uid, "/checkin"), make.text(uid, "/checkout")]
            out += [make.text(uid, answer) for answer in ("10", "1", "0", "0", "正常")]
        else:
            out.append(make.text(uid, "/today"))
    return out[:total]


async def seed(path: Path, members: int) -> None:
    settings = Settings(bot_token=TOKEN, db_path=path, _env_file=None)
    db = Database(path)
    await db.open()
    try:
        services = Services.create(settings, db, Clock())
        operator = await services.people.ensure_operator(1000, "Admin", "zh_CN")
        station = await services.org.add_station(operator, "木兰派出所")
        office = await services.org.add_office(operator, station.id, "东关警务室")
        now = services.clock.now()
        async with db.write():
            chief = await services.people.repo.add(
                tg_user_id=2001,
                name="张所长",
                role=Role.CHIEF,
                station_id=station.id,
                locale="zh_CN",
                at=now,
            )
            officers = [
                await services.people.repo.add(
                    tg_user_id=OFFICER_BASE + n,
                    name=f"民警{n}",
                    role=Role.OFFICER,
                    station_id=station.id,
                    office_id=office.id,
                    locale="zh_CN",
                    at=now,
                )
                for n in range(2)
            ]
            people = [
                await services.people.repo.add(
                    tg_user_id=MEMBER_BASE + n,
                    name=f"队员{n}",
                    role=Role.MEMBER,
                    station_id=station.id,
                    office_id=office.id,
                    locale="zh_CN",
                    at=now,
                )
                for n in range(members)
            ]
        for n, person in enumerate(people):
            await services.people.toggle_pairing(chief, person.id, officers[n % 2].id)
        await services.org.add_place(chief, office.id, "东关村", {PlaceKind.PATROL_AREA})
    finally:
        await db.close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def full_stack(payloads: list[dict[str, Any]], path: Path) -> dict[str, float]:
    settings = Settings(bot_token=TOKEN, db_path=path, _env_file=None)
    fake = FakeTelegram()
    app = build_application(settings, request=fake, rate_limit=False)
    unlimited(app)  # a script, not people: the per-account limits are not measured here
    await app.initialize()
    assert app.post_init is not None and app.post_shutdown is not None
    await app.post_init(app)
    app.sender.start()  # notifications go out while updates come in
    latencies = []
    began = time.perf_counter()
    for payload in payloads:
        start = time.perf_counter()
        update = Update.de_json(payload, app.bot)
        assert update is not None
        await app.receive(update)
        latencies.append(time.perf_counter() - start)
    await app.sender.drain()
    elapsed = time.perf_counter() - began
    failed = await app.services.db.fetch_one(
        "SELECT COUNT(*) n FROM inbox WHERE failed = 1 AND update_id <= ?",
        (max(int(p["update_id"]) for p in payloads),),
    )
    await app.sender.stop()
    await app.post_shutdown(app)
    await app.shutdown()
    return {
        "updates": len(payloads),
        "per_second": len(payloads) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": _percentile(latencies, 99) * 1000,
        "failed": int(failed["n"]) if failed else -1,
        "api_calls": len(fake.calls),
    }


class PolledTelegram(FakeTelegram):
    """The fake, answering `getUpdates` from a list the way Telegram does: up to 100
    updates from the requested offset (the offset confirms everything before it)."""

    def __init__(self, payloads: list[dict[str, Any]]) -> None:
        super().__init__()
        self.waiting = payloads
        self.served: dict[int, float] = {}  # update id -> when it was handed over

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        if not url.endswith("/getUpdates"):
            return await super().do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout,
                pool_timeout,
            )  # fmt: skip
        params: dict[str, Any] = request_data.parameters if request_data else {}
        offset = int(params.get("offset") or 0)
        batch = [u for u in self.waiting[:200] if u["update_id"] >= offset][:100]
        self.waiting = [u for u in self.waiting if u["update_id"] >= offset]
        if not batch:
            await asyncio.sleep(0.01)  # a long poll with nothing new
        now = time.time()
        for update in batch:
            self.served.setdefault(update["update_id"], now)
        return 200, json.dumps({"ok": True, "result": batch}).encode()


async def polled(payloads: list[dict[str, Any]], path: Path) -> dict[str, float]:
    """The same updates the way polling delivers them under load: in batches of up to 100,
    stored with one commit per batch and processed with group commit."""
    settings = Settings(bot_token=TOKEN, db_path=path, _env_file=None)
    fake = PolledTelegram(payloads)
    app = build_application(settings, request=fake, rate_limit=False)
    unlimited(app)  # a script, not people: the per-account limits are not measured here
    await app.initialize()
    assert app.post_init is not None and app.post_shutdown is not None and app.updater
    await app.post_init(app)
    await app.start()
    began = time.time()
    await app.updater.start_polling(poll_interval=0, timeout=0)
    db = app.services.db
    last = max(int(p["update_id"]) for p in payloads)  # (a seeded inbox has its own rows)
    done, progress_at = 0, time.monotonic()
    while done < len(payloads):
        await asyncio.sleep(0.05)
        row = await db.fetch_one(
            "SELECT COUNT(*) n FROM inbox WHERE done_at IS NOT NULL AND update_id <= ?", (last,)
        )
        if row is not None and int(row["n"]) > done:
            done, progress_at = int(row["n"]), time.monotonic()
        if time.monotonic() - progress_at > 60:
            raise RuntimeError(f"polling stalled after {done} of {len(payloads)} updates")
    rows = await db.fetch_all(
        "SELECT update_id, done_at, failed FROM inbox WHERE update_id <= ?", (last,)
    )
    await app.updater.stop()
    await app.stop()
    await app.post_shutdown(app)
    await app.shutdown()
    finished = {
        int(r["update_id"]): datetime.fromisoformat(r["done_at"]).timestamp() for r in rows
    }
    latencies = [finished[u] - fake.served[u] for u in fake.served if u in finished]
    return {
        "per_second": len(payloads) / (max(finished.values()) - began),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": _percentile(latencies, 99) * 1000,
        "failed": sum(int(r["failed"]) for r in rows),
    }


async def echo_floor(payloads: list[dict[str, Any]]) -> dict[str, float]:
    """The same updates through a minimal PTB bot that answers every message and button."""
    fake = FakeTelegram()
    app = Application.builder().token(TOKEN).request(fake).get_updates_request(fake).build()

    async def echo(update: Update, context: Any) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "ok")

    async def answer(update: Update, context: Any) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer()

    app.add_handler(MessageHandler(filters.ALL, echo))
    app.add_handler(CallbackQueryHandler(answer))
    await app.initialize()
    latencies = []
    began = time.perf_counter()
    for payload in payloads:
        start = time.perf_counter()
        update = Update.de_json(payload, app.bot)
        assert update is not None
        await app.process_update(update)
        latencies.append(time.perf_counter() - start)
    elapsed = time.perf_counter() - began
    await app.shutdown()
    return {
        "per_second": len(payloads) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": _percentile(latencies, 99) * 1000,
    }


def run(
    total: int = 20_000, members: int = 200, years: float = 0.0, stations: int = 12
) -> dict[str, float]:
    """With `years`, the benchmark's station is added to a seeded county of that many years
    (benchmarks/seed.py): the updates run on a database of realistic size."""

    def prepare(path: Path) -> list[dict[str, Any]]:
        if years:
            from benchmarks.county import county_copy

            county_copy(path, years, stations)
        asyncio.run(seed(path, members))
        with sqlite3.connect(path) as conn:
            reports, backups = conn.execute(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM reports),"
                " (SELECT COALESCE(MAX(id), 0) FROM backup_requests)"
            ).fetchone()
        return workload(total, members, reports, backups)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        payloads = prepare(path)
        ours = asyncio.run(full_stack(payloads, path))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        payloads = prepare(path)
        batched = asyncio.run(polled(payloads, path))
    floor = asyncio.run(echo_floor(payloads))
    return {
        **ours,
        "polled_per_second": batched["per_second"],
        "polled_p50_ms": batched["p50_ms"],
        "polled_p99_ms": batched["p99_ms"],
        "polled_failed": batched["failed"],
        "polled_ratio_to_echo": batched["per_second"] / floor["per_second"],
        "echo_per_second": floor["per_second"],
        "echo_p50_ms": floor["p50_ms"],
        "echo_p99_ms": floor["p99_ms"],
        "ratio_to_echo": ours["per_second"] / floor["per_second"],
    }
