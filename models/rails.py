"""What the rails carry, as the layers above the store see it: an outbox row, a timer row,
and the outbox's priorities (models/store/rails_repo.py reads and writes them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Outbox priorities (the `urgent` column): bulk work (broadcasts, tips, reminders), a direct
# reply to what someone just did, and what must never wait (backup calls, escalation steps,
# report cards). Higher goes first; the sender and the rate limiter keep room for URGENT.
BULK, REPLY, URGENT = 0, 1, 2


@dataclass(frozen=True)
class OutboxItem:
    id: int
    chat_id: int
    method: str
    payload: dict[str, Any]
    priority: int
    status: str
    edit_of: int | None
    ref: str | None
    attempts: int
    next_attempt_at: datetime
    possible_duplicate: bool
    message_id: int | None
    error: str | None
    created_at: datetime

    @property
    def urgent(self) -> bool:
        return self.priority >= URGENT


@dataclass(frozen=True)
class Timer:
    id: int
    kind: str
    key: str
    due_at: datetime
    payload: dict[str, Any]
    attempts: int
    done_at: datetime | None
    outcome: str | None
