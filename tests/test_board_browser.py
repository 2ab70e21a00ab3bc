"""The station board in a real headless Chromium (Debian's chromium and chromedriver, which
.ci/run installs), at phone size, over the real application and its tornado routes on
127.0.0.1: the map shows exactly the person's open reports and backup calls, acknowledging
in the app reaches the reporter in chat, a backup call made in chat appears on the open page
without a reload, in Chinese and English, light and dark. Each page's screenshot is written
to `tests/screenshots/` (git-ignored; the README shows the best ones, copied to docs/).

The browser's calls are blocking: they run in a thread while the event loop serves the
board. Telegram's own script cannot load here (no internet): the page reads initData from
the URL's fragment (`#tgWebAppData=…`), as Telegram passes it."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import tornado.httpserver
import tornado.web

from handlers import board
from tests import builders
from tests.builders import User
from tests.flows import (
    CHIEF,
    LAT,
    LON,
    MEMBER,
    OFFICER,
    ask_backup,
    submit_dispute,
    with_duty,
)
from tests.harness import Harness
from tests.test_board import init_data
from tests.test_operations import free_port

pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None or shutil.which("chromedriver") is None,
    reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)",
)

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = (390, 844)
DARK = {"bg_color": "#17212b", "text_color": "#f5f5f5", "button_color": "#5288c1"}
LIGHT = {"bg_color": "#ffffff", "text_color": "#000000", "button_color": "#3390ec"}
WAIT = 15.0  # seconds a page may take to show what it must (the board polls every 1.5 s)


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    size = f"--window-size={PHONE[0]},{PHONE[1]}"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument(size)
    browser = webdriver.Chrome(
        service=Service(shutil.which("chromedriver") or "chromedriver"), options=options
    )
    browser.set_window_size(*PHONE)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
async def served(harness: Harness) -> AsyncIterator[tuple[Harness, str, int]]:
    h = harness
    await with_duty(h)
    report_id = await submit_dispute(h)
    h.tg.clear()
    port = free_port()
    server = tornado.httpserver.HTTPServer(tornado.web.Application(board.routes(h.app)))
    server.listen(port, address="127.0.0.1")
    yield h, f"http://127.0.0.1:{port}/board/", report_id
    server.stop()
    await server.close_all_connections()


def page_url(base: str, h: Harness, user: User, theme: dict[str, str]) -> str:
    fragment = "tgWebAppData=" + quote(init_data(h, user), safe="")
    fragment += "&tgWebAppThemeParams=" + quote(json.dumps(theme), safe="")
    return base + "#" + fragment


async def until(driver: Any, check: Callable[[Any], Any], what: str) -> Any:
    """Wait (in a thread: the loop keeps serving the page) until `check` is truthy."""
    from selenium.webdriver.support.ui import WebDriverWait

    def wait() -> Any:
        return WebDriverWait(driver, WAIT, poll_frequency=0.2).until(check, what)

    return await asyncio.to_thread(wait)


async def open_board(driver: Any, url: str) -> None:
    await asyncio.to_thread(driver.get, "about:blank")
    await asyncio.to_thread(driver.get, url)
    await until(driver, lambda d: d.execute_script("return document.body.dataset.loaded"), "load")


def markers(driver: Any, kind: str) -> list[str]:
    found = f"document.querySelectorAll('#map [data-{kind}]')"
    return list(driver.execute_script(f"return Array.from({found}).map(e => e.dataset.{kind})"))


async def js(driver: Any, script: str) -> Any:
    return await asyncio.to_thread(driver.execute_script, script)


def text_of(element_id: str) -> str:
    return f"return document.getElementById('{element_id}').innerText"


def jpeg() -> bytes:
    """A small photo (a JPEG as Telegram serves them)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def shoot(driver: Any, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


async def test_the_map_shows_the_officers_open_reports_and_acknowledging_reaches_the_reporter(
    driver: Any, served: tuple[Harness, str, int]
) -> None:
    h, base, report_id = served
    h.tg.files["AgACAgIAAxkBAAIBphoto"] = jpeg()  # what Telegram keeps of her photo
    h.tg.files["AwACAgIAAxkBAAIBvoice"] = b"OggS"  # and of her voice message
    member = (await h.services.people.by_telegram(MEMBER.id)).id  # type: ignore[union-attr]
    async with h.services.db.write():
        await h.services.reports.repo.add_attachment(
            report_id, "voice", "AwACAgIAAxkBAAIBvoice", member, h.clock.now()
        )
    await open_board(driver, page_url(base, h, OFFICER, LIGHT))
    assert await asyncio.to_thread(markers, driver, "report") == [str(report_id)]
    assert await asyncio.to_thread(markers, driver, "call") == []
    tabs = await js(driver, text_of("tabs"))
    assert "地图" in tabs and "队列" in tabs
    await asyncio.to_thread(shoot, driver, "board-map-zh")
    # the report's card, then "受理" (acknowledge) — the reporter hears it in chat
    tap = "new MouseEvent('click', {bubbles: true})"
    await js(driver, f"document.querySelector('#map [data-report]').dispatchEvent({tap})")
    card = "#detail-actions button"
    await until(driver, lambda d: d.find_elements("css selector", card), "card")
    photo = "document.querySelector('#detail-body img[data-photo]')"
    loaded = f"const i = {photo}; return i && i.naturalWidth"
    assert await until(driver, lambda d: d.execute_script(loaded), "the photo") == 64
    voice = "document.querySelector('#detail-body audio[data-voice]').dataset.loaded"
    assert await until(driver, lambda d: d.execute_script(f"return {voice}"), "the voice") == "1"
    await asyncio.to_thread(shoot, driver, "board-card-zh")
    await js(driver, "document.querySelector(\"#detail-actions [data-action='ack']\").click()")
    await until(driver, lambda d: "已完成" in d.find_element("id", "status").text, "acknowledged")
    report = await h.services.reports.repo.get(report_id)
    assert report is not None and report.status.value == "acknowledged"
    await h.app.sender.drain()
    assert any("李警官" in t for t in h.texts(h.tg.calls, MEMBER.id))


async def test_a_backup_call_made_in_chat_appears_on_the_open_board(
    driver: Any, served: tuple[Harness, str, int]
) -> None:
    h, base, _report = served
    await open_board(driver, page_url(base, h, CHIEF, DARK))
    assert await js(driver, "return document.documentElement.dataset.theme") == "dark"
    call_id = await ask_backup(h)  # in chat, while the page is open
    banner = text_of("calls-banner")
    await until(driver, lambda d: f"#{call_id}" in d.execute_script(banner), "the call's banner")
    assert "第 1 步" in await js(driver, banner)
    await h.feed(builders.location(MEMBER, LAT, LON))  # her location follows: on the map
    await until(driver, lambda d: markers(d, "call") == [str(call_id)], "the call on the map")
    await asyncio.to_thread(shoot, driver, "board-call-dark-zh")


async def test_in_english_for_an_english_speaking_officer(
    driver: Any, served: tuple[Harness, str, int]
) -> None:
    h, base, report_id = served
    officer = await h.services.people.by_telegram(OFFICER.id)
    assert officer is not None
    await h.services.people.set_locale(officer, "en")
    await open_board(driver, page_url(base, h, OFFICER, LIGHT))
    tabs = await asyncio.to_thread(
        driver.execute_script, "return document.getElementById('tabs').innerText"
    )
    assert "Map" in tabs and "Queue" in tabs
    await asyncio.to_thread(driver.execute_script, "document.getElementById('tab-queue').click()")
    await until(
        driver,
        lambda d: d.find_elements("css selector", f"#queue li[data-report='{report_id}']"),
        "queue",
    )
    text = await asyncio.to_thread(
        driver.execute_script, "return document.getElementById('queue').innerText"
    )
    assert "#2026-0001" in text and "Dispute" in text
    await asyncio.to_thread(shoot, driver, "board-queue-en")


async def test_today_and_the_week_for_the_chief(
    driver: Any, served: tuple[Harness, str, int]
) -> None:
    h, base, _report = served
    await open_board(driver, page_url(base, h, CHIEF, LIGHT))
    await js(driver, "document.getElementById('tab-week').click()")
    await until(driver, lambda d: d.find_elements("css selector", "#week figure"), "the week")
    week = await js(driver, text_of("week"))
    assert "每日上报" in week and "矛盾纠纷" in week
    await asyncio.to_thread(shoot, driver, "board-week-zh")
    await js(driver, "document.getElementById('tab-today').click()")
    await until(driver, lambda d: d.find_elements("css selector", "#today table"), "today")
    await asyncio.to_thread(shoot, driver, "board-today-zh")


async def test_without_tiles_the_map_still_shows_the_markers_and_the_areas(
    driver: Any, served: tuple[Harness, str, int]
) -> None:
    """The tile server out of reach (a county's intranet server down, no network): the
    page says so once, and the report, the office, the patrol areas' rings are all there
    on the plain background."""
    h, base, report_id = served
    h.services.settings.webapp_tiles = "https://127.0.0.1:1/{z}/{x}/{y}.png"  # nobody there
    async with h.services.db.write():  # the village, walked daily, where quarrels flare up
        await h.services.db.execute(
            "UPDATE places SET latitude = ?, longitude = ?, is_patrol_area = 1, is_hot_spot = 1"
            " WHERE name = '东关村'",
            (LAT + 0.004, LON + 0.004),
        )
    await open_board(driver, page_url(base, h, CHIEF, LIGHT))
    await until(driver, lambda d: d.execute_script("return document.body.dataset.tiles"), "tiles")
    assert "底图无法加载" in await js(driver, text_of("status"))
    assert await asyncio.to_thread(markers, driver, "report") == [str(report_id)]
    rings = "return document.querySelectorAll('#map path.area-outline').length"
    assert await js(driver, rings) >= 1
    await asyncio.to_thread(shoot, driver, "board-offline-zh")
