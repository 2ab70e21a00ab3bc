"""`python bot.py backup PATH`: a consistent copy of the live database, safe while the bot
runs (SQLite's backup API)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from models.config import StorageSettings
from models.store.db import Database


def backup(settings: StorageSettings, target: Path) -> int:
    """Copy the live database with SQLite's backup API (consistent while the bot runs)."""
    if not settings.db_path.is_file():
        print(f"mulan-patrol: PATROL_DB_PATH {settings.db_path} does not exist", file=sys.stderr)
        return 2
    if target.exists():
        print(f"mulan-patrol: {target} exists; not overwriting it", file=sys.stderr)
        return 2
    asyncio.run(_copy(settings.db_path, target))
    print(f"backup written to {target}")
    return 0


async def _copy(source: Path, target: Path) -> None:
    db = Database(source)
    await db.open()
    try:
        await db.backup_to(target)
    finally:
        await db.close()
