"""Invitation sheets (issue 12, part 2): `python bot.py invites` and `/invite N` make N
single-use invitations and a printable sheet of their QR codes; read back with a QR reader,
every code is a deep link that onboards one person into the right office and role. Expired
unused invitations are listed and revoked, in Telegram and from the console."""

from __future__ import annotations

import argparse
import asyncio
import html
import io
import json
import os
import re
import resource
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from cli import invites as invites_cli
from handlers import invite
from models.clock import Clock
from models.org import Role
from models.qrsheet import DPI, PAGE_SIZE, PER_PAGE
from tests.builders import User
from tests.fakes import BOT_USERNAME, TOKEN, Call
from tests.flows import CHIEF, OFFICER, OPERATOR, onboard, setup_station
from tests.flows import invite as invite_one
from tests.harness import Harness

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(rf"^https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]{{12,64}})$")
MEMBER = User(4001, "Wang", "zh-hans")
NEWCOMERS = [User(8000 + n, f"New{n}", "zh-hans") for n in range(3)]


# reading sheets back
def decode(picture: Image.Image) -> list[str]:
    return [
        r.text
        # the stub wants BarcodeFormats; the binding converts a single BarcodeFormat itself
        for r in zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormat.QRCode)  # type: ignore[arg-type]
        if r.valid
    ]


def decode_png(data: bytes) -> list[str]:
    picture = Image.open(io.BytesIO(data))
    assert picture.size == PAGE_SIZE  # A4 at 150 dpi
    assert round(picture.info["dpi"][0]) == DPI
    return decode(picture)


def pdf_pages(data: bytes) -> list[Image.Image]:
    """The page images inside a PDF as Pillow writes it (one JPEG stream per page)."""
    assert data.startswith(b"%PDF")
    pages: list[Image.Image] = []
    for match in re.finditer(rb"/Subtype /Image.*?/Length (\d+)\s*>>\s*stream\r?\n", data, re.S):
        start = match.end()
        pages.append(Image.open(io.BytesIO(data[start : start + int(match.group(1))])))
    assert len(re.findall(rb"/Type /Page\b", data)) == len(pages)
    assert all(b"/MediaBox [ 0 0 595.2 841.92 ]" in data for _ in pages)  # A4 in points
    return pages


def codes_of(links: list[str]) -> list[str]:
    codes = []
    for link in links:
        match = LINK.match(link)
        assert match, f"not a deep link of the bot: {link!r}"
        codes.append(match.group(1))
    return codes


# the station, with codes the console can name
async def station(h: Harness) -> int:
    """木兰派出所 (code MULAN) with 东关警务室 (code DG), its chief and an officer."""
    await setup_station(h)
    await onboard(h, OFFICER, await invite_one(h, CHIEF, "社区民警", "东关警务室"), "李警官")
    async with h.services.db.write():
        await h.services.db.execute("UPDATE stations SET code = 'MULAN'")
        await h.services.db.execute("UPDATE offices SET code = 'DG'")
    office = (await h.services.org.repo.offices(1))[0]
    return office.id


async def invitations(h: Harness) -> list[tuple[str, str, int | None, int, int, int]]:
    rows = await h.services.db.fetch_all(
        "SELECT code, role, office_id, max_uses, uses_left, revoked FROM invitations ORDER BY id"
    )
    return [tuple(r) for r in rows]


def console_env(h: Harness) -> dict[str, str]:
    """The console in its own process, living at the harness's (frozen) time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATROL_")}
    offset = (h.clock.now() - Clock().now()).total_seconds()
    env.update(
        PATROL_BOT_TOKEN=TOKEN,
        PATROL_DB_PATH=str(h.settings.db_path),
        PATROL_CLOCK_OFFSET_SECONDS=str(offset),
    )
    return env


async def run_bot_py(h: Harness, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(ROOT / "bot.py"), *args],
        env=console_env(h),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def console(h: Harness, *args: str) -> int:
    """The same command in this process, on the harness's clock."""
    parser = argparse.ArgumentParser()
    invites_cli.console_arguments(parser)
    return await invites_cli.Console(h.settings, h.clock).run(parser.parse_args(list(args)))


# the console
async def test_console_sheet_decodes_to_deep_links_that_onboard_once(
    harness: Harness, tmp_path: Path
) -> None:
    h = harness
    office_id = await station(h)
    before = len(await invitations(h))
    result = await run_bot_py(
        h,
        tmp_path,
        "invites",
        "--station",
        "MULAN",
        "--office",
        "DG",
        "--role",
        "member",
        "--count",
        "14",
        "--out",
        "sheet.png",
        "--bot-username",
        f"@{BOT_USERNAME}",
    )
    assert result.returncode == 0, result.stderr
    assert "已生成 14 个一次性邀请" in result.stdout and "东关警务室" in result.stdout
    # 14 codes: two A4 pages of twelve cells
    assert not (tmp_path / "sheet.png").exists()
    links = decode_png((tmp_path / "sheet-1.png").read_bytes())
    assert len(links) == PER_PAGE
    links += decode_png((tmp_path / "sheet-2.png").read_bytes())
    codes = codes_of(links)
    assert len(codes) == len(set(codes)) == 14

    made = (await invitations(h))[before:]
    assert sorted(code for code, *_ in made) == sorted(codes)
    assert {
        (role, office, uses, left, revoked) for _, role, office, uses, left, revoked in made
    } == {("member", office_id, 1, 1, 0)}
    # audited, as made at the console (no person)
    first = await h.services.invitations.repo.by_code(codes[0])
    assert first is not None and first.created_by is None
    entries = await h.services.people.audit.for_subject("invitation", first.id)
    assert [e.action for e in entries] == ["invitation:create"]
    assert entries[0].actor_id is None
    assert json.loads(entries[0].after or "{}") == {
        "role": "member",
        "station_id": 1,
        "office_id": office_id,
        "sheet": 14,
        "via": "console",
    }

    # a scanned code onboards a new person into that office as a member ...
    newcomer, late = NEWCOMERS[0], NEWCOMERS[1]
    await onboard(h, newcomer, codes[5], "新队员")
    person = await h.services.people.by_telegram(newcomer.id)
    assert person is not None and person.role is Role.MEMBER and person.office_id == office_id
    # ... once: the same slip scanned again is refused, and registers nobody
    calls = await h.send(late, f"/start {codes[5]}")
    assert "已被使用" in h.texts(calls)[0]
    assert await h.services.people.by_telegram(late.id) is None
    # another slip of the same sheet still works
    await onboard(h, late, codes[6], "另一位")
    assert (await h.services.people.by_telegram(late.id)) is not None


async def test_console_writes_a_pdf_of_every_page(harness: Harness, tmp_path: Path) -> None:
    h = harness
    office_id = await station(h)
    result = await run_bot_py(
        h,
        tmp_path,
        "invites",
        "--station",
        "MULAN",
        "--office",
        "东关警务室",  # by name works too
        "--role",
        "partner",
        "--partner-type",
        "grid_worker",
        "--count",
        "30",
        "--out",
        "sheet.pdf",
        "--bot-username",
        BOT_USERNAME,
    )
    assert result.returncode == 0, result.stderr
    pages = pdf_pages((tmp_path / "sheet.pdf").read_bytes())
    assert len(pages) == 3
    links = [link for page in pages for link in decode(page)]
    codes = codes_of(links)
    assert len(codes) == len(set(codes)) == 30
    rows = {code: (role, office) for code, role, office, *_ in await invitations(h)}
    assert all(rows[code] == ("partner", office_id) for code in codes)
    await onboard(h, NEWCOMERS[0], codes[29], "网格员小刘")
    person = await h.services.people.by_telegram(NEWCOMERS[0].id)
    assert person is not None and person.role is Role.PARTNER
    assert person.partner_type is not None and person.partner_type.value == "grid_worker"


async def test_console_refuses_bad_requests_and_makes_nothing(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    h = harness
    await station(h)
    before = await invitations(h)
    sheet = ["--station", "MULAN", "--office", "DG", "--bot-username", BOT_USERNAME]
    target = tmp_path / "s.png"
    out = str(target)
    for count in ("0", "101", "三十", "-5"):
        assert await console(h, *sheet, "--count", count, "--out", out) == 2
        assert "数量应在 1 到 100 之间" in capsys.readouterr().err
    assert await console(h, *sheet[:4], "--count", "3", "--out", out) == 2
    assert "--bot-username" in capsys.readouterr().err
    assert await console(h, *sheet, "--count", "3", "--out", str(tmp_path / "s.jpg")) == 2
    assert ".pdf" in capsys.readouterr().err
    (tmp_path / "taken.pdf").write_bytes(b"an older sheet")
    assert await console(h, *sheet, "--count", "3", "--out", str(tmp_path / "taken.pdf")) == 2
    assert "不会覆盖" in capsys.readouterr().err
    assert (tmp_path / "taken.pdf").read_bytes() == b"an older sheet"
    nowhere = ["--station", "NOPE", "--bot-username", BOT_USERNAME]
    assert await console(h, *nowhere, "--count", "3", "--out", out) == 2
    assert "NOPE" in capsys.readouterr().err
    wrong_office = ["--station", "MULAN", "--office", "XX", "--bot-username", BOT_USERNAME]
    assert await console(h, *wrong_office, "--count", "3", "--out", out) == 2
    assert "XX" in capsys.readouterr().err
    # a member needs an office
    assert await console(h, *sheet[:2], *sheet[4:], "--count", "3", "--out", out) == 2
    assert capsys.readouterr().err.strip()
    assert await invitations(h) == before
    assert not target.exists()
    # operators are invited one at a time, never from a sheet
    with pytest.raises(SystemExit):
        await console(h, *sheet, "--role", "operator", "--count", "3", "--out", out)


async def test_a_sheet_that_cannot_be_written_makes_no_invitations(
    harness: Harness, tmp_path: Path
) -> None:
    """The disk fills up while the sheet is written (no file may grow past 16 KiB, a page
    is bigger): a clear answer, no invitation made, no half-written sheet left behind."""
    h = harness
    await station(h)
    before = await invitations(h)
    folder = tmp_path / "sheets"
    await asyncio.to_thread(folder.mkdir)
    limit = 16 * 1024

    def small_disk() -> None:  # in the child, before it starts
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    sheet = [
        "--station",
        "MULAN",
        "--office",
        "DG",
        "--count",
        "3",
        "--bot-username",
        BOT_USERNAME,
    ]
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(ROOT / "bot.py"), "invites", *sheet, "--out", "sheet.png"],
        env={**console_env(h), "PYTHONDONTWRITEBYTECODE": "1"},
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=small_disk,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "无法写入 sheet.png" in result.stderr and "没有生成任何邀请" in result.stderr
    assert await invitations(h) == before
    left = await asyncio.to_thread(lambda: list(folder.iterdir()))
    assert left == []  # neither the sheet nor a temporary file


async def test_console_lists_and_revokes_expired_unused(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    h = harness
    office_id = await station(h)
    chief = await h.services.people.by_telegram(CHIEF.id)
    assert chief is not None
    made = await h.services.invitations.create_sheet(
        chief, Role.MEMBER, station_id=1, office_id=office_id, count=4
    )
    await onboard(h, NEWCOMERS[0], made[0].code, "用过的")
    h.clock.advance(timedelta(days=8))
    fresh = await h.services.invitations.create_sheet(
        chief, Role.MEMBER, station_id=1, office_id=office_id, count=2
    )

    assert await console(h, "--station", "MULAN", "--list-expired") == 0
    listed = capsys.readouterr().out
    shown = {invite.reference(i) for i in made[1:]}
    assert all(ref in listed for ref in shown)  # the three nobody used ...
    assert invite.reference(made[0]) not in listed  # ... not the used one, nor fresh ones
    assert not any(invite.reference(i) in listed for i in fresh)
    assert "共 3 个过期未用的邀请" in listed

    assert await console(h, "--station", "MULAN", "--office", "DG", "--revoke-expired") == 0
    assert "已撤销 3 个" in capsys.readouterr().out
    for invitation in made[1:]:
        row = await h.services.invitations.repo.by_id(invitation.id)
        assert row is not None and row.revoked
        entries = await h.services.people.audit.for_subject("invitation", invitation.id)
        assert entries[-1].action == "invitation:revoke" and entries[-1].actor_id is None
        assert json.loads(entries[-1].after or "{}")["via"] == "console"
    for invitation in (made[0], *fresh):
        row = await h.services.invitations.repo.by_id(invitation.id)
        assert row is not None and not row.revoked
    assert await console(h, "--list-expired") == 0
    assert "共 0 个" in capsys.readouterr().out


# Telegram
def documents(calls: list[Call], chat_id: int) -> list[Call]:
    return [c for c in calls if c.method == "sendDocument" and c.chat_id == chat_id]


async def test_invite_with_a_count_sends_the_sheet(harness: Harness) -> None:
    h = harness
    office_id = await station(h)
    before = len(await invitations(h))
    calls = await h.send(CHIEF, "/invite 3")
    question = [c for c in calls if c.chat_id == CHIEF.id][-1]
    assert "3 个一次性邀请的二维码单" in question.text
    roles = [label for label, _ in question.buttons()]
    assert "巡防队员" in roles and "过期未用" not in " ".join(roles)
    await h.press_label(CHIEF, "巡防队员")
    calls = await h.press_label(CHIEF, "东关警务室")
    assert any("已生成 3 个一次性邀请" in t for t in h.texts(calls, CHIEF.id))
    sent = documents(calls, CHIEF.id)
    assert len(sent) == 1
    name, content = sent[0].files["document"]
    assert name.endswith(".png") and "第 1/1 页" in sent[0].text
    codes = codes_of(decode_png(content))
    assert len(set(codes)) == 3
    made = (await invitations(h))[before:]
    assert sorted(c for c, *_ in made) == sorted(codes)
    assert all(row[1:] == ("member", office_id, 1, 1, 0) for row in made)
    chief = await h.services.people.by_telegram(CHIEF.id)
    assert chief is not None
    first = await h.services.invitations.repo.by_code(codes[0])
    assert first is not None and first.created_by == chief.id
    entries = await h.services.people.audit.for_subject("invitation", first.id)
    assert [(e.action, e.actor_id) for e in entries] == [("invitation:create", chief.id)]
    # the outbox forgot the sheet's links once it was sent
    rows = await h.services.db.fetch_all(
        "SELECT payload FROM outbox WHERE method = 'sendDocument'"
    )
    assert rows and all(codes[0] not in r["payload"] for r in rows)

    # the officer's sheet is for his own office, as members or partners only
    calls = await h.send(OFFICER, "/invite 2")
    roles = [label for label, _ in [c for c in calls if c.chat_id == OFFICER.id][-1].buttons()]
    assert sorted(roles) == sorted(["巡防队员", "社会力量"])
    calls = await h.press_label(OFFICER, "巡防队员")
    links = decode_png(documents(calls, OFFICER.id)[0].files["document"][1])
    await onboard(h, NEWCOMERS[0], codes_of(links)[1], "新队员")
    person = await h.services.people.by_telegram(NEWCOMERS[0].id)
    assert person is not None and person.role is Role.MEMBER and person.office_id == office_id


async def test_a_full_sheet_comes_as_pages(harness: Harness) -> None:
    h = harness
    await station(h)
    await h.send(OPERATOR, "/invite 100")
    roles = [label for label, _ in h.tg.sent(OPERATOR.id)[-1].buttons()]
    assert "operator" not in roles and "station chief" in roles  # no operator on paper
    await h.press_label(OPERATOR, "patrol member")
    await h.press_label(OPERATOR, "木兰派出所")
    calls = await h.press_label(OPERATOR, "东关警务室")
    assert any("100 single-use invitations" in t for t in h.texts(calls, OPERATOR.id))
    pages = documents(calls, OPERATOR.id)
    assert len(pages) == 9
    assert "page 9 of 9" in pages[-1].text
    codes = [c for page in pages for c in codes_of(decode_png(page.files["document"][1]))]
    assert len(set(codes)) == 100
    assert len(await h.services.invitations.repo.expired_unused(h.clock.now())) == 0


async def test_bad_counts_get_a_clear_answer_and_the_conversation_stays(
    harness: Harness,
) -> None:
    h = harness
    await station(h)
    before = await invitations(h)
    # the chief is half way through adding an office when she mistypes a count
    await h.send(CHIEF, "/areas")
    await h.press_label(CHIEF, "➕ 警务室")
    for text in ("/invite 0", "/invite 101", "/invite 三十", "/invite 2.5"):
        calls = await h.send(CHIEF, text)
        assert h.texts(calls) == [
            "数量应在 1 到 100 之间，例如 /invite 30（一次生成 30 个邀请的二维码单）。"
        ]
    for text in ("/invite 0", "/invite 101", "/invite thirty"):
        calls = await h.send(OPERATOR, text)
        assert h.texts(calls) == [
            "The number must be from 1 to 100, e.g. /invite 30 (a sheet of 30 invitation QR"
            " codes)."
        ]
    await h.send(CHIEF, "西街警务室")
    offices = await h.services.org.repo.offices(1)
    assert "西街警务室" in [o.name for o in offices]
    # a forged count in a button is refused the same way
    office = offices[0].id
    calls = await h.press(CHIEF, f"inv:go:member:-:1:{office}:500")
    assert [html.unescape(a) for a in h.tg.alerts()][-1].startswith("数量应在 1 到 100 之间")
    assert documents(calls, CHIEF.id) == []
    assert await invitations(h) == before


async def test_members_cannot_make_sheets_or_touch_invitations(harness: Harness) -> None:
    h = harness
    office_id = await station(h)
    await onboard(h, MEMBER, await invite_one(h, CHIEF, "巡防队员", "东关警务室"), "王芳")
    before = await invitations(h)
    for text in ("/invite 5", "/invite"):
        calls = await h.send(MEMBER, text)
        assert h.texts(calls) == ["⛔ 您的角色不能执行这个操作。"]
    h.tg.clear()
    for data in (f"inv:go:member:-:1:{office_id}:5", "inv:exp", "inv:rev"):
        await h.press(MEMBER, data)
    assert h.tg.alerts() == ["⛔ 您的角色不能执行这个操作。"] * 3
    assert documents(h.tg.calls, MEMBER.id) == []
    assert await invitations(h) == before


async def test_expired_unused_invitations_are_listed_and_revoked(harness: Harness) -> None:
    h = harness
    await station(h)
    await h.send(CHIEF, "/invite 3")
    await h.press_label(CHIEF, "巡防队员")
    calls = await h.press_label(CHIEF, "东关警务室")
    chief_codes = codes_of(decode_png(documents(calls, CHIEF.id)[0].files["document"][1]))
    await h.send(OFFICER, "/invite 2")
    calls = await h.press_label(OFFICER, "巡防队员")
    officer_codes = codes_of(decode_png(documents(calls, OFFICER.id)[0].files["document"][1]))
    await onboard(h, NEWCOMERS[0], chief_codes[0], "用过的")
    h.clock.advance(timedelta(days=8))

    # the officer sees his office's four unused ones (not the used one)
    calls = await h.send(OFFICER, "/invite")
    assert ("🗂 过期未用的邀请（4 个）", "inv:exp") in h.tg.sent(OFFICER.id)[-1].buttons()
    calls = await h.press_label(OFFICER, "过期未用")
    listing = h.texts(calls, OFFICER.id)[-1]
    assert "共 4 个" in listing and "东关警务室 · 巡防队员：4 个" in listing
    # the chief of another station sees none of them
    other = User(2100, "Hekou", "zh-hans")
    await h.send(OPERATOR, "/areas")
    await h.press_label(OPERATOR, "Station")
    await h.send(OPERATOR, "河口派出所")
    await onboard(h, other, await invite_one(h, OPERATOR, "station chief", "河口派出所"), "何所长")
    await h.send(other, "/invite")
    assert not any("过期未用" in label for label, _ in h.tg.sent(other.id)[-1].buttons())
    calls = await h.press(other, "inv:exp")
    assert h.texts(calls, other.id)[-1] == "没有过期未用的邀请。"

    calls = await h.press_label(OFFICER, "全部撤销")
    assert h.texts(calls, OFFICER.id)[-1] == "🗑 已撤销 4 个过期未用的邀请。"
    officer = await h.services.people.by_telegram(OFFICER.id)
    assert officer is not None
    for code in [*chief_codes[1:], *officer_codes]:
        row = await h.services.invitations.repo.by_code(code)
        assert row is not None and row.revoked and row.uses_left == 1
        entries = await h.services.people.audit.for_subject("invitation", row.id)
        assert [(e.action, e.actor_id) for e in entries][-1] == ("invitation:revoke", officer.id)
    used = await h.services.invitations.repo.by_code(chief_codes[0])
    assert used is not None and not used.revoked
    # a revoked slip says so when scanned; the chief's list is empty now
    calls = await h.send(NEWCOMERS[1], f"/start {chief_codes[2]}")
    assert "已被撤销" in h.texts(calls)[0]
    await h.send(CHIEF, "/invite")
    assert not any("过期未用" in label for label, _ in h.tg.sent(CHIEF.id)[-1].buttons())
    calls = await h.press(CHIEF, "inv:exp")
    assert h.texts(calls, CHIEF.id)[-1] == "没有过期未用的邀请。"
