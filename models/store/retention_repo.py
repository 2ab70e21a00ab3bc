"""What the retention job removes: the photos, voice and phone numbers of long-closed
reports, the raw transport rows (received updates, sent message texts, checked scam
texts) once they have served their purpose, and roster rows nobody joined through."""

from __future__ import annotations

import re
from datetime import datetime

from models.clock import to_db
from models.rails import REPLY
from models.store.db import Database

# a mainland mobile (138 1234 5678, 138-1234-5678, +86 13812345678) or landline number
# ((0351) 1234567, 0351-1234567), found in a copy whose full-width digits are made ASCII
PHONE = re.compile(
    r"(?<!\d)(?:\+?86[- ]?)?(?:1[3-9]\d(?:[- ]?\d{4}){2}|\(?0\d{2,3}\)?[- ]?\d{7,8})(?!\d)"
)
HALF_WIDTH = str.maketrans("０１２３４５６７８９＋－（）　", "0123456789+-() ")
REMOVED = "〔号码已删除〕"
CLOSED = ("resolved", "merged", "withdrawn")


def phone_spans(text: str) -> list[tuple[int, int]]:
    """Where phone numbers are in a text (full-width digits too: the copy maps one
    character to one, so the places are the original's)."""
    return [m.span() for m in PHONE.finditer(text.translate(HALF_WIDTH))]


def redact_phones(text: str | None) -> str | None:
    if not text:
        return text
    for start, end in reversed(phone_spans(text)):
        text = text[:start] + REMOVED + text[end:]
    return text


# Rows nobody reads again: handled updates (kept a while to recognise a redelivery),
# delivered replies (their row ordered the chat's messages; nothing refers to them) and
# timers done. Each statement deletes a bounded batch found through an index.
PRUNED = {
    "inbox": "DELETE FROM inbox WHERE update_id IN (SELECT update_id FROM inbox"
    " WHERE received_at < ? AND done_at IS NOT NULL LIMIT ?)",
    "replies": "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE created_at < ?"
    f" AND urgent = {REPLY} AND status IN ('sent', 'failed') LIMIT ?)",
    "timers": "DELETE FROM timers WHERE id IN (SELECT id FROM timers"
    " WHERE done_at IS NOT NULL AND done_at < ? LIMIT ?)",
}


class RetentionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def redact_reports(self, before: datetime, now: datetime, limit: int) -> int:
        """At most `limit` closed reports older than `before`: attachments and voice gone,
        phone numbers in their texts and events masked; returns how many were redacted."""
        marks = ",".join("?" for _ in CLOSED)
        rows = await self.db.fetch_all(
            f"SELECT id, description, address, outcome_note FROM reports WHERE redacted_at IS NULL"
            f" AND status IN ({marks}) AND COALESCE(resolved_at, created_at) < ? LIMIT ?",
            (*CLOSED, to_db(before), limit),
        )
        for row in rows:
            await self.db.execute(
                "UPDATE reports SET description = ?, address = ?, outcome_note = ?,"
                " voice_file_id = NULL, redacted_at = ? WHERE id = ?",
                (
                    redact_phones(row["description"]) or "",
                    redact_phones(row["address"]),
                    redact_phones(row["outcome_note"]),
                    to_db(now),
                    row["id"],
                ),
            )
            await self.db.execute(
                "DELETE FROM report_attachments WHERE report_id = ?", (row["id"],)
            )
            for event in await self.db.fetch_all(
                "SELECT id, detail FROM report_events WHERE report_id = ? AND detail IS NOT NULL",
                (row["id"],),
            ):
                masked = redact_phones(event["detail"])
                if masked != event["detail"]:
                    await self.db.execute(
                        "UPDATE report_events SET detail = ? WHERE id = ?", (masked, event["id"])
                    )
        return len(rows)

    async def strip_outbox(self, before: datetime, after_id: int, limit: int) -> tuple[int, int]:
        """The texts of delivered messages older than `before` (their rows stay: delivery
        counts and edits need them), walking the outbox in id order from `after_id`, at most
        `limit` rows: returns (rows stripped, the id to go on after; 0 when done)."""
        ids = [
            int(r["id"])
            for r in await self.db.fetch_all(
                "SELECT id FROM outbox WHERE id > ? AND created_at < ? ORDER BY id LIMIT ?",
                (after_id, to_db(before), limit),
            )
        ]
        if not ids:
            return 0, 0
        marks = ",".join("?" for _ in ids)
        # texts, photos, voice, positions and forwarded messages of delivered rows, and the
        # whole call of a delivered reply (`api`: its text, buttons, alert)
        stripped = await self.db.execute_count(
            "UPDATE outbox SET payload = json_remove(payload, '$.text', '$.caption',"
            " '$.reply_markup', '$.spec', '$.photo', '$.voice', '$.latitude',"
            " '$.longitude', '$.from_chat_id', '$.message_id', '$.api')"
            f" WHERE id IN ({marks}) AND status IN ('sent', 'failed') AND payload != '{{}}'",
            ids,
        )
        return stripped, (ids[-1] if len(ids) == limit else 0)

    async def strip_scam_checks(self, before: datetime, limit: int) -> int:
        """At most `limit` texts people asked the scam check about, older than `before`."""
        return await self.db.execute_count(
            "UPDATE scam_checks SET text = NULL WHERE id IN (SELECT id FROM scam_checks"
            " WHERE text IS NOT NULL AND at < ? LIMIT ?)",
            (to_db(before), limit),
        )

    async def prune(self, kind: str, before: datetime, limit: int) -> int:
        """Delete at most `limit` rows of `kind` (see PRUNED) older than `before`; the caller
        keeps each call short: a write lock held for seconds would delay a backup call."""
        return await self.db.execute_count(PRUNED[kind], (to_db(before), limit))

    async def purge_pending(self, before: datetime) -> int:
        """Roster rows (name, phone) of people who never joined, imported before `before`,
        and rows matched before it (the person's own record has what they held); returns
        how many were deleted."""
        cutoff = to_db(before)
        return await self.db.execute_count(
            "DELETE FROM pending_people WHERE (matched_at IS NULL AND imported_at < ?)"
            " OR matched_at < ?",
            (cutoff, cutoff),
        )
