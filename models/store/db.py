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
from models.store.writelock import NORMAL, RankedLock

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
        self._write_lock = RankedLock()  # served by rank: see models/store/writelock.py
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
        self._reader_lock = asyncio.Lock()
        # Writes of the transaction in progress whose result nobody needs (`defer`): they
        # run, in order, in the same round trip as the writer's next statement or its commit.
        self._deferred: list[tuple[str, Sequence[Any] | dict[str, Any]]] = []
        # Rows read again and again within one write transaction (a station's settings, read
        # by several steps of one update), kept by the repository that reads them until the
        # transaction ends, a savepoint rolls back, or the repository writes them.
        self.txn_cache: dict[Any, Any] = {}

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
        # Under a lock: two first readers at once (the sender composes several answers
        # together) would each open one, and the one dropped would keep its thread — and the
        # process — alive after close.
        async with self._reader_lock:
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
    async def write(self, rank: int = NORMAL) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: `BEGIN IMMEDIATE` under the writer lock, commit or roll back.

        Nested use joins the outer transaction, so a service can call another service.
        `rank` orders those waiting for the lock (`models/store/writelock.py`): background
        timers let updates and escalation steps go first.
        """
        task = asyncio.current_task()
        if self._writer is not None and self._writer is task:
            yield self.conn
            return
        await self._write_lock.acquire(rank)
        try:
            self._writer = task
            try:
                if self.conn.in_transaction:
                    # a writer cancelled between BEGIN and its first await left it open
                    log.warning("rolling back a transaction left open by a cancelled task")
                    await self.conn.execute("ROLLBACK")
                await self.conn.execute("BEGIN IMMEDIATE")
                self.changed = set()
                self._deferred = []
                self.txn_cache = {}
            except BaseException as error:
                self._writer = None
                self._failed(error)
                raise
            try:
                yield self.conn
            except BaseException as error:
                self._failed(error)
                self._deferred, self.txn_cache = [], {}  # (rolled back with the rest)
                if self.conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):  # the disk may refuse this too
                        await self.conn.execute("ROLLBACK")
                raise
            else:
                try:
                    await self._run_unit("COMMIT")  # with the deferred writes: one round trip
                except BaseException as error:
                    self._failed(error)
                    self._deferred, self.txn_cache = [], {}
                    if self.conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            await self.conn.execute("ROLLBACK")
                    raise
                self._recovered()
                self.txn_cache = {}
                self.last_committed, self.changed = frozenset(self.changed), set()
                for hook in self.on_commit:
                    hook()
            finally:
                self._writer = None
        finally:
            self._write_lock.release()

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
        await self._write_lock.acquire()
        try:
            copy = await aiosqlite.connect(target)
            try:
                await self.conn.backup(copy)
            finally:
                await copy.close()
        finally:
            self._write_lock.release()

    # Each call below is one round trip to aiosqlite's thread (about 30 µs here; an update
    # makes about twenty): the statement, its fetch or count and the cursor's close run there
    # together, after the writer's deferred writes (see `defer`).

    async def _unit(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run `work` on the connection in aiosqlite's thread, in one round trip.

        aiosqlite runs every call of ours as a function queued to its thread
        (`Connection._execute`); this queues one function doing several steps at once.
        The writer's deferred writes go first, in order, within the same round trip."""
        pending: list[tuple[str, Sequence[Any] | dict[str, Any]]] = []
        if self._deferred and self.in_write:
            pending, self._deferred = self._deferred, []
        conn = self.conn

        def run() -> Any:
            raw = conn._conn  # the sqlite3 connection, used only in aiosqlite's thread
            for sql, params in pending:
                raw.execute(sql, params).close()
            return work(raw)

        return await conn._execute(run)  # type: ignore[no-untyped-call]

    def defer(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> None:
        """A write inside the current write transaction whose result is not needed (no row
        id, no count): it runs before the writer's next statement or with its commit, in
        the same round trip. An error it raises surfaces there and rolls the transaction
        back like any other. Outside a write transaction: use `execute`."""
        if not self.in_write:
            raise RuntimeError("defer() is only for writes inside the writer's transaction")
        if TRACE is not None:
            _trace(sql)
        self._deferred.append((sql, params))

    async def _run_unit(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> None:
        def work(raw: sqlite3.Connection) -> None:
            raw.execute(sql, params).close()

        await self._unit(work)

    async def savepoint(self, name: str) -> None:
        await self._run_unit(f"SAVEPOINT {name}")

    async def release(self, name: str) -> None:
        await self._run_unit(f"RELEASE {name}")

    async def rollback_to(self, name: str) -> None:
        """Undo the writes since the savepoint `name` (deferred ones included: they came
        after it, since a savepoint runs the writes deferred before it)."""
        self._deferred, self.txn_cache = [], {}
        await self.conn.execute(f"ROLLBACK TO {name}")

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one statement; return the last row id (for inserts)."""
        if TRACE is not None:
            _trace(sql)

        def work(raw: sqlite3.Connection) -> int:
            cursor = raw.execute(sql, params)
            try:
                return int(cursor.lastrowid or 0)
            finally:
                cursor.close()

        return int(await self._unit(work))

    async def execute_count(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        if TRACE is not None:
            _trace(sql)

        def work(raw: sqlite3.Connection) -> int:
            cursor = raw.execute(sql, params)
            try:
                return int(cursor.rowcount)
            finally:
                cursor.close()

        return int(await self._unit(work))

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for every row of parameters, in one call to the database."""
        if TRACE is not None:
            _trace(sql)
        rows = list(rows)

        def work(raw: sqlite3.Connection) -> None:
            raw.executemany(sql, rows).close()

        await self._unit(work)

    async def fetch_one(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> aiosqlite.Row | None:
        """The first row (the statements asked this way return one row, or a few)."""
        if TRACE is not None:
            _trace(sql)
        rows: list[aiosqlite.Row] = await self._fetch(sql, params)
        for row in rows:
            return row
        return None

    async def fetch_all(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[aiosqlite.Row]:
        if TRACE is not None:
            _trace(sql)
        return await self._fetch(sql, params)

    async def _fetch(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> list[Any]:
        def work(raw: sqlite3.Connection) -> list[Any]:
            cursor = raw.execute(sql, params)
            try:
                return cursor.fetchall()
            finally:
                cursor.close()

        return list(await self._unit(work))


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
