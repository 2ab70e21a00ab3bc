"""Health: the check behind the heartbeat and /healthz, the heartbeat called only while the
bot is well, and both seen from outside a running bot process."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
from datetime import timedelta
from pathlib import Path

import pytest

from tests.botproc import BotProcess, bot_env, seed_database
from tests.fake_bot_api import FakeBotAPI, Faults
from tests.harness import Harness, make_settings


class Monitor:
    """A dead-man's-switch service on 127.0.0.1 that counts the calls it gets."""

    def __init__(self) -> None:
        self.calls = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/ping/abc"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        if request.startswith(b"GET /ping/abc "):
            self.calls += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK")
        await writer.drain()
        writer.close()

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


async def test_the_heartbeat_is_called_only_while_polling_sweeper_and_database_are_well(
    tmp_path: Path,
) -> None:
    monitor = Monitor()
    url = await monitor.start()
    h = Harness(make_settings(tmp_path / "patrol.db", heartbeat_url=url))
    await h.start()
    health = h.app.health
    assert health is not None
    try:
        report = await health.check()
        assert not report["ok"] and report["problems"] == ["polling", "sweeper"]
        assert not await health.beat() and monitor.calls == 0
        await h.app.bot.get_updates()  # Telegram answered a poll
        await h.services.timers.sweep()
        report = await health.check()
        assert report["ok"] and report["mode"] == "polling"
        assert await health.beat() and monitor.calls == 1
        # three minutes without an answer from Telegram: no heartbeat, the monitor alerts
        h.clock.set(h.clock.now() + timedelta(minutes=3))
        await h.services.timers.sweep()
        assert (await health.check())["problems"] == ["polling"]
        assert not await health.beat() and monitor.calls == 1
        await h.app.bot.get_updates()
        assert await health.beat() and monitor.calls == 2
        # the sweeper stopped
        h.clock.set(h.clock.now() + timedelta(minutes=3))
        await h.app.bot.get_updates()
        assert (await health.check())["problems"] == ["sweeper"]
        assert not await health.beat()
    finally:
        await h.stop()
        await monitor.stop()
    # the database closed: unhealthy
    report = await health.check()
    assert "database" in report["problems"]


async def test_an_unreachable_monitor_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once closed
    h = Harness(make_settings(tmp_path / "patrol.db", heartbeat_url=f"http://127.0.0.1:{port}/"))
    await h.start()
    try:
        await h.app.bot.get_updates()
        await h.services.timers.sweep()
        assert not await h.app.health.beat()
        assert "heartbeat to the monitor failed" in caplog.text
    finally:
        await h.stop()


def _get(port: int, path: str) -> tuple[int, dict[str, object]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    is_json = response.getheader("Content-Type", "").startswith("application/json")
    return response.status, json.loads(body) if is_json else {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_running_bot_calls_the_heartbeat(tmp_path: Path) -> None:
    db_path = tmp_path / "patrol.db"
    seed_database(db_path, 1)
    api = FakeBotAPI().start()
    bot = BotProcess(
        bot_env(
            db_path,
            api,
            PATROL_HEARTBEAT_URL=api.base_url.removesuffix("/bot") + "/monitor/heartbeat",
            PATROL_HEARTBEAT_SECONDS="1",
        ),
        tmp_path / "bot.log",
    )
    try:
        bot.start()
        api.wait_for(lambda: api.count("heartbeat") >= 2, 60, "two heartbeats")
    finally:
        bot.terminate()
        api.stop()


def test_webhook_mode_answers_healthz(tmp_path: Path) -> None:
    db_path = tmp_path / "patrol.db"
    seed_database(db_path, 1)
    api = FakeBotAPI(Faults()).start()
    port = _free_port()
    bot = BotProcess(
        bot_env(
            db_path,
            api,
            PATROL_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
            PATROL_WEBHOOK_SECRET="s3cret",
            PATROL_LISTEN=f"127.0.0.1:{port}",
        ),
        tmp_path / "bot.log",
    )
    try:
        bot.start()
        api.wait_for(lambda: api.webhook is not None, 30, "setWebhook")

        def healthy() -> bool:
            try:
                return _get(port, "/healthz")[0] == 200
            except OSError:
                return False

        api.wait_for(healthy, 30, "a healthy /healthz")
        status, report = _get(port, "/healthz")
        assert status == 200 and report["ok"] is True and report["mode"] == "webhook"
        assert report["problems"] == []
        assert _get(port, "/hook")[0] == 405  # updates are posted, not fetched
        assert bot.terminate() < 10
    finally:
        api.stop()


async def test_a_database_refusing_writes_is_unhealthy_until_a_commit(tmp_path: Path) -> None:
    """Another process holds the write lock: reads still work, but writes do not; the check
    says so (with SQLite's own words) until a write goes through again."""
    import sqlite3

    h = Harness(make_settings(tmp_path / "patrol.db"))
    await h.start()
    health = h.app.health
    assert health is not None
    try:
        await h.app.bot.get_updates()
        await h.services.timers.sweep()
        assert (await health.check())["ok"]
        foreign = sqlite3.connect(tmp_path / "patrol.db", isolation_level=None)
        foreign.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError):
            async with h.services.db.write():
                pass
        report = await health.check()
        assert report["problems"] == ["database"] and "locked" in report["database_error"]
        foreign.execute("ROLLBACK")
        foreign.close()
        async with h.services.db.write():
            pass
        assert (await health.check())["ok"]
    finally:
        await h.stop()


async def test_the_watchdog_ends_a_bot_whose_polling_stopped(tmp_path: Path) -> None:
    """Polling that has not tried getUpdates for a minute is dead: exit status 1, so that
    systemd or Docker starts the bot again, never a live process doing nothing."""
    h = Harness(make_settings(tmp_path / "patrol.db"))
    await h.start()
    health = h.app.health
    assert health is not None and health.polling is not None
    stopped: list[bool] = []
    h.app.stop_running = lambda: stopped.append(True)  # type: ignore[method-assign]
    assert h.app.updater is not None
    h.app.updater._running = True  # polling was started (its loop has died since)
    try:
        await health._watchdog(None)
        assert h.app.exit_code == 0 and not stopped  # polling tried a moment ago
        health.polling.attempted_at -= 61
        await health._watchdog(None)
        assert h.app.exit_code == 1 and stopped == [True]
    finally:
        h.app.updater._running = False
        await h.stop()
