"""The privacy guard every in-process test runs when its harness stops: nothing the bot sent
to a group that is not a registered staff group (village groups, unregistered groups) may
carry a person's name (a name on an imported roster too), a phone number, an incident's
description, address or position, or an incident photo; no location is ever sent to such a
group."""

from __future__ import annotations

from typing import Any

from models.store.retention_repo import phone_spans
from tests.fakes import Call

MIN_NAME = 2  # single letters are not names worth matching
MIN_TEXT = 6  # a description shorter than this is too common a phrase to match on


def _words(call: Call) -> str:
    parts = [str(call.params.get(key) or "") for key in ("text", "caption")]
    markup = call.params.get("reply_markup")
    if markup:
        parts.append(str(markup))
    return "\n".join(parts)


async def violations(db: Any, calls: list[Call]) -> list[str]:
    """What each call to a non-staff group gave away, if anything."""
    staff = {
        int(r["chat_id"])
        for r in await db.fetch_all("SELECT chat_id FROM chat_groups WHERE kind = 'staff'")
    }
    # people who joined, and those an imported roster says will join
    names = {
        str(r["name"])
        for r in await db.fetch_all(
            "SELECT name FROM people UNION SELECT name FROM pending_people"
        )
        if len(str(r["name"])) >= MIN_NAME
    }
    phones = {
        str(r["phone"])
        for r in await db.fetch_all(
            "SELECT phone FROM people UNION SELECT phone FROM pending_people"
        )
        if r[0]
    }
    secrets: set[str] = set()
    places: set[str] = set()
    for r in await db.fetch_all(
        "SELECT description, address, latitude, longitude, outcome_note FROM reports"
    ):
        for text in (r["description"], r["address"], r["outcome_note"]):
            if text and len(str(text)) >= MIN_TEXT:
                secrets.add(str(text))
        if r["latitude"] is not None:
            places.add(f"{float(r['latitude']):.4f}")
    for r in await db.fetch_all(
        "SELECT latitude FROM backup_requests WHERE latitude IS NOT NULL"
        " UNION SELECT latitude FROM checkins WHERE latitude IS NOT NULL"
    ):
        places.add(f"{float(r[0]):.4f}")
    photos = {
        str(r["file_id"]) for r in await db.fetch_all("SELECT file_id FROM report_attachments")
    }
    found = []
    for call in calls:
        chat_id = call.chat_id
        if chat_id is None or chat_id >= 0 or chat_id in staff:
            continue
        if call.method in (
            "sendLocation",
            "sendVenue",
            "forwardMessage",
            "sendVoice",
            "sendDocument",  # an export, say
            "sendMediaGroup",
        ):
            found.append(f"{call.method} to group {chat_id}")
            continue
        words = _words(call)
        if call.method == "sendPhoto" and str(call.params.get("photo")) in photos:
            found.append(f"an incident photo to group {chat_id}")
        for name in names:
            if name in words:
                found.append(f"the name {name!r} to group {chat_id}: {words[:120]!r}")
        for phone in phones:
            if phone in words:
                found.append(f"the phone {phone!r} to group {chat_id}")
        for start, end in phone_spans(words):
            found.append(f"a phone number {words[start:end]!r} to group {chat_id}")
        for text in secrets:
            if text in words or text[: MIN_TEXT * 2] in words:
                found.append(f"an incident text to group {chat_id}: {text[:40]!r}")
        for place in places:
            if place in words:
                found.append(f"a position ({place}) to group {chat_id}")
    return found
