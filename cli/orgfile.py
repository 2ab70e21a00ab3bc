"""`python bot.py apply FILE` and `python bot.py export-org FILE`: the organisation file
from the command line — read and bounded here, applied by the same `OrgFileService` the bot
uses, its report and problems printed (services never print or run event loops)."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from models.clock import Clock
from models.config import StorageSettings, check_db_path_writable
from models.orgfile import MAX_FILE_CHARS, OrgFileError, OrgSpec, parse_org_file, render_org_file
from models.services.orgfile import ApplyReport, OrgFileService
from models.store.db import Database, SchemaTooNewError


def apply_command(
    storage: StorageSettings,
    source: Path,
    *,
    dry_run: bool = False,
    prune: bool = False,
    prune_stations: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """`bot.py apply FILE`: 0 applied (or nothing to do), 2 a bad file, 1 another error."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        if source.stat().st_size > MAX_FILE_CHARS * 4:  # (UTF-8: at most 4 bytes a character)
            print(f"mulan-patrol: {source} is far too large for an organisation file", file=err)
            return 2
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"mulan-patrol: cannot read {source}: {_reason(error)}", file=err)
        return 2
    try:
        spec = parse_org_file(text)
    except OrgFileError as error:
        _print_problems(source, error, err)
        return 2
    if not dry_run:
        check_db_path_writable(storage.db_path)
    try:
        fresh = not storage.db_path.exists()
        report = asyncio.run(
            _apply(
                storage.db_path,
                spec,
                dry_run=dry_run,
                fresh=fresh,
                prune=prune,
                prune_stations=prune_stations,
            )
        )
    except OrgFileError as error:
        _print_problems(source, error, err)
        return 2
    except (SchemaTooNewError, sqlite3.Error, OSError) as error:
        print(f"mulan-patrol: PATROL_DB_PATH {storage.db_path}: {error}", file=err)
        return 1
    print(f"apply {source} to {storage.db_path}{' (dry run)' if dry_run else ''}", file=out)
    for line in report.lines(str(source)):
        print(line, file=out)
    return 0


def export_command(
    storage: StorageSettings,
    target: Path,
    *,
    force: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """`bot.py export-org FILE` (`-` for standard output): 0 written, 2 the file exists,
    1 another error."""
    out, err = out or sys.stdout, err or sys.stderr
    if not storage.db_path.is_file():
        print(f"mulan-patrol: PATROL_DB_PATH {storage.db_path} does not exist", file=err)
        return 1
    to_stdout = str(target) == "-"
    if not to_stdout and target.exists() and not force:
        print(f"mulan-patrol: {target} exists; not overwriting it (--force does)", file=err)
        return 2
    try:
        spec = asyncio.run(_export(storage.db_path))
    except (SchemaTooNewError, sqlite3.Error, OSError) as error:
        print(f"mulan-patrol: PATROL_DB_PATH {storage.db_path}: {error}", file=err)
        return 1
    text = render_org_file(spec)
    if to_stdout:
        out.write(text)
        return 0
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"mulan-patrol: cannot write {target}: {_reason(error)}", file=err)
        return 1
    offices = [o for s in spec.stations for o in s.offices]
    print(
        f"exported {len(spec.stations)} stations, {len(offices)} offices,"
        f" {sum(len(o.places) for o in offices)} places and"
        f" {sum(len(s.peaks) for s in spec.stations)} peak periods to {target}",
        file=out,
    )
    return 0


async def _apply(
    db_path: Path,
    spec: OrgSpec,
    *,
    dry_run: bool,
    fresh: bool,
    prune: bool,
    prune_stations: bool,
) -> ApplyReport:
    options = {"prune": prune, "prune_stations": prune_stations}
    if not (dry_run and fresh):
        return await _apply_to(db_path, spec, dry_run=dry_run, **options)
    # a dry run before the first start: against an empty database that is thrown away
    with tempfile.TemporaryDirectory() as folder:
        return await _apply_to(Path(folder) / "dry-run.db", spec, dry_run=True, **options)


async def _apply_to(
    db_path: Path, spec: OrgSpec, *, dry_run: bool, prune: bool, prune_stations: bool
) -> ApplyReport:
    db = Database(db_path)
    await db.open()
    try:
        return await OrgFileService(db, Clock()).apply(
            spec, prune=prune, prune_stations=prune_stations, dry_run=dry_run
        )
    finally:
        await db.close()


async def _export(db_path: Path) -> OrgSpec:
    db = Database(db_path)
    await db.open()
    try:
        return await OrgFileService(db, Clock()).export()
    finally:
        await db.close()


def _print_problems(source: Path, error: OrgFileError, err: TextIO) -> None:
    print(f"mulan-patrol: {source} was not applied; nothing was changed:", file=err)
    for problem in error.problems:
        at = f"{source}:{problem.line}" if problem.line is not None else str(source)
        print(
            f"{at}: {problem.where}: {problem.message}"
            if problem.where
            else f"{at}: {problem.message}",
            file=err,
        )


def _reason(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    return str(error)
