"""Every query indexed: each SQL statement the test suite ran (traced by the database layer,
see tests/conftest.py) is put under EXPLAIN QUERY PLAN against a seeded county, and a full
scan of a table that grows with time fails the test — unless the statement is listed below
with the reason its scan is fine. Runs last, after the suite has run its statements."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from benchmarks.seed import seed
from models.store import board_repo
from models.store import db as database

# Tables whose rows grow with every day of use.
GROWING = frozenset(
    {
        "reports",
        "report_events",
        "report_attachments",
        "checkins",
        "assignments",
        "patrol_days",
        "outbox",
        "inbox",
        "audit_log",
        "backup_requests",
        "backup_events",
        "backup_notifications",
        "broadcasts",
        "broadcast_recipients",
        "scam_checks",
        "timers",
        "conversations",
        "group_tips",
        "leave",
        "swaps",
        "invitations",
        "invitation_uses",
    }
)

# Statements allowed to scan a growing table, with the reason.
ALLOWED: dict[str, str] = {
    "SELECT MAX(id) FROM outbox": "the largest rowid: SQLite reads the table's last row"
    " (its plan says SEARCH without an index, like a MIN(id) that walks a table)",
    board_repo.VERSION: "the board's version stamp: four largest rowids, each a seek to a"
    " table's last row (a few µs on two million rows)",
}


def parameters(conn: sqlite3.Connection, sql: str) -> int:
    """How many parameters the statement takes (bound as NULL: the plan does not depend on
    the values)."""
    try:
        conn.execute(f"EXPLAIN QUERY PLAN {sql}")
    except sqlite3.ProgrammingError as error:
        found = re.search(r"uses (\d+)", str(error))
        if found:
            return int(found.group(1))
        raise
    return 0


def scans(conn: sqlite3.Connection, sql: str) -> list[str]:
    """The growing tables the statement reads in full."""
    plan = conn.execute(f"EXPLAIN QUERY PLAN {sql}", [None] * parameters(conn, sql)).fetchall()
    found = []
    for row in plan:
        detail = str(row[-1])
        # a full scan of the table, or of one of its indexes, reads every row; so does a
        # "search" that names no index (MIN(id) walking the table in rowid order)
        match = re.match(r"(SCAN|SEARCH) (\w+)", detail)
        if not match or match.group(2) not in GROWING:
            continue
        if match.group(1) == "SCAN" or "USING" not in detail:
            found.append(detail)
    return found


def full_scans(db_path: Path, statements: set[str]) -> dict[str, list[str]]:
    conn = sqlite3.connect(db_path)
    try:
        problems = {}
        for sql in sorted(statements):
            if sql in ALLOWED or not sql.lstrip().upper().startswith(
                ("SELECT", "UPDATE", "DELETE", "INSERT", "WITH")
            ):
                continue
            found = scans(conn, sql)
            if found:
                problems[sql] = found
        return problems
    finally:
        conn.close()


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("county") / "county.db"
    seed(path, years=0.3, stations=3)
    return path


def test_every_statement_of_the_suite_uses_an_index(county: Path) -> None:
    traced = set(database.TRACE or ())
    if len(traced) < 150:
        pytest.skip(f"only {len(traced)} statements traced: run it with the whole suite")
    problems = full_scans(county, traced)
    report = "\n\n".join(f"{sql}\n  -> {'; '.join(found)}" for sql, found in problems.items())
    assert not problems, f"{len(problems)} statements scan a growing table:\n\n{report}"


def test_a_dropped_index_is_caught(county: Path, tmp_path: Path) -> None:
    """The check can fail: without the index on check-ins by slot, /stats scans them all."""
    copy = tmp_path / "copy.db"
    with sqlite3.connect(county) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    statement = "SELECT MIN(id) FROM checkins WHERE assignment_id = ?"
    assert full_scans(copy, {statement}) == {}
    with sqlite3.connect(copy) as conn:
        conn.execute("DROP INDEX checkins_assignment")
    assert full_scans(copy, {statement})


# Tables the bot deletes rows from (retention): SQLite checks every column that refers to a
# deleted row, and without an index that check reads the whole referring table, per row.
DELETED_FROM = frozenset({"outbox", "inbox", "timers", "pending_people", "conversations"})


def test_every_reference_to_a_pruned_table_is_indexed(county: Path) -> None:
    conn = sqlite3.connect(county)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        missing = []
        for table in tables:
            indexed = {
                conn.execute(f"PRAGMA index_info({index[1]})").fetchone()[2]
                for index in conn.execute(f"PRAGMA index_list({table})")
            }
            primary = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[5] == 1]
            indexed |= set(primary[:1])
            for fk in conn.execute(f"PRAGMA foreign_key_list({table})"):
                parent, column = fk[2], fk[3]
                if parent in DELETED_FROM and column not in indexed:
                    missing.append(f"{table}.{column} -> {parent}")
    finally:
        conn.close()
    assert missing == []
