"""Per-account inbound limits: one account's flood costs nobody else anything.

Every update is stored and marked done (so nothing is fetched twice), but a flooding account
gets no work done for it and no answers beyond the ones below. Counted in memory, by the
sender's Telegram id, on the monotonic clock (a restart forgets the counts: that is one more
answer at most). The gatekeeper asks before anything else is done for the update.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum

# An unknown person (no invitation) hears from the bot at most once a minute, however much
# they send: enough to learn they need an invitation, too little to make the bot a spam relay
# or to keep its sending share busy.
STRANGER_ANSWER_EVERY = 60.0
# A person taps a button or sends a message every second or two at the most; more than 20 in
# any 10 seconds is a script or a stuck key. Beyond it they are told once and ignored until
# they slow down.
FLOOD_WINDOW = 10.0
FLOOD_LIMIT = 20
# Backup and report actions (the buttons and messages of a call for help or a report) are
# never dropped at human speed: they are counted against this higher bound only, which no
# person reaches by hand (six a second for ten seconds).
URGENT_LIMIT = 60
# Accounts remembered at most before the quiet ones are forgotten.
REMEMBERED = 10_000


class Verdict(Enum):
    GO = "go"  # process it
    WARN = "warn"  # tell them to slow down (once per flood), then drop it
    DROP = "drop"  # nothing is done, nothing is said


class InboundLimits:
    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self.flood_limit = FLOOD_LIMIT
        self.urgent_limit = URGENT_LIMIT
        self.stranger_every = STRANGER_ANSWER_EVERY
        self._seen: dict[int, deque[float]] = {}
        self._warned: set[int] = set()
        self._stranger_answered: dict[int, float] = {}
        self.dropped = 0  # updates dropped since the start (for the log and the benchmark)

    def stranger(self, user_id: int) -> Verdict:
        """An unknown person's update: the first in a minute goes on, the rest are dropped."""
        now = self._now()
        last = self._stranger_answered.get(user_id)
        if last is not None and now - last < self.stranger_every:
            self.dropped += 1
            return Verdict.DROP
        if len(self._stranger_answered) > REMEMBERED:
            self._stranger_answered = {
                k: v for k, v in self._stranger_answered.items() if now - v < self.stranger_every
            }
        self._stranger_answered[user_id] = now
        return Verdict.GO

    def count(self, user_id: int) -> int:
        """Record one update of this account; how many it sent in the last `FLOOD_WINDOW`."""
        now = self._now()
        seen = self._seen.get(user_id)
        if seen is None:
            if len(self._seen) > REMEMBERED:
                self._forget_quiet(now)
            seen = self._seen[user_id] = deque()
        while seen and seen[0] <= now - FLOOD_WINDOW:
            seen.popleft()
        seen.append(now)
        if len(seen) <= self.flood_limit:
            self._warned.discard(user_id)  # slowed down: a new flood is told again
        return len(seen)

    def verdict(self, user_id: int, count: int, urgent: bool) -> Verdict:
        """What to do with an update that made `count` in the window."""
        if count <= self.flood_limit or (urgent and count <= self.urgent_limit):
            return Verdict.GO
        self.dropped += 1
        if user_id in self._warned:
            return Verdict.DROP
        self._warned.add(user_id)
        return Verdict.WARN

    def _forget_quiet(self, now: float) -> None:
        self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - FLOOD_WINDOW}
        self._warned &= set(self._seen)
