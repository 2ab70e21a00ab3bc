"""Pending people: who an office's roster says will join (`python bot.py import-roster`), and
the one rule the import and onboarding share: when two names are the same person's
(`name_key`: spaces, full-width letters and the middle dots of minority names do not count).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from models.org import PartnerType, Role

# A newcomer has this long after the import to join; then the retention job deletes the row
# (a phone number nobody is using stays no longer than that). A matched row goes the same
# time after its match: the person's own record has the phone by then.
PENDING_DAYS = 180
# the middle dots of transliterated names (阿依古丽·买买提), written in many ways
_DOTS = str.maketrans(dict.fromkeys("・･•‧∙⋅.．", "·"))


def name_key(name: str) -> str:
    """What two spellings of one name have in common: no spaces, half-width, one middle dot,
    lower case (`王 芳` = `王芳`, `ＬＩ Ｎａ` = `Li Na`)."""
    text = unicodedata.normalize("NFKC", name).translate(_DOTS)
    return "".join(text.split()).casefold()


class PendingPerson(BaseModel):
    """A roster row waiting for its person to join."""

    model_config = ConfigDict(frozen=True)

    id: int
    station_id: int
    office_id: int | None
    name: str
    name_key: str
    phone: str | None
    role: Role
    partner_type: PartnerType | None
    source: str
    source_row: int
    imported_at: datetime
    matched_person_id: int | None = None
    matched_at: datetime | None = None
