"""Operations, with the bot as a subprocess: webhook secret, the token never logged, one
instance per database, a clean SIGTERM, and an online backup."""

from __future__ import annotations

import http.client
import json
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.botproc import ROOT, BotProcess, bot_env, query, seed_database
from tests.fake_bot_api import FakeBotAPI, Faults
from tests.fakes import TOKEN


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    fake = FakeBotAPI().start()
    yield fake
    fake.stop()


def onboard(api: FakeBotAPI, user_id: int, code: str, name: str) -> None:
    api.text(user_id, f"/start {code}")
    api.press(user_id, "onb:lang:zh_CN")
    api.text(user_id, name)
    api.text(user_id, "跳过")
    api.wait_for(
        lambda: any("登记完成" in t for t in api.received(user_id)), 90, f"{name} registered"
    )


def started(api: FakeBotAPI) -> None:
    api.wait_for(lambda: api.count("getUpdates") > 0, 30, "the bot to poll")


def test_token_never_appears_in_debug_logs(tmp_path: Path) -> None:
    seed = seed_database(tmp_path / "patrol.db", 2)
    api = FakeBotAPI(Faults(rate=0.2, methods={"sendMessage"}, seed=3)).start()
    bot = BotProcess(
        bot_env(tmp_path / "patrol.db", api, PATROL_LOG_LEVEL="DEBUG"), tmp_path / "bot.log"
    )
    try:
        bot.start()
        started(api)
        onboard(api, 5001, seed.codes[0], "王芳")
        api.text(5001, "/nonsense")
        api.wait_for(lambda: any("没有这个命令" in t for t in api.received(5001)), 90, "the reply")
        assert bot.terminate() < 10
    finally:
        api.stop()
    log = bot.log()
    assert "DEBUG" in log and "getUpdates" in log  # it really logged at DEBUG
    secret = TOKEN.split(":", 1)[1]
    assert TOKEN not in log and secret not in log


def test_second_instance_on_the_same_database_refuses_to_start(
    tmp_path: Path, api: FakeBotAPI
) -> None:
    seed_database(tmp_path / "patrol.db", 1)
    env = bot_env(tmp_path / "patrol.db", api)
    first = BotProcess(env, tmp_path / "first.log")
    first.start()
    try:
        started(api)
        second = subprocess.run(
            [sys.executable, str(ROOT / "bot.py")],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2
        assert "another instance" in second.stderr
        assert first.returncode is None
    finally:
        first.terminate()


def test_sigterm_finishes_and_closes_the_database_cleanly(tmp_path: Path, api: FakeBotAPI) -> None:
    db_path = tmp_path / "patrol.db"
    seed = seed_database(db_path, 2)
    bot = BotProcess(bot_env(db_path, api), tmp_path / "bot.log")
    bot.start()
    started(api)
    onboard(api, 5001, seed.codes[0], "王芳")
    last = api.text(5001, "/help")
    took = bot.terminate()
    assert took < 10 and bot.returncode == 0
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert not Path(f"{db_path}-wal").exists() or Path(f"{db_path}-wal").stat().st_size == 0
    # the update sent just before the signal was processed, or is kept for the next start
    done = query(db_path, "SELECT done_at IS NOT NULL FROM inbox WHERE update_id = ?", (last,))
    if done != [(1,)]:
        bot.start()
        api.wait_for(
            lambda: (
                query(
                    db_path, "SELECT done_at IS NOT NULL FROM inbox WHERE update_id = ?", (last,)
                )
                == [(1,)]
            ),
            60,
            "the kept update processed",
        )
        bot.terminate()
    assert query(db_path, "SELECT COUNT(*) FROM inbox WHERE done_at IS NULL") == [(0,)]


def test_online_backup_is_a_consistent_copy(tmp_path: Path, api: FakeBotAPI) -> None:
    db_path = tmp_path / "patrol.db"
    seed = seed_database(db_path, 2)
    bot = BotProcess(bot_env(db_path, api), tmp_path / "bot.log")
    bot.start()
    try:
        started(api)
        onboard(api, 5001, seed.codes[0], "王芳")
        copy = tmp_path / "backups" / "copy.db"
        result = subprocess.run(
            [sys.executable, str(ROOT / "bot.py"), "backup", str(copy)],
            env=bot_env(db_path, api),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        with sqlite3.connect(copy) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            names = [r[0] for r in conn.execute("SELECT name FROM people WHERE role='member'")]
        assert names == ["王芳"]
        again = subprocess.run(
            [sys.executable, str(ROOT / "bot.py"), "backup", str(copy)],
            env=bot_env(db_path, api),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert again.returncode == 2 and "not overwriting" in again.stderr
    finally:
        bot.terminate()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post(port: int, body: dict[str, object], secret: str | None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    conn.request("POST", "/hook", json.dumps(body), headers)
    status = conn.getresponse().status
    conn.close()
    return status


def webhook_bot(tmp_path: Path, api: FakeBotAPI, secret: str) -> tuple[BotProcess, Path, int]:
    """The bot in webhook mode on a free port (started); its database and port."""
    db_path = tmp_path / "patrol.db"
    seed_database(db_path, 1)
    port = free_port()
    env = bot_env(
        db_path,
        api,
        PATROL_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        PATROL_WEBHOOK_SECRET=secret,
        PATROL_LISTEN=f"127.0.0.1:{port}",
    )
    bot = BotProcess(env, tmp_path / "bot.log")
    bot.start()
    return bot, db_path, port


def hello(update_id: int, user_id: int) -> dict[str, object]:
    """A private "hello" as Telegram posts it to a webhook."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1790000000,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "X", "language_code": "en"},
            "text": "hello",
        },
    }


def test_webhook_mode_enforces_the_secret(tmp_path: Path, api: FakeBotAPI) -> None:
    bot, db_path, port = webhook_bot(tmp_path, api, "s3cret-Value_1")
    try:
        api.wait_for(lambda: api.webhook is not None, 30, "setWebhook")
        assert api.webhook is not None and api.webhook["secret_token"] == "s3cret-Value_1"
        api.wait_for(lambda: _listening(port), 30, "the webhook server")
        update = hello(77, 5005)
        assert post(port, update, None) == 403
        assert post(port, update, "wrong") == 403
        assert api.received(5005) == []
        assert post(port, update, "s3cret-Value_1") == 200
        api.wait_for(lambda: api.received(5005) != [], 30, "the reply")
        assert "invitation link" in api.received(5005)[0]
        assert query(db_path, "SELECT COUNT(*) FROM inbox WHERE update_id = 77") == [(1,)]
    finally:
        bot.terminate()
    assert "s3cret-Value_1" not in bot.log()


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _rss_kb(bot: BotProcess) -> int:
    assert bot.proc is not None
    status = Path(f"/proc/{bot.proc.pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))


def _post_huge(port: int, size: int, secret: str | None) -> int | None:
    """POST `size` bytes, the way an attacker would (Content-Length announced, the body
    streamed); the status, or None when the server closed the connection first."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        headers = [
            "POST /hook HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Content-Type: application/json",
            f"Content-Length: {size}",
        ]
        if secret is not None:
            headers.append(f"X-Telegram-Bot-Api-Secret-Token: {secret}")
        chunk = b"x" * (1024 * 1024)
        try:
            sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
            for _ in range(size // len(chunk)):
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the body was read: what we want
        try:
            answer = sock.recv(256)
        except (ConnectionResetError, TimeoutError):
            return None
    return int(answer.split()[1]) if answer.startswith(b"HTTP/") else None


def test_webhook_without_a_configured_secret_generates_one_and_reads_no_body_unasked(
    tmp_path: Path, api: FakeBotAPI
) -> None:
    """PATROL_WEBHOOK_SECRET left empty (as env.example ships it): the bot generates a
    secret, keeps it, registers it with setWebhook and says so in one line; an update
    without it is refused, Telegram's (with it) accepted. 50 MB bodies — with a wrong
    secret, or with the right one — are refused without the process growing."""
    bot, db_path, port = webhook_bot(tmp_path, api, "")
    try:
        api.wait_for(lambda: api.webhook is not None, 30, "setWebhook")
        assert api.webhook is not None
        secret = str(api.webhook.get("secret_token") or "")
        assert len(secret) >= 32
        api.wait_for(lambda: _listening(port), 30, "the webhook server")
        update = hello(78, 5006)
        assert post(port, update, None) == 403
        assert post(port, update, "") == 403
        assert api.received(5006) == []
        before = _rss_kb(bot)
        for _ in range(3):
            assert _post_huge(port, 50 * 1024 * 1024, "wrong") in (403, None)
        assert _post_huge(port, 50 * 1024 * 1024, secret) in (413, None)
        grown = _rss_kb(bot) - before
        assert grown < 20 * 1024, f"RSS grew by {grown} kB"
        assert post(port, update, secret) == 200
        api.wait_for(lambda: api.received(5006) != [], 30, "the reply")
        stored = query(db_path, "SELECT value FROM deployment WHERE key = 'webhook_secret'")
        assert stored == [(secret,)]
    finally:
        bot.terminate()
    log = bot.log()
    assert secret not in log
    assert sum("PATROL_WEBHOOK_SECRET is not set" in line for line in log.splitlines()) == 1
