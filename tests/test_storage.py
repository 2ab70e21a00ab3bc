"""Storage: migrations by user_version, pragmas, write transactions."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from models.store.db import Database, SchemaTooNewError
from models.store.migrations import MIGRATIONS


async def test_empty_database_upgrades_to_latest_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    db = Database(path)
    await db.open()
    assert await db.schema_version() == len(MIGRATIONS)
    journal = await db.fetch_one("PRAGMA journal_mode")
    foreign = await db.fetch_one("PRAGMA foreign_keys")
    sync = await db.fetch_one("PRAGMA synchronous")
    assert journal is not None and journal[0] == "wal"
    assert foreign is not None and foreign[0] == 1
    assert sync is not None and sync[0] == 2  # FULL
    async with db.write():
        await db.execute("INSERT INTO stations (name, created_at) VALUES ('A', '2026-01-01')")
    await db.close()

    again = Database(path)
    await again.open()
    assert await again.schema_version() == len(MIGRATIONS)
    rows = await again.fetch_all("SELECT name FROM stations")
    assert [r["name"] for r in rows] == ["A"]
    await again.close()


async def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    db = Database(path)
    with pytest.raises(SchemaTooNewError) as caught:
        await db.open()
    assert "upgrade the bot" in str(caught.value)
    assert db._conn is None  # closed again: an open connection would hang the exit


async def test_failed_write_rolls_back_and_nested_writes_join(tmp_path: Path) -> None:
    db = Database(tmp_path / "tx.db")
    await db.open()
    with pytest.raises(RuntimeError):
        async with db.write():
            await db.execute("INSERT INTO stations (name, created_at) VALUES ('B', 'x')")
            async with db.write():
                await db.execute("INSERT INTO stations (name, created_at) VALUES ('C', 'x')")
            raise RuntimeError("boom")
    rows = await db.fetch_all("SELECT name FROM stations")
    assert rows == []
    await db.close()


async def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    db = Database(tmp_path / "fk.db")
    await db.open()
    with pytest.raises(sqlite3.IntegrityError):
        async with db.write():
            await db.execute(
                "INSERT INTO offices (station_id, name, created_at) VALUES (999, 'X', 'x')"
            )
    await db.close()


async def test_two_first_readers_at_once_open_one_read_connection(tmp_path: Path) -> None:
    """The sender composes several answers at once (a Monday's reports): their first reads
    share one read-only connection, and closing the database leaves no connection thread
    behind (one left over kept the process alive after SIGTERM)."""

    def workers() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if "connection_worker" in t.name}

    before = workers()
    db = Database(tmp_path / "patrol.db")
    await db.open()
    view = db.read_only()
    await asyncio.gather(*(view.fetch_one("SELECT 1") for _ in range(4)))
    ours = workers() - before
    assert len(ours) == 2  # the writer's and one reader
    await db.close()
    for thread in ours:  # a closed connection's thread ends just after close returns
        thread.join(timeout=5)
    assert not any(thread.is_alive() for thread in ours)
