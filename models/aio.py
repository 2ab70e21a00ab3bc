"""Small asyncio helpers."""

from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, seconds: float) -> bool:
    """Wait until `event` is set or `seconds` pass; True if it was set.

    Not `asyncio.wait_for`: on Python 3.11 it can swallow a cancellation that arrives as
    its timeout fires, and a stopping task would then wait on forever."""
    if event.is_set():
        return True
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({waiter}, timeout=seconds)
    finally:
        waiter.cancel()
    return event.is_set()
