"""The network as it is on a county's server, with the bot as a process: the Bot API not
reachable yet at start (one line per attempt, then serving when it answers), a token
BotFather revoked (one line, exit 2), and every call — polling and sending — through a real
HTTP or SOCKS5 proxy (pproxy) when the direct route to the API does not exist."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.botproc import BotProcess, bot_env, seed_database
from tests.fake_bot_api import FakeBotAPI
from tests.test_operations import free_port, onboard

# A name only the proxy can resolve (`.test` is reserved: no DNS answers it), so the bot
# reaches the fake Bot API through the proxy or not at all.
HIDDEN = "telegram.test"
# pproxy in its own process, resolving HIDDEN to the fake (the bot's process cannot)
PROXY = """
import socket, sys
real = socket.getaddrinfo
def getaddrinfo(host, *args, **kwargs):
    return real("127.0.0.1" if host == "{hidden}" else host, *args, **kwargs)
socket.getaddrinfo = getaddrinfo
import pproxy.server
sys.argv = ["pproxy", "-l", sys.argv[1]]
pproxy.server.main()
"""


def _lines(log: str, words: str) -> list[str]:
    return [line for line in log.splitlines() if words in line]


def test_an_unreachable_api_at_start_is_one_line_per_attempt_then_served(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "patrol.db"
    seed = seed_database(db_path, 1)
    port = free_port()  # nothing listens there yet: connections are refused
    env = bot_env(db_path, FakeBotAPI(), PATROL_API_BASE_URL=f"http://127.0.0.1:{port}/bot")
    bot = BotProcess(env, tmp_path / "bot.log")
    bot.start()
    api: FakeBotAPI | None = None
    try:
        deadline = time.monotonic() + 30
        while not _lines(bot.log(), "cannot reach the Bot API") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert bot.returncode is None  # still running, trying again
        api = FakeBotAPI(port=port).start()
        api.wait_for(lambda: api is not None and api.count("getUpdates") > 0, 30, "polling")
        onboard(api, 5001, seed.codes[0], "王芳")
        assert bot.terminate() < 10
    finally:
        if bot.returncode is None:
            bot.kill()
        if api is not None:
            api.stop()
    log = bot.log()
    failures = _lines(log, "cannot reach the Bot API")
    assert failures and all(f"127.0.0.1:{port}" in line for line in failures)
    assert all("PATROL_PROXY_URL" in line for line in failures)
    assert "Traceback" not in log


def test_a_rejected_token_is_one_line_and_exit_2(tmp_path: Path) -> None:
    db_path = tmp_path / "patrol.db"
    seed_database(db_path, 1)
    api = FakeBotAPI().start()
    api.unauthorized = True
    bot = BotProcess(bot_env(db_path, api), tmp_path / "bot.log")
    try:
        bot.start()
        assert bot.proc is not None
        assert bot.proc.wait(timeout=30) == 2
    finally:
        api.stop()
    log = bot.log()
    assert len(_lines(log, "rejects the token")) == 1
    assert "PATROL_BOT_TOKEN" in log and "Traceback" not in log


@pytest.mark.parametrize("scheme", ["http", "socks5"])
def test_polling_and_sending_through_a_proxy(tmp_path: Path, scheme: str) -> None:
    db_path = tmp_path / "patrol.db"
    seed = seed_database(db_path, 1)
    api = FakeBotAPI().start()
    api_port = int(api.base_url.split(":")[2].split("/")[0])
    proxy_port = free_port()
    proxy = subprocess.Popen(
        [sys.executable, "-c", PROXY.format(hidden=HIDDEN), f"{scheme}://127.0.0.1:{proxy_port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = bot_env(
        db_path,
        api,
        PATROL_API_BASE_URL=f"http://{HIDDEN}:{api_port}/bot",
        # (socks5h: the proxy resolves the name, as it must for a name only it knows)
        PATROL_PROXY_URL=f"{'socks5h' if scheme == 'socks5' else 'http'}://127.0.0.1:{proxy_port}",
    )
    bot = BotProcess(env, tmp_path / "bot.log")
    try:
        bot.start()
        api.wait_for(lambda: api.count("getUpdates") > 0, 60, "polling through the proxy")
        onboard(api, 5001, seed.codes[0], "王芳")  # answered: sending goes through it too
        assert bot.terminate() < 10
    finally:
        if bot.returncode is None:
            bot.kill()
        proxy.terminate()
        proxy.wait(timeout=10)
        api.stop()
    assert api.hosts == {f"{HIDDEN}:{api_port}"}  # every call came by the hidden name
    assert "Traceback" not in bot.log()
