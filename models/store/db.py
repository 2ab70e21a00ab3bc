"""One aiosqlite connection with the pragmas, migrations and write transactions we rely on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from models.store.migrations import MIGRATIONS

log = logging.getLogger(__name__)
BUSY_TIMEOUT_MS = 2000
# The errors after which a write is worth trying again later: the database is locked by
# another process, the disk is full or failing (sqlite3.OperationalError covers them).
RETRYABLE = (sqlite3.OperationalError,)
# what SQLite says when the database itself refuses writes (as opposed to a mistake of ours)
REFUSALS = ("locked", "busy", "full", "disk", "i/o", "readonly", "read-only")
# Every statement the application runs, when a test collects them (tests/test_query_plans.py
# runs each under EXPLAIN QUERY PLAN); None otherwise.
TRACE: set[str] | None = None


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer version of the bot."""

    def __init__(self, found: int, supported: int) -> None:
        super().__init__(
            f"the database has schema version {found}, this bot knows up to {supported}: "
            "upgrade the bot or restore a matching backup"
        )
        self.found = found
        self.supported = supported


class Database:
    """The single connection; writers take `write()`, readers use `fetch_*`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._writer: asyncio.Task[Any] | None = None
        # Called after each outermost COMMIT (e.g. to wake the outbox sender).
        self.on_commit: list[Callable[[], None]] = []
        # what the transaction in progress wrote (tables named by repositories that others
        # wait for, e.g. "outbox"), and what the last committed one wrote: a commit hook
        # wakes only those who care
        self.changed: set[str] = set()
        self.last_committed: frozenset[str] = frozenset()
        # Since when (monotonic) writes fail — locked by another process, a full disk — and
        # why; None while they succeed. Health reports it; the callers retry.
        self.failing_since: float | None = None
        self.failure: str | None = None
        # A second connection for long reads (statistics, exports): under WAL it reads the
        # last committed state without waiting for the writer or making it wait.
        self._reader: aiosqlite.Connection | None = None

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    async def open(self) -> None:
        """Open, set the pragmas and bring the schema to the latest version."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        self._conn = conn
        try:
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=FULL",
                "PRAGMA foreign_keys=ON",
                # a lock held elsewhere is waited for this long, then the caller retries
                # (a short wait keeps SIGTERM prompt while another process holds the lock)
                f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
            ):
                await conn.execute(pragma)
            await self._migrate()
            # fresh statistics for the query planner where they are missing or stale,
            # bounded (analysis_limit) so that a large database opens quickly
            await conn.execute("PRAGMA analysis_limit=400")
            await conn.execute("PRAGMA optimize=0x10002")
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._reader is not None:
            reader, self._reader = self._reader, None
            await reader.close()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    async def reader(self) -> aiosqlite.Connection:
        """The read-only connection (opened on first use)."""
        if self._reader is None:
            if self._conn is None:
                raise RuntimeError("database is not open")
            reader = await aiosqlite.connect(f"file:{self.path}?mode=ro", uri=True)
            reader.row_factory = aiosqlite.Row
            await reader.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._reader = reader
        return self._reader

    def read_only(self) -> ReadOnly:
        """The same `fetch_one` / `fetch_all` on the read-only connection, for repositories
        that only read (a long read there never holds the write lock)."""
        return ReadOnly(self)

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        current = await self.schema_version()
        latest = len(MIGRATIONS)
        if current > latest:
            raise SchemaTooNewError(current, latest)
        for version in range(current + 1, latest + 1):
            async with self.write():
                for statement in _statements(MIGRATIONS[version - 1]):
                    await self.conn.execute(statement)
                await self.conn.execute(f"PRAGMA user_version={version}")
            log.info("database migrated to schema version %d", version)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: `BEGIN IMMEDIATE` under the writer lock, commit or roll back.

        Nested use joins the outer transaction, so a service can call another service.
        """
        task = asyncio.current_task()
        if self._writer is not None and self._writer is task:
            yield self.conn
            return
        async with self._write_lock:
            self._writer = task
            try:
                if self.conn.in_transaction:
                    # a writer cancelled between BEGIN and its first await left it open
                    log.warning("rolling back a transaction left open by a cancelled task")
                    await self.conn.execute("ROLLBACK")
                await self.conn.execute("BEGIN IMMEDIATE")
                self.changed = set()
            except BaseException as error:
                self._writer = None
                self._failed(error)
                raise
            try:
                yield self.conn
            except BaseException as error:
                self._failed(error)
                if self.conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):  # the disk may refuse this too
                        await self.conn.execute("ROLLBACK")
                raise
            else:
                try:
                    await self.conn.execute("COMMIT")
                except BaseException as error:
                    self._failed(error)
                    if self.conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            await self.conn.execute("ROLLBACK")
                    raise
                self._recovered()
                self.last_committed, self.changed = frozenset(self.changed), set()
                for hook in self.on_commit:
                    hook()
            finally:
                self._writer = None

    def _failed(self, error: BaseException) -> None:
        """A write failed: if the database itself refused it (locked, full, I/O), say so
        once — one clear line — and keep it for the health check until a commit succeeds."""
        if not isinstance(error, sqlite3.OperationalError) or not any(
            word in str(error).lower() for word in REFUSALS
        ):
            return
        if self.failing_since is None:
            self.failing_since = time.monotonic()
            log.error(
                "the database %s refuses writes (%s): retrying until it takes them again;"
                " nothing acknowledged is lost",
                self.path,
                error,
            )
        self.failure = str(error)

    def _recovered(self) -> None:
        if self.failing_since is not None:
            log.warning(
                "the database takes writes again after %.0f s",
                time.monotonic() - self.failing_since,
            )
            self.failing_since, self.failure = None, None

    @property
    def failing(self) -> bool:
        return self.failing_since is not None

    @property
    def in_write(self) -> bool:
        """Whether the current task holds the write transaction."""
        return self._writer is not None and self._writer is asyncio.current_task()

    async def backup_to(self, target: Path) -> None:
        """A consistent online copy (SQLite's backup API), safe while the bot runs."""
        target.parent.mkdir(parents=True, exist_ok=True)
        async with self._write_lock:
            copy = await aiosqlite.connect(target)
            try:
                await self.conn.backup(copy)
            finally:
                await copy.close()

    # Each call below is one round trip to aiosqlite's thread (about 30 µs here) where the
    # cursor dance (execute, fetch, close) was three; an update makes about twenty of them.

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one statement; return the last row id (for inserts)."""
        if TRACE is not None:
            _trace(sql)
        row = await self.conn.execute_insert(sql, params)
        return int(row[0]) if row and row[0] is not None else 0

    async def execute_count(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        if TRACE is not None:
            _trace(sql)
        cursor = await self.conn.execute(sql, params)
        count = cursor.rowcount
        await cursor.close()
        return count

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for every row of parameters, in one call to the database."""
        if TRACE is not None:
            _trace(sql)
        cursor = await self.conn.executemany(sql, rows)
        await cursor.close()

    async def fetch_one(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> aiosqlite.Row | None:
        """The first row (the statements asked this way return one row, or a few)."""
        if TRACE is not None:
            _trace(sql)
        rows = await self.conn.execute_fetchall(sql, params)
        for row in rows:
            return row
        return None

    async def fetch_all(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[aiosqlite.Row]:
        if TRACE is not None:
            _trace(sql)
        return list(await self.conn.execute_fetchall(sql, params))


class ReadOnly(Database):
    """A read-only view of a database: its `fetch_one` and `fetch_all` run on the database's
    read-only connection (writing through it fails: that connection is opened read-only)."""

    def __init__(self, db: Database) -> None:
        super().__init__(db.path)
        self.db = db

    @property
    def conn(self) -> aiosqlite.Connection:
        reader = self.db._reader
        if reader is None:
            raise RuntimeError("the read-only connection is not open")
        return reader

    async def fetch_one(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> aiosqlite.Row | None:
        await self.db.reader()  # opened on first use
        return await super().fetch_one(sql, params)

    async def fetch_all(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[aiosqlite.Row]:
        await self.db.reader()
        return await super().fetch_all(sql, params)


def _trace(sql: str) -> None:
    """Keep a statement the application ran (not one a test or a benchmark ran itself)."""
    caller = sys._getframe(2).f_code.co_filename
    if TRACE is not None and not any(part in caller for part in ("/tests/", "/benchmarks/")):
        TRACE.add(sql)


def _statements(script: str) -> Iterable[str]:
    """Split a migration script into statements (our scripts hold no `;` inside strings)."""
    for chunk in script.split(";"):
        if chunk.strip():
            yield chunk.strip()
