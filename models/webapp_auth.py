"""Who is opening the officers' web board: the Telegram Mini App's `initData`, checked.

The board runs in Telegram's in-app browser, which hands the page a query string
(`Telegram.WebApp.initData`) describing the person who opened it. The page sends it to the
bot's web server with every request; anyone can type such a string, so the server believes
it only when it carries Telegram's signature, computed exactly as Telegram specifies
(https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):

    data_check_string = "\\n".join(f"{key}={value}" for every field but `hash`, sorted by key)
    secret_key        = HMAC_SHA256(key=b"WebAppData", msg=bot_token)
    hash              = hex(HMAC_SHA256(key=secret_key, msg=data_check_string))

Only Telegram and this bot know the token, so a matching hash means Telegram wrote every
field (new fields Telegram adds, such as `signature`, are covered the same way: all fields
but `hash` are signed). A signed string stays valid forever, so its `auth_date` must also be
recent: a string copied out of a log or a shared screen must not open the board a week later.

Everything that is not a recent, signed string naming a person raises one exception,
`InitDataError`, with a short reason for the log ("missing", "malformed", "bad_signature",
"expired", "future", "no_user"); the web layer answers 401 whatever the reason, so a
forger learns nothing about which part was wrong.

Pure: no Telegram, no database, no clock of its own (the caller passes `now`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal
from urllib.parse import parse_qsl, quote, urlencode

Reason = Literal["missing", "malformed", "bad_signature", "expired", "future", "no_user"]

# Telegram's initData is a few hundred characters (the user JSON with a photo URL is the
# longest field); anything much longer is not from Telegram and is refused before parsing.
MAX_LENGTH: Final = 4096
# How long a signed string opens the board. Telegram re-signs it every time the app opens.
MAX_AGE: Final = timedelta(hours=24)
# The two clocks (Telegram's and this server's) may disagree a little; more than this is a
# string signed "in the future", which a correct server never sees.
FUTURE_SKEW: Final = timedelta(minutes=1)

_SECRET_SALT: Final = b"WebAppData"
_UNIX_SECONDS: Final = re.compile(r"[0-9]{1,12}")


class InitDataError(Exception):
    """The initData does not prove who is asking; `reason` is for the log only."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason: Reason = reason


@dataclass(frozen=True, slots=True)
class WebAppUser:
    """The person Telegram vouches for, and when Telegram signed it (UTC)."""

    id: int
    first_name: str
    language_code: str | None
    auth_date: datetime


def _secret_key(bot_token: str) -> bytes:
    if not bot_token:
        raise ValueError("the bot token is empty")
    return hmac.new(_SECRET_SALT, bot_token.encode(), hashlib.sha256).digest()


def _data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields))


def _signature(bot_token: str, fields: dict[str, str]) -> str:
    message = _data_check_string(fields).encode()
    return hmac.new(_secret_key(bot_token), message, hashlib.sha256).hexdigest()


def sign_init_data(bot_token: str, fields: dict[str, str]) -> str:
    """An initData string Telegram would send for `fields` (e.g. `auth_date`, `user` as JSON).

    For tests and the browser tests, which open the board as a given person; the bot itself
    never needs to sign. Spaces are encoded `%20`, as Telegram's clients do."""
    if "hash" in fields:
        raise ValueError("`hash` is computed, not given")
    signed = {**fields, "hash": _signature(bot_token, fields)}
    return urlencode(signed, quote_via=quote)


def _parse(init_data: str) -> dict[str, str]:
    """The fields, or "malformed" for anything a browser would not send: no `=`, bad
    percent-encoding or UTF-8, or a key given twice (which copy would be believed?)."""
    try:
        pairs = parse_qsl(
            init_data,
            keep_blank_values=True,
            strict_parsing=True,
            errors="strict",
            max_num_fields=64,
        )
    except ValueError:  # includes UnicodeDecodeError
        raise InitDataError("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("malformed")
    return fields


def _user(raw: str, auth_date: datetime) -> WebAppUser:
    try:
        user = json.loads(raw)
    except ValueError:
        raise InitDataError("malformed") from None
    if not isinstance(user, dict):
        raise InitDataError("malformed")
    user_id = user.get("id")
    first_name = user.get("first_name")
    language_code = user.get("language_code")
    if (
        not isinstance(user_id, int)
        or isinstance(user_id, bool)
        or user_id <= 0
        or not isinstance(first_name, str)
        or not (language_code is None or isinstance(language_code, str))
    ):
        raise InitDataError("malformed")
    return WebAppUser(user_id, first_name, language_code, auth_date)


def validate_init_data(
    init_data: str | None,
    bot_token: str,
    *,
    now: datetime,
    max_age: timedelta = MAX_AGE,
) -> WebAppUser:
    """The person behind `init_data` if Telegram signed it with this bot's token within
    `max_age` before `now`; otherwise `InitDataError`. The signature is checked before any
    field is believed (a forged `auth_date` or `user` is a bad signature, not "expired")."""
    if now.tzinfo is None:
        raise ValueError("`now` must be an aware datetime")
    if not init_data:
        raise InitDataError("missing")
    if len(init_data) > MAX_LENGTH:
        raise InitDataError("malformed")
    fields = _parse(init_data)
    received = fields.pop("hash", None)
    if received is None:
        raise InitDataError("missing")
    expected = _signature(bot_token, fields)
    # Constant time, on bytes: compare_digest refuses a str that is not ASCII, and a hash of
    # any shape is simply wrong.
    if not hmac.compare_digest(expected.encode(), received.encode()):
        raise InitDataError("bad_signature")

    raw_date = fields.get("auth_date", "")
    if not _UNIX_SECONDS.fullmatch(raw_date):
        raise InitDataError("malformed")
    auth_date = datetime.fromtimestamp(int(raw_date), UTC)
    if auth_date - now > FUTURE_SKEW:
        raise InitDataError("future")
    if now - auth_date > max_age:
        raise InitDataError("expired")

    raw_user = fields.get("user")
    if raw_user is None:
        raise InitDataError("no_user")
    return _user(raw_user, auth_date)
