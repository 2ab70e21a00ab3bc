"""A county's years, as the bot would have left them: `python -m benchmarks.seed PATH
[--years 3] [--stations 12] [--seed 1]`.

Deterministic from the seed, written with bulk inserts (a three-year county in well under a
minute). What it makes, per station: 5 police offices, each with 4 villages, 2 patrol areas
and a hot spot, 3 village groups; a chief, a duty desk, an officer, 6 patrol members and a
partner per office (about 500 people for 12 stations) and a staff group. Then every day of
the years: each office's patrol day with its assignments (two areas, a morning and an
afternoon shift, 5% cancelled), check-ins for nine in ten of them with their logs and some
unplanned walks; about 20 reports a day in the county with their events (created,
acknowledged, on the way, resolved) and photos; one or two backup calls a day with their
notifications, steps and events; a broadcast a week per station to its groups and people,
the weekly anti-fraud tip in every village group, scam checks, the audit trail, and the
timers all of that left behind. Transport history is kept as retention leaves it: the inbox
and delivered replies for the last `TRANSPORT_DAYS`, delivered notifications stripped of
their texts after that.

Tests use it at small size (`seed(path, years=0.05, stations=2)`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from models.clock import Clock, to_db
from models.config import Settings
from models.rails import BULK, REPLY, URGENT
from models.services import Services
from models.store.db import Database

ZONE_OFFSET = timedelta(hours=8)  # the stations' local time (Asia/Shanghai)
OFFICES, VILLAGES, AREAS, GROUPS = 5, 4, 2, 3
MEMBERS, PARTNERS = 6, 1
REPORTS_A_DAY, BACKUPS_A_DAY, SCAM_CHECKS_A_DAY = 20, 1.5, 4
UPDATES_A_DAY = 1500  # what the inbox holds per day of its retention
TRANSPORT_DAYS = 30  # models/services/retention.py
SHIFTS = ((8, 30, 10, 30), (15, 0, 17, 0))
CATEGORIES = ("dispute", "hazard", "suspicious", "fraud", "public_order", "traffic", "help")
REASONS = ("dispute", "suspicious", "injured", "crowd", "other")
OUTCOMES = ("mediated", "village_committee", "other_department", "unfounded", "other")
BASE_TG = 100_000_000
SEED_TOKEN = "123456:seed-only-not-a-real-token"


@dataclass
class County:
    scale: float  # the county's daily counts are for 12 stations
    rng: random.Random
    end: datetime
    days: int
    stations: list[int] = field(default_factory=list)
    offices: list[tuple[int, int]] = field(default_factory=list)  # (office, station)
    officers: dict[int, list[int]] = field(default_factory=dict)  # office -> people
    members: dict[int, list[int]] = field(default_factory=dict)
    villages: dict[int, list[int]] = field(default_factory=dict)
    areas: dict[int, list[int]] = field(default_factory=dict)
    groups: dict[int, list[int]] = field(default_factory=dict)  # station -> public groups
    people_of: dict[int, list[int]] = field(default_factory=dict)  # station -> tg ids
    chiefs: dict[int, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    next_outbox: int = 1
    next_tg: int = BASE_TG


def _day(county: County, n: int) -> date:
    return (county.end - timedelta(days=county.days - n)).date()


def _at(day: date, hour: int, minute: int = 0, second: float = 0.0) -> datetime:
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    return local - ZONE_OFFSET + timedelta(seconds=second)


def _insert(
    conn: sqlite3.Connection, county: County, table: str, columns: str, rows: Iterable[Any]
) -> None:
    marks = ",".join("?" * len(columns.split(",")))
    cursor = conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
    county.counts[table] = county.counts.get(table, 0) + cursor.rowcount


def _outbox(
    county: County,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    priority: int,
    at: datetime,
    ref: str | None = None,
) -> tuple[Any, ...]:
    """A delivered outbox row, as retention leaves it (texts gone after TRANSPORT_DAYS)."""
    outbox_id = county.next_outbox
    county.next_outbox += 1
    if county.end - at > timedelta(days=TRANSPORT_DAYS):
        payload = {}
    sent = to_db(at + timedelta(seconds=1))
    return (
        outbox_id,
        chat_id,
        method,
        json.dumps(payload, ensure_ascii=False),
        priority,
        "sent",
        ref,
        1,
        to_db(at),
        outbox_id + 1000,
        to_db(at),
        sent,
    )


OUTBOX_COLUMNS = (
    "id, chat_id, method, payload, urgent, status, ref, attempts, next_attempt_at,"
    " message_id, created_at, sent_at"
)


def organisation(conn: sqlite3.Connection, county: County, stations: int) -> None:
    rng, start = county.rng, to_db(county.end - timedelta(days=county.days + 30))
    conn.execute(
        "INSERT INTO people (tg_user_id, name, role, locale, created_at)"
        " VALUES (1000, '管理员', 'operator', 'zh_CN', ?)",
        (start,),
    )
    for s in range(stations):
        station = conn.execute(
            "INSERT INTO stations (name, code, created_at) VALUES (?, ?, ?)",
            (f"第{s + 1}派出所", f"ST{s + 1:02d}", start),
        ).lastrowid
        assert station is not None
        county.stations.append(station)
        county.people_of[station] = []

        def person(role: str, name: str, office: int | None, station: int = station) -> int:
            county.next_tg += 1
            row = conn.execute(
                "INSERT INTO people (tg_user_id, name, phone, role, station_id, office_id,"
                " locale, created_at) VALUES (?, ?, ?, ?, ?, ?, 'zh_CN', ?)",
                (
                    county.next_tg,
                    name,
                    f"+86139{rng.randrange(10**8):08d}",
                    role,
                    station,
                    office,
                    start,
                ),
            ).lastrowid
            assert row is not None
            county.people_of[station].append(county.next_tg)
            return row

        county.chiefs[station] = person("chief", f"所长{s}", None)
        person("duty", f"值班室{s}", None)
        county.next_tg += 1
        conn.execute(
            "INSERT INTO chat_groups (chat_id, title, chat_type, bot_status, kind, station_id,"
            " locale, registered_at, updated_at)"
            " VALUES (?, ?, 'supergroup', 'member', 'staff', ?, 'zh_CN', ?, ?)",
            (-county.next_tg, f"工作群{s}", station, start, start),
        )
        county.groups[station] = []
        for o in range(OFFICES):
            office = conn.execute(
                "INSERT INTO offices (station_id, name, code, latitude, longitude, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (station, f"警务室{s}-{o}", f"O{o}", 37.8 + s / 50, 112.5 + o / 50, start),
            ).lastrowid
            assert office is not None
            county.offices.append((office, station))
            county.villages[office], county.areas[office] = [], []
            for v in range(VILLAGES + AREAS + 1):
                kind = "village" if v < VILLAGES else "area" if v < VILLAGES + AREAS else "spot"
                place = conn.execute(
                    "INSERT INTO places (office_id, name, is_village, is_patrol_area,"
                    " is_hot_spot, latitude, longitude, patrol_need, shifts, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 1, '0,1', ?)",
                    (
                        office,
                        f"{kind}{s}-{o}-{v}",
                        int(kind == "village"),
                        int(kind == "area"),
                        int(kind == "spot"),
                        37.8 + rng.random() / 10,
                        112.5 + rng.random() / 10,
                        start,
                    ),
                ).lastrowid
                assert place is not None
                (county.villages if kind == "village" else county.areas)[office].append(place)
            county.officers[office] = [person("officer", f"民警{s}-{o}", office)]
            county.members[office] = [
                person("member", f"队员{s}-{o}-{m}", office) for m in range(MEMBERS)
            ]
            for _ in range(PARTNERS):
                person("partner", f"网格员{s}-{o}", office)
            _insert(
                conn,
                county,
                "pairings",
                "member_id, officer_id, created_at",
                [(m, county.officers[office][0], start) for m in county.members[office]],
            )
            for g in range(GROUPS):
                county.next_tg += 1
                county.groups[station].append(-county.next_tg)
                conn.execute(
                    "INSERT INTO chat_groups (chat_id, title, chat_type, bot_status, kind,"
                    " station_id, office_id, place_id, locale, registered_at, updated_at)"
                    " VALUES (?, ?, 'supergroup', 'member', 'public', ?, ?, ?, 'zh_CN', ?, ?)",
                    (
                        -county.next_tg,
                        f"村民群{s}-{o}-{g}",
                        station,
                        office,
                        county.villages[office][g],
                        start,
                        start,
                    ),
                )


def patrols(conn: sqlite3.Connection, county: County) -> None:
    rng = county.rng
    assignment_id = checkin_id = 0
    for n in range(county.days):
        day = _day(county, n)
        days, assignments, timers = [], [], []
        checkins: list[tuple[int, int, int | None, int, str, str, int, int, int, int, str | None]]
        checkins = []
        for office, _ in county.offices:
            members = county.members[office]
            slots = []
            for a, area in enumerate(county.areas[office]):
                for shift, (h1, m1, h2, m2) in enumerate(SHIFTS):
                    member = members[(n * 4 + a * 2 + shift) % len(members)]
                    slots.append((member, area, shift, _at(day, h1, m1), _at(day, h2, m2)))
            made = to_db(_at(day, 0) - timedelta(hours=4))
            days.append((office, day.isoformat(), made, made, len(slots), "[]"))
            for member, area, shift, starts, ends in slots:
                assignment_id += 1
                cancelled = rng.random() < 0.05
                assignments.append(
                    (
                        assignment_id,
                        office,
                        day.isoformat(),
                        member,
                        area,
                        shift,
                        to_db(starts),
                        to_db(ends),
                        county.officers[office][0],
                        "cancelled" if cancelled else "planned",
                        made,
                    )
                )
                timers.append(("remind", f"remind:{assignment_id}", starts, starts))
                timers.append(("missed", f"missed:{assignment_id}", starts, starts))
                if cancelled or rng.random() > 0.9:
                    continue
                checkin_id += 1
                began = starts + timedelta(minutes=rng.randrange(-10, 20))
                checkins.append(
                    (
                        checkin_id,
                        member,
                        assignment_id,
                        office,
                        to_db(began),
                        to_db(began + timedelta(minutes=rng.randrange(60, 150))),
                        rng.randrange(0, 40),
                        rng.randrange(0, 3),
                        rng.randrange(0, 2),
                        rng.randrange(0, 2),
                        "正常",
                    )
                )
            if rng.random() < 0.3:  # an unplanned walk
                checkin_id += 1
                began = _at(day, 19, rng.randrange(60))
                checkins.append(
                    (
                        checkin_id,
                        rng.choice(members),
                        None,
                        office,
                        to_db(began),
                        to_db(began + timedelta(minutes=50)),
                        12,
                        1,
                        0,
                        0,
                        None,
                    )
                )
        _insert(
            conn,
            county,
            "patrol_days",
            "office_id, day, made_at, published_at, slots, available",
            [(*d[:5], json.dumps([])) for d in days],
        )
        _insert(
            conn,
            county,
            "assignments",
            "id, office_id, day, member_id, area_id, shift, starts_at, ends_at, officer_id,"
            " status, created_at",
            assignments,
        )
        _insert(
            conn,
            county,
            "checkins",
            "id, person_id, assignment_id, office_id, started_at, ended_at, households,"
            " publicity, hazards, disputes, note",
            checkins,
        )
        _timers(conn, county, timers)


def _timers(
    conn: sqlite3.Connection, county: County, timers: list[tuple[str, str, datetime, datetime]]
) -> None:
    """Timers done, as the code leaves them (kind, key, due, done)."""
    _insert(
        conn,
        county,
        "timers",
        "kind, key, due_at, payload, done_at, outcome, created_at",
        [
            (kind, key, to_db(due), "{}", to_db(done), "done", to_db(due - timedelta(hours=12)))
            for kind, key, due, done in timers
        ],
    )


def reports(conn: sqlite3.Connection, county: County) -> None:
    rng = county.rng
    seqs: dict[tuple[int, int], int] = {}
    report_id = 0
    for n in range(county.days):
        day = _day(county, n)
        rows, photos, timers, outbox = [], [], [], []
        events: list[tuple[int, str, int, str, str | None]] = []
        for _ in range(_count(rng, REPORTS_A_DAY * county.scale)):
            office, station = rng.choice(county.offices)
            report_id += 1
            key = (station, day.year)
            seqs[key] = seqs.get(key, 0) + 1
            created = _at(day, rng.randrange(7, 21), rng.randrange(60))
            recent = county.end - created < timedelta(days=3)
            status = rng.choice(("new", "acknowledged")) if recent else "resolved"
            acked = created + timedelta(minutes=rng.randrange(1, 90))
            resolved = acked + timedelta(hours=rng.randrange(1, 48))
            officer = county.officers[office][0]
            reporter = rng.choice(county.members[office])
            rows.append(
                (
                    report_id,
                    station,
                    office,
                    day.year,
                    seqs[key],
                    reporter,
                    rng.choice(CATEGORIES),
                    int(rng.random() < 0.1),
                    f"村口发现情况 {report_id}",
                    rng.choice(county.villages[office]),
                    status,
                    officer if status != "new" else None,
                    rng.choice(OUTCOMES) if status == "resolved" else None,
                    to_db(created),
                    to_db(acked) if status != "new" else None,
                    to_db(resolved) if status == "resolved" else None,
                )
            )
            events.append((report_id, to_db(created), reporter, "created", None))
            if status != "new":
                events.append((report_id, to_db(acked), officer, "acknowledged", None))
            if status == "resolved":
                on_way = to_db(acked + timedelta(minutes=5))
                events.append((report_id, on_way, officer, "en_route", None))
                events.append((report_id, to_db(resolved), officer, "resolved", "mediated"))
            if rng.random() < 0.3:
                photo = f"AgAC{report_id:08d}"
                photos.append((report_id, "photo", photo, reporter, to_db(created)))
            timers.append(("report_remind", f"report:{report_id}:remind", acked, acked))
            outbox.append(
                _outbox(
                    county,
                    county.people_of[station][0],
                    "sendMessage",
                    {"text": f"📋 #{seqs[key]}"},
                    URGENT,
                    created,
                    f"report:{report_id}",
                )
            )
        _insert(
            conn,
            county,
            "reports",
            "id, station_id, office_id, year, seq, reporter_id, category, urgent, description,"
            " place_id, status, owner_id, outcome, created_at, acknowledged_at, resolved_at",
            rows,
        )
        _insert(conn, county, "report_events", "report_id, at, actor_id, kind, detail", events)
        _insert(
            conn,
            county,
            "report_attachments",
            "report_id, kind, file_id, added_by, created_at",
            photos,
        )
        _insert(conn, county, "outbox", OUTBOX_COLUMNS, outbox)
        _timers(conn, county, timers)
    _insert(
        conn,
        county,
        "report_counters",
        "station_id, year, last_seq",
        [(station, year, seq) for (station, year), seq in seqs.items()],
    )


def backups(conn: sqlite3.Connection, county: County) -> None:
    rng = county.rng
    request_id = 0
    for n in range(county.days):
        day = _day(county, n)
        requests, notes, outbox, timers = [], [], [], []
        events: list[tuple[int, str, int | None, str, str | None]] = []
        for _ in range(_count(rng, BACKUPS_A_DAY * county.scale)):
            office, station = rng.choice(county.offices)
            request_id += 1
            created = _at(day, rng.randrange(7, 22), rng.randrange(60))
            officer = county.officers[office][0]
            steps = 1 if rng.random() < 0.8 else rng.choice((2, 3))
            claimed = created + timedelta(minutes=rng.randrange(1, 3) + 5 * (steps - 1))
            arrived = claimed + timedelta(minutes=rng.randrange(5, 30))
            requests.append(
                (
                    request_id,
                    station,
                    office,
                    rng.choice(county.members[office]),
                    rng.choice(REASONS),
                    "resolved",
                    "[180, 300, 300]",
                    steps - 1,
                    officer,
                    to_db(created),
                    to_db(claimed),
                    to_db(arrived),
                    to_db(arrived + timedelta(minutes=40)),
                )
            )
            events.append((request_id, to_db(created), None, "created", "dispute"))
            for step in range(steps):
                at = created + timedelta(minutes=5 * step)
                events.append((request_id, to_db(at), None, "step", f"{step + 1}:office:1"))
                row = _outbox(
                    county, county.people_of[station][2], "sendMessage", {}, URGENT, at,
                    f"backup:{request_id}",
                )  # fmt: skip
                outbox.append(row)
                notes.append((request_id, step, officer, row[1], row[0], to_db(at)))
                timers.append(("escalate", f"backup:{request_id}:{step}", at, at))
            events.append((request_id, to_db(claimed), officer, "claimed", None))
            events.append((request_id, to_db(arrived), officer, "arrived", None))
            done = to_db(arrived + timedelta(minutes=40))
            events.append((request_id, done, officer, "resolved", "已处理"))
        _insert(conn, county, "outbox", OUTBOX_COLUMNS, outbox)
        _insert(
            conn,
            county,
            "backup_requests",
            "id, station_id, office_id, requester_id, reason, status, waits, step_index,"
            " owner_id, created_at, claimed_at, arrived_at, resolved_at",
            requests,
        )
        _insert(
            conn,
            county,
            "backup_notifications",
            "request_id, step_index, person_id, chat_id, outbox_id, created_at",
            notes,
        )
        _insert(conn, county, "backup_events", "request_id, at, actor_id, kind, detail", events)
        _timers(conn, county, timers)


def broadcasts_and_tips(conn: sqlite3.Connection, county: County) -> None:
    rng = county.rng
    broadcast_id = 0
    tips = [row[0] for row in conn.execute("SELECT id FROM tips")] or [None]
    for n in range(0, county.days, 7):
        day = _day(county, n)
        sent = _at(day, 10)
        week = f"{day.isocalendar().year}-W{day.isocalendar().week:02d}"
        rows, recipients, outbox, group_tips, scams = [], [], [], [], []
        for station in county.stations:
            broadcast_id += 1
            rows.append(
                (broadcast_id, station, county.chiefs[station], "everyone", "防汛通知", "zh_CN",
                 "done", to_db(sent), to_db(sent + timedelta(minutes=3)))
            )  # fmt: skip
            for chat in county.groups[station] + county.people_of[station]:
                row = _outbox(
                    county, chat, "sendMessage", {"text": "防汛通知"}, BULK, sent,
                    f"broadcast:{broadcast_id}",
                )  # fmt: skip
                outbox.append(row)
                recipients.append((broadcast_id, chat, row[0]))
            if tips[0] is not None:
                for chat in county.groups[station]:
                    row = _outbox(county, chat, "sendMessage", {"text": "防诈提示"}, BULK, sent)
                    outbox.append(row)
                    group_tips.append((chat, week, rng.choice(tips), row[0], to_db(sent)))
        for _ in range(_count(rng, SCAM_CHECKS_A_DAY * 7 * county.scale)):
            at = sent + timedelta(minutes=rng.randrange(7 * 24 * 60))
            scams.append((BASE_TG + rng.randrange(500), None, "fake_police", to_db(at)))
        _insert(conn, county, "outbox", OUTBOX_COLUMNS, outbox)
        _insert(
            conn,
            county,
            "broadcasts",
            "id, station_id, author_id, audience, text, text_locale, status, created_at, done_at",
            rows,
        )
        _insert(
            conn, county, "broadcast_recipients", "broadcast_id, chat_id, outbox_id", recipients
        )
        _insert(
            conn, county, "group_tips", "chat_id, week, tip_id, outbox_id, sent_at", group_tips
        )
        _insert(conn, county, "scam_checks", "tg_user_id, person_id, scam_type, at", scams)


def transport(conn: sqlite3.Connection, county: County) -> None:
    """The inbox and the delivered replies of the last TRANSPORT_DAYS, and an audit trail."""
    rng = county.rng
    update_id = 500_000_000
    for n in range(max(0, county.days - TRANSPORT_DAYS), county.days):
        day = _day(county, n)
        inbox, replies = [], []
        for _ in range(round(UPDATES_A_DAY * county.scale)):
            update_id += 1
            at = _at(day, 7) + timedelta(seconds=rng.randrange(15 * 3600))
            uid = BASE_TG + rng.randrange(500)
            payload = {"update_id": update_id, "message": {"text": "/today", "from": {"id": uid}}}
            inbox.append((update_id, json.dumps(payload), to_db(at), to_db(at)))
            replies.append(
                _outbox(
                    county,
                    uid,
                    "sendMessage",
                    {"api": {"chat_id": uid, "text": "📋 今日任务"}},
                    REPLY,
                    at,
                )
            )
        _insert(conn, county, "inbox", "update_id, payload, received_at, done_at", inbox)
        _insert(conn, county, "outbox", OUTBOX_COLUMNS, replies)
    audit = []
    for n in range(county.days):
        at = _at(_day(county, n), 9)
        for _ in range(_count(rng, 20 * county.scale)):
            audit.append(
                (to_db(at), None, "report:acknowledge", "report", rng.randrange(1, 10_000), None)
            )
    _insert(
        conn, county, "audit_log", "at, actor_id, action, subject_type, subject_id, after", audit
    )


def _count(rng: random.Random, mean: float) -> int:
    """A day's count around `mean` (weekends and holidays busier or quieter)."""
    value = max(0.0, rng.gauss(mean, mean / 4))
    return int(value) + (rng.random() < value - int(value))


def seed(
    path: Path,
    years: float = 3.0,
    stations: int = 12,
    seed_value: int = 1,
    end: datetime | None = None,
) -> dict[str, int]:
    """Make the database at `path` (a fresh file): the schema through the bot's own
    migrations, then the county. Returns rows per table."""
    if path.exists():
        raise FileExistsError(f"{path} exists")

    async def migrate() -> None:
        db = Database(path)
        await db.open()
        try:  # the shipped anti-fraud tips, as the bot's start puts them
            settings = Settings(bot_token=SEED_TOKEN, db_path=path, _env_file=None)
            await Services.create(settings, db, Clock()).fraud.sync_shipped()
        finally:
            await db.close()

    asyncio.run(migrate())
    county = County(
        scale=stations / 12,
        rng=random.Random(seed_value),
        end=(end or datetime.now(UTC)).replace(microsecond=0),
        days=max(1, round(years * 365)),
    )
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("BEGIN")
        organisation(conn, county, stations)
        patrols(conn, county)
        reports(conn, county)
        backups(conn, county)
        broadcasts_and_tips(conn, county)
        transport(conn, county)
        conn.execute("COMMIT")
        conn.execute("PRAGMA optimize")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return dict(sorted(county.counts.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.seed", description=__doc__)
    parser.add_argument("path", type=Path, help="the database to make (must not exist)")
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--stations", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    began = time.monotonic()
    counts = seed(args.path, args.years, args.stations, args.seed)
    size = args.path.stat().st_size / 2**20
    print(f"{args.path}: {size:.0f} MB in {time.monotonic() - began:.0f} s")
    for table, rows in counts.items():
        print(f"  {table:24} {rows:>10,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
