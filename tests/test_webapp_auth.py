"""The Mini App's initData (models/webapp_auth.py): only a recent string signed with this
bot's token names a person; every other string is refused with one exception type."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from models.webapp_auth import (
    MAX_LENGTH,
    InitDataError,
    WebAppUser,
    sign_init_data,
    validate_init_data,
)

TOKEN = "123456:AAE-test-token-for-the-web-board"
NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
USER = json.dumps(
    {"id": 279058397, "first_name": "木兰", "last_name": "巡防", "language_code": "zh-hans"},
    ensure_ascii=False,
    separators=(",", ":"),
)


def _fields(**extra: str) -> dict[str, str]:
    return {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": USER,
        "auth_date": str(int(NOW.timestamp()) - 60),
        **extra,
    }


def _refused(init_data: str | None, *, token: str = TOKEN, now: datetime = NOW) -> str:
    with pytest.raises(InitDataError) as caught:
        validate_init_data(init_data, token, now=now)
    return caught.value.reason


def test_a_signed_string_names_the_person() -> None:
    user = validate_init_data(sign_init_data(TOKEN, _fields()), TOKEN, now=NOW)
    assert user == WebAppUser(
        id=279058397,
        first_name="木兰",
        language_code="zh-hans",
        auth_date=NOW - timedelta(minutes=1),
    )
    # a user without a language (Telegram leaves the field out)
    bare = json.dumps({"id": 7, "first_name": "A"})
    user = validate_init_data(sign_init_data(TOKEN, _fields(user=bare)), TOKEN, now=NOW)
    assert (user.id, user.language_code) == (7, None)


def test_the_algorithm_step_by_step() -> None:
    """A test vector computed here, by hand, from Telegram's description (not by the module):
    the module accepts it, and signs the same fields with the same hash."""
    fields = {"auth_date": "1740815940", "query_id": "AAH", "user": '{"id":42,"first_name":"Li"}'}
    # 1. every field but `hash`, as key=value, sorted by key, joined by a line feed
    data_check_string = 'auth_date=1740815940\nquery_id=AAH\nuser={"id":42,"first_name":"Li"}'
    # 2. the secret key: HMAC-SHA256 of the bot token, keyed with the constant "WebAppData"
    secret_key = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    # 3. the hash: hex HMAC-SHA256 of the data-check-string, keyed with the secret key
    expected = hmac.new(secret_key, data_check_string.encode(), hashlib.sha256).hexdigest()
    # 4. sent percent-encoded, in any order (here: the hash first, the user in the middle)
    init_data = (
        f"hash={expected}&auth_date=1740815940&user={quote(fields['user'], safe='')}&query_id=AAH"
    )
    user = validate_init_data(init_data, TOKEN, now=datetime(2025, 3, 1, 8, 0, tzinfo=UTC))
    assert (user.id, user.first_name) == (42, "Li")
    assert f"hash={expected}" in sign_init_data(TOKEN, fields)
    # the order of HMAC's arguments matters: swapping key and message gives another hash
    swapped = hmac.new(TOKEN.encode(), b"WebAppData", hashlib.sha256).digest()
    assert hmac.new(swapped, data_check_string.encode(), hashlib.sha256).hexdigest() != expected


def test_a_changed_field_breaks_the_signature() -> None:
    signed = sign_init_data(TOKEN, _fields())
    assert _refused(signed.replace("279058397", "279058398")) == "bad_signature"
    # a field added after signing
    assert _refused(signed + "&chat_type=sender") == "bad_signature"
    # a field taken out
    dropped = "&".join(p for p in signed.split("&") if not p.startswith("query_id="))
    assert _refused(dropped) == "bad_signature"


def test_a_changed_hash_is_refused() -> None:
    signed = sign_init_data(TOKEN, _fields())
    head, digest = signed.rsplit("hash=", 1)
    flipped = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    assert _refused(f"{head}hash={flipped}") == "bad_signature"
    assert _refused(f"{head}hash={digest.upper()}") == "bad_signature"
    assert _refused(f"{head}hash=") == "bad_signature"
    assert _refused(f"{head}hash=%E6%9C%A8") == "bad_signature"  # not ASCII


def test_a_string_signed_with_another_token_is_refused() -> None:
    other = sign_init_data("654321:AAE-another-bot", _fields())
    assert _refused(other) == "bad_signature"


def test_an_old_string_has_expired() -> None:
    signed = sign_init_data(TOKEN, _fields())
    signed_at = NOW - timedelta(minutes=1)
    later = signed_at + timedelta(hours=24)
    assert validate_init_data(signed, TOKEN, now=later).id == 279058397
    assert _refused(signed, now=later + timedelta(seconds=1)) == "expired"
    shorter = NOW + timedelta(minutes=10)
    with pytest.raises(InitDataError, match="expired"):
        validate_init_data(signed, TOKEN, now=shorter, max_age=timedelta(minutes=5))


def test_a_string_from_the_future_is_refused() -> None:
    ahead = _fields(auth_date=str(int(NOW.timestamp()) + 61))
    assert _refused(sign_init_data(TOKEN, ahead)) == "future"
    # a little clock skew is fine
    skew = _fields(auth_date=str(int(NOW.timestamp()) + 60))
    assert validate_init_data(sign_init_data(TOKEN, skew), TOKEN, now=NOW).auth_date > NOW


def test_nothing_or_no_hash_is_missing() -> None:
    assert _refused(None) == "missing"
    assert _refused("") == "missing"
    signed = sign_init_data(TOKEN, _fields())
    without_hash = "&".join(p for p in signed.split("&") if not p.startswith("hash="))
    assert _refused(without_hash) == "missing"


def test_a_signed_string_without_a_user_names_nobody() -> None:
    fields = _fields()
    del fields["user"]
    assert _refused(sign_init_data(TOKEN, fields)) == "no_user"


@pytest.mark.parametrize(
    "user",
    [
        "{not json",
        "[1, 2]",
        '"a string"',
        '{"first_name": "no id"}',
        '{"id": "42", "first_name": "id as text"}',
        '{"id": true, "first_name": "id as a bool"}',
        '{"id": -5, "first_name": "negative"}',
        '{"id": 42}',
        '{"id": 42, "first_name": "A", "language_code": 7}',
    ],
)
def test_a_signed_but_malformed_user_is_refused(user: str) -> None:
    assert _refused(sign_init_data(TOKEN, _fields(user=user))) == "malformed"


@pytest.mark.parametrize("auth_date", ["", "soon", "-5", "1.5", "١٧٤٠٨١٥٩٤٠", "9" * 13])
def test_a_signed_but_malformed_date_is_refused(auth_date: str) -> None:
    assert _refused(sign_init_data(TOKEN, _fields(auth_date=auth_date))) == "malformed"


def test_a_key_given_twice_is_refused() -> None:
    """Which copy would be believed? Neither: parse_qsl keeps both, a dict the last."""
    signed = sign_init_data(TOKEN, _fields())
    assert _refused(signed + "&user=" + quote('{"id":1,"first_name":"X"}')) == "malformed"
    assert _refused(signed + "&" + signed.rsplit("&", 1)[1]) == "malformed"  # the hash twice


def test_an_oversize_or_broken_string_is_malformed() -> None:
    padded = sign_init_data(TOKEN, _fields(padding="x" * MAX_LENGTH))
    assert len(padded) > MAX_LENGTH
    assert _refused(padded) == "malformed"
    fits = sign_init_data(TOKEN, _fields(padding="x" * (MAX_LENGTH - 600)))
    assert len(fits) <= MAX_LENGTH
    assert validate_init_data(fits, TOKEN, now=NOW).id == 279058397
    signed = sign_init_data(TOKEN, _fields())
    assert _refused(signed + "&no-equals-sign") == "malformed"
    assert _refused(signed + "&bad=%FF%FE") == "malformed"  # not UTF-8
    assert _refused("&".join(f"k{i}=v" for i in range(100))) == "malformed"


def test_the_reason_is_all_a_caller_learns() -> None:
    signed = sign_init_data(TOKEN, _fields())
    with pytest.raises(InitDataError) as caught:
        validate_init_data(signed, "654321:AAE-another-bot", now=NOW)
    assert str(caught.value) == "bad_signature"
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_programming_errors_are_not_init_data_errors() -> None:
    signed = sign_init_data(TOKEN, _fields())
    with pytest.raises(ValueError, match="aware"):
        validate_init_data(signed, TOKEN, now=datetime(2025, 3, 1, 8, 0))
    with pytest.raises(ValueError, match="computed"):
        sign_init_data(TOKEN, {"hash": "x"})
    with pytest.raises(ValueError, match="empty"):
        sign_init_data("", _fields())
