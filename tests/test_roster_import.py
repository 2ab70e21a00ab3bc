"""Roster import (issue 12, part 3): `python bot.py import-roster FILE` turns an office's roster
(CSV in UTF-8 or GBK, or XLSX) into people waiting to join; a newcomer who opens an invitation
of that office and gives a name on it is matched, but keeps the phone they give and is told
nothing about the roster; a bad file is refused whole, each problem with its row; `--list`
shows who has not joined yet; the retention job deletes rows nobody joined through."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

import bot
from models.clock import Clock
from models.org import PartnerType, Role
from models.roster import PENDING_DAYS, name_key
from models.roster_import import RosterFileError, parse_role, roster_phone
from tests.builders import User, contact
from tests.fakes import TOKEN, Call
from tests.flows import CHIEF, onboard
from tests.harness import Harness
from tests.test_invites_sheet import station

HEADER = "姓名,角色,所属警务室,手机"
NEWCOMER = User(8101, "Fang", "zh-hans")
OTHER = User(8102, "Zhou", "zh-hans")
PARTNER = User(8103, "Zhao", "zh-hans")
LATE = User(8104, "Wu", "zh-hans")


class Cli:
    """`bot.main(["import-roster", ...])` on the harness's database, at the harness's time,
    with what it printed."""

    def __init__(
        self,
        h: Harness,
        folder: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        self.h = h
        self.folder = folder
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        self.out = ""
        self.err = ""

    async def __call__(self, *args: str) -> int:
        offset = (self.h.clock.now() - Clock().now()).total_seconds()
        self.monkeypatch.setenv("PATROL_CLOCK_OFFSET_SECONDS", str(offset))
        self.capsys.readouterr()
        # `bot.main` runs its own event loop: from a thread, beside the running harness
        code = await asyncio.to_thread(bot.main, ["import-roster", *args])
        captured = self.capsys.readouterr()
        self.out, self.err = captured.out, captured.err
        return code

    def csv(self, name: str, *lines: str, encoding: str = "utf-8-sig") -> str:
        (self.folder / name).write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
        return name  # the command runs in the folder

    async def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in await self.h.services.db.fetch_all(sql, params)]

    async def pending(self) -> list[tuple[Any, ...]]:
        return await self.rows(
            "SELECT name, role, partner_type, office_id, phone, source, source_row"
            " FROM pending_people ORDER BY id"
        )

    async def audit(self, action: str) -> list[tuple[Any, ...]]:
        return await self.rows(
            "SELECT subject_id, actor_id, after FROM audit_log WHERE action = ? ORDER BY id",
            (action,),
        )


@pytest.fixture
def cli(
    harness: Harness,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    for name in list(os.environ):
        if name.startswith("PATROL_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("PATROL_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("PATROL_DB_PATH", str(harness.settings.db_path))
    return Cli(harness, tmp_path, monkeypatch, capsys)


async def invitation(h: Harness, role: Role, partner_type: PartnerType | None = None) -> str:
    """A single-use invitation of 东关警务室, made by its chief."""
    chief = await h.services.people.by_telegram(CHIEF.id)
    assert chief is not None and chief.station_id is not None
    office = (await h.services.org.repo.offices(chief.station_id))[0]
    made = await h.services.invitations.create(
        chief, role, station_id=chief.station_id, office_id=office.id, partner_type=partner_type
    )
    return made.code


async def join(h: Harness, user: User, code: str, name: str) -> list[Call]:
    """Open the link, choose Chinese, give the name: what the bot answered to the name."""
    await h.send(user, f"/start {code}")
    await h.press_label(user, "中文")
    return await h.send(user, name)


def asked_for_phone(calls: list[Call], user: User) -> bool:
    return any(
        "分享手机号" in label for c in calls if c.chat_id == user.id for label, _ in c.buttons()
    )


# --- importing ----------------------------------------------------------------------------------
async def test_a_csv_with_a_bom_and_an_xlsx_make_pending_people(cli: Cli) -> None:
    h = cli.h
    office_id = await station(h)
    calls_before = len(h.tg.calls)
    roster = cli.csv(
        "东关名册.csv",
        HEADER,
        "王芳,巡防队员,DG,138 1234 5678",
        "赵 六,网格员,东关警务室,（0351）１２３４５６７",
        "钱七,值班室,,",
    )
    assert await cli(roster) == 0, cli.err
    assert "+ 第 2 行：王芳，巡防队员，东关警务室" in cli.out
    assert "+ 第 3 行：赵 六，社会力量·网格员，东关警务室" in cli.out
    assert "+ 第 4 行：钱七，值班室，木兰派出所" in cli.out
    assert "已从 东关名册.csv 导入 3 位待加入人员" in cli.out
    assert await cli.pending() == [
        ("王芳", "member", None, office_id, "13812345678", "东关名册.csv", 2),
        ("赵 六", "partner", "grid_worker", office_id, "0351-1234567", "东关名册.csv", 3),
        ("钱七", "duty", None, None, None, "东关名册.csv", 4),
    ]
    # one audit row per pending person, made at the console, with neither name nor phone
    audit = await cli.audit("roster:import")
    assert [(subject, actor) for subject, actor, _ in audit] == [(1, None), (2, None), (3, None)]
    first = json.loads(audit[0][2])
    assert first == {
        "role": "member",
        "partner_type": None,
        "station_id": 1,
        "office_id": office_id,
        "phone": True,
        "source": "东关名册.csv:2",
        "via": "console",
    }
    assert not any("王芳" in after or "1381234" in after for _, _, after in audit)
    assert len(h.tg.calls) == calls_before  # nothing was sent to anyone

    # a workbook kept by another office: a title row, a sheet per team, phones as numbers
    book = Workbook()
    east = book.active
    assert east is not None
    east.title = "东关"
    east.append(["木兰派出所东关警务室巡防队名册"])
    east.append([])
    east.append(["序号", "姓名", "角色", "警务室", "电话", "身份证号"])
    east.append([1, "孙八", "队员", "DG", 13912345678, "140000199001011234"])
    east.append([2, "周九", "护林员", "东关警务室", None, None])
    english = book.create_sheet("English")
    english.append(["Name", "Role", "Office", "Phone"])
    english.append(["Li Na", "member", "DG", "+86 137 0000 1111"])
    notes = book.create_sheet("说明")
    notes.append(["填表说明：电话请写手机号"])
    book.save(cli.folder / "名册.xlsx")
    assert await cli("名册.xlsx") == 0, cli.err
    assert "+ 工作表“东关”第 4 行：孙八，巡防队员，东关警务室" in cli.out
    assert "+ 工作表“English”第 2 行：Li Na，巡防队员，东关警务室" in cli.out
    assert "这些工作表没有表头，未读取：说明" in cli.out
    assert (await cli.pending())[3:] == [
        ("孙八", "member", None, office_id, "13912345678", "名册.xlsx (东关)", 4),
        ("周九", "partner", "forest_ranger", office_id, None, "名册.xlsx (东关)", 5),
        ("Li Na", "member", None, office_id, "13700001111", "名册.xlsx (English)", 2),
    ]
    # the ID numbers in the file are never stored
    assert not await cli.rows(
        "SELECT 1 FROM audit_log WHERE after LIKE '%140000199001011234%'"
    ) and "1400001990" not in str(await cli.rows("SELECT * FROM pending_people"))


async def test_a_gbk_csv_as_excel_writes_it_on_chinese_windows(cli: Cli) -> None:
    h = cli.h
    office_id = await station(h)
    roster = cli.csv(
        "名册-gbk.csv", "姓名,角色,警务室,电话", "孙八,护林员,DG,13700001111", encoding="gbk"
    )
    assert await cli(roster) == 0, cli.err
    assert await cli.pending() == [
        ("孙八", "partner", "forest_ranger", office_id, "13700001111", "名册-gbk.csv", 2)
    ]


async def test_bad_rows_are_reported_with_their_rows_and_nothing_is_written(cli: Cli) -> None:
    h = cli.h
    await station(h)
    assert await cli(cli.csv("first.csv", HEADER, "钱七,队员,DG,13700000007")) == 0
    before = (await cli.pending(), await cli.rows("SELECT * FROM audit_log"))
    roster = cli.csv(
        "bad.csv",
        HEADER,
        "王芳,队员,DG,13812345678",
        "陈一,队员,北关警务室,13800000001",
        "陈二,保安,DG,13800000002",
        "陈三,队员,DG,1380000",
        "王 芳,巡防队员,东关警务室,",
        "李警官,民警,DG,13800000003",
        "钱七,队员,DG,",
        "陈四,队员,DG,1.38E+10",
        ",,,",
        "陈五,社会力量,DG,",
        ",队员,DG,13800000005",
        "陈六,队员,西关,999",
    )
    assert await cli(roster) == 2
    assert cli.out == ""
    lines = cli.err.strip().splitlines()
    assert lines[0].startswith(f"{roster} 未导入（11 处问题），没有任何改动")
    assert lines[1:] == [
        "第 3 行：没有代码或名称为“北关警务室”的警务室。",
        "第 4 行：不认识角色“保安”（可写：队员或巡防队员、民警或社区民警、网格员、村委会、"
        "护林员、值班或值班室、所长）。",
        "第 5 行：“1380000”不是有效的电话号码（手机 11 位、以 1 开头；座机要带区号，"
        "如 0351-1234567）。",
        "第 6 行：王 芳 在文件中重复（第 2 行）。",
        "第 7 行：李警官 已在东关警务室登记。",
        "第 8 行：钱七 已在东关警务室的待加入名单中（2026年11月30日导入）。",
        "第 9 行：“1.38E+10”被 Excel 改成了科学计数法，号码已不完整：请把电话一列设为“文本”"
        "后重新填写。",
        "第 11 行：“社会力量”要写明是哪一类：网格员、村委会或护林员。",
        "第 12 行：没有姓名。",
        "第 13 行：“999”不是有效的电话号码（手机 11 位、以 1 开头；座机要带区号，"
        "如 0351-1234567）。",
        "第 13 行：没有代码或名称为“西关”的警务室。",
    ]
    assert (await cli.pending(), await cli.rows("SELECT * FROM audit_log")) == before

    # with --skip-known the people already known are skipped, and said so
    fixed = cli.csv(
        "fixed.csv", HEADER, "王芳,队员,DG,13812345678", "李警官,民警,DG,", "钱七,队员,DG,"
    )
    assert await cli(fixed, "--skip-known") == 0, cli.err
    assert "= 第 3 行：跳过，李警官 已在东关警务室登记。" in cli.out
    assert "= 第 4 行：跳过，钱七 已在东关警务室的待加入名单中" in cli.out
    assert [name for name, *_ in await cli.pending()] == ["钱七", "王芳"]


@pytest.mark.parametrize(
    "phone_header", ["联系方式", "联系电话", "手机号", "手机号码", "移动电话"]
)
async def test_phone_columns_by_their_usual_names_and_unread_columns_noted(
    cli: Cli, phone_header: str
) -> None:
    h = cli.h
    office_id = await station(h)
    roster = cli.csv(
        "r.csv",
        f"序号,姓名,角色,警务室,{phone_header},身份证号,备 注",
        "1,王芳,队员,DG,13812345678,140000199001011234,",
    )
    assert await cli(roster) == 0, cli.err
    assert await cli.pending() == [("王芳", "member", None, office_id, "13812345678", "r.csv", 2)]
    # a column the import does not read is said, so that a dropped one is seen
    assert "注意：第 1 行的表头中这些列没有读取：“序号”、“身份证号”、“备 注”" in cli.out


async def test_a_workbook_with_merged_cells_is_read_as_it_looks(cli: Cli) -> None:
    """A title merged across the top, and an office merged down the rows of its people (as
    officers lay out a printed roster): every row has its office."""
    h = cli.h
    office_id = await station(h)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["木兰派出所巡防队名册", None, None, None])
    sheet.merge_cells("A1:D1")
    sheet.append(["警务室", "姓名", "角色", "电话"])
    sheet.append(["东关警务室", "孙八", "队员", "13912345678"])
    sheet.append([None, "周九", "护林员", None])
    sheet.append([None, "吴十", "队员", "13700000010"])
    sheet.merge_cells("A3:A5")
    sheet.append(["DG", "郑一", "队员", None])
    book.save(cli.folder / "merged.xlsx")
    assert await cli("merged.xlsx") == 0, cli.err
    assert [(name, office) for name, _, _, office, *_ in await cli.pending()] == [
        ("孙八", office_id),
        ("周九", office_id),
        ("吴十", office_id),
        ("郑一", office_id),
    ]
    assert "没有读取" not in cli.out  # the title row is no header


async def test_a_phone_on_two_rows_and_a_landline_that_lost_its_zero(cli: Cli) -> None:
    h = cli.h
    await station(h)
    roster = cli.csv(
        "r.csv",
        HEADER,
        "王芳,队员,DG,13812345678",
        "赵六,队员,DG,13900000006",
        "孙八,队员,DG,138 1234 5678",
        "周九,网格员,DG,3541234567",
    )
    assert await cli(roster) == 2
    assert cli.err.strip().splitlines()[1:] == [
        "第 4 行：电话 13812345678 在文件中重复（第 2 行）。",
        "第 5 行：“3541234567”像是丢了开头 0 的座机号（电话一列是“数字”格式时 Excel 会去掉开头的"
        " 0）：请把电话一列设为“文本”后重新填写，如 0351-1234567。",
    ]
    assert await cli.pending() == []


async def test_offices_of_the_same_name_need_the_station(cli: Cli) -> None:
    h = cli.h
    await station(h)
    async with h.services.db.write():
        other = await h.services.org.repo.add_station("河口派出所", h.clock.now(), "HK")
        await h.services.org.repo.add_office(other.id, "东关警务室", h.clock.now())
    roster = cli.csv("r.csv", HEADER, "王芳,队员,东关警务室,13812345678", "钱七,所长,,")
    assert await cli(roster) == 2
    assert "第 2 行：几个派出所都有“东关警务室”（木兰派出所、河口派出所）" in cli.err
    assert "请用 --station 指定派出所" in cli.err
    assert "第 3 行：所长和值班室要写明派出所" in cli.err
    assert await cli.pending() == []
    assert await cli(roster, "--station", "HK") == 0, cli.err
    rows = await cli.rows("SELECT name, station_id, office_id FROM pending_people ORDER BY id")
    hk_office = (await h.services.org.repo.offices(other.id))[0].id
    assert rows == [("王芳", other.id, hk_office), ("钱七", other.id, None)]
    assert await cli(roster, "--station", "NOPE") == 2
    assert "没有代码或名称为“NOPE”的派出所" in cli.err


async def test_a_dry_run_checks_and_writes_nothing(cli: Cli) -> None:
    h = cli.h
    await station(h)
    audit_before = await cli.rows("SELECT * FROM audit_log")
    roster = cli.csv("r.csv", HEADER, "王芳,队员,DG,13812345678", "赵六,村委会,DG,")
    assert await cli(roster, "--dry-run") == 0, cli.err
    assert "+ 第 2 行：王芳，巡防队员，东关警务室" in cli.out
    assert "试运行：r.csv 可导入 2 人，没有写入任何内容。" in cli.out
    assert await cli.pending() == []
    assert await cli.rows("SELECT * FROM audit_log") == audit_before
    # a dry run of a bad file reports like the real thing
    assert await cli(cli.csv("bad.csv", HEADER, "王芳,队员,XX,"), "--dry-run") == 2
    assert "第 2 行：没有代码或名称为“XX”的警务室" in cli.err


async def test_files_that_cannot_be_imported_are_refused(cli: Cli) -> None:
    h = cli.h
    await station(h)
    no_header = cli.csv("a.csv", "王芳,队员,DG", "李四,队员,DG")
    assert await cli(no_header) == 2
    assert "前几行里找不到表头" in cli.err
    no_office = cli.csv("b.csv", "姓名,角色,电话", "王芳,队员,13812345678")
    assert await cli(no_office) == 2
    assert "第 1 行：表头缺少这些列：警务室。" in cli.err
    assert await cli(cli.csv("c.csv", HEADER)) == 2
    assert "文件里没有人员" in cli.err
    (cli.folder / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    assert await cli("old.xls") == 2
    assert "只能导入 .csv 或 .xlsx" in cli.err
    (cli.folder / "fake.xlsx").write_bytes(b"not a zip")
    assert await cli("fake.xlsx") == 2
    assert "不是能打开的 .xlsx 工作簿" in cli.err
    assert await cli("missing.csv") == 2
    assert "无法读取" in cli.err
    assert await cli() == 2
    assert "--list" in cli.err
    assert await cli.pending() == []


# --- onboarding ---------------------------------------------------------------------------------
async def test_a_newcomer_giving_a_name_on_the_roster_is_matched(cli: Cli) -> None:
    h = cli.h
    office_id = await station(h)
    roster = cli.csv(
        "r.csv",
        HEADER,
        "王芳,队员,DG,13812345678",
        "赵六,村委会,DG,13900000006",
        "吴警官,民警,DG,13700000009",
    )
    assert await cli(roster) == 0, cli.err

    # written with a full-width space: still her name, matched. She is asked for her phone
    # like anyone (a name alone never hands over the roster's number), and nothing she is
    # told shows that her name, or the number, is on the roster
    calls = await join(h, NEWCOMER, await invitation(h, Role.MEMBER), "王　芳")
    assert asked_for_phone(calls, NEWCOMER)
    calls += await h.feed(contact(NEWCOMER, "+86 138 1234 5678"))  # her own: the same number
    texts = h.texts(calls, NEWCOMER.id)
    assert any("登记完成" in t for t in texts)
    assert not any("名册" in t for t in texts)
    assert not any("1381234" in t for t in h.texts(calls))
    person = await h.services.people.by_telegram(NEWCOMER.id)
    assert person is not None and person.role is Role.MEMBER and person.office_id == office_id
    assert person.phone == "+86 138 1234 5678"  # what she gave, as she gave it
    row = await cli.rows(
        "SELECT matched_person_id, matched_at IS NOT NULL, phone FROM pending_people"
        " WHERE name = '王芳'"
    )
    assert row == [(person.id, 1, None)]  # marked, and the roster's copy of the phone is gone
    audit = await cli.audit("roster:match")
    assert [(subject, actor) for subject, actor, _ in audit] == [(1, person.id)]
    assert json.loads(audit[0][2])["phone"] == "same"

    # someone else typing a name on the roster gets the role's questions, not its phone: the
    # number they type is kept, and the audit entry notes that it is not the roster's
    calls = await join(
        h, PARTNER, await invitation(h, Role.PARTNER, PartnerType.GRID_WORKER), "赵六"
    )
    assert asked_for_phone(calls, PARTNER)
    calls += await h.send(PARTNER, "13600000000")
    assert not any("名册" in t or "13900000006" in t for t in h.texts(calls))
    partner = await h.services.people.by_telegram(PARTNER.id)
    assert partner is not None and partner.role is Role.PARTNER
    assert partner.partner_type is PartnerType.VILLAGE_COMMITTEE  # the roster's kind
    assert partner.phone == "13600000000"
    audit = await cli.audit("roster:match")
    assert json.loads(audit[1][2])["phone"] == "different"
    assert not any("13900000006" in after or "13600000000" in after for *_, after in audit)

    # a name not on the roster onboards as always, and is told nothing about the roster
    calls = await join(h, OTHER, await invitation(h, Role.MEMBER), "周九")
    assert asked_for_phone(calls, OTHER)
    calls = await h.send(OTHER, "跳过")
    assert any("登记完成" in t for t in h.texts(calls, OTHER.id))
    assert not any("名册" in t for t in h.texts(calls, OTHER.id))
    other = await h.services.people.by_telegram(OTHER.id)
    assert other is not None and other.phone is None

    # a member invitation never becomes the officer the roster names
    calls = await join(h, LATE, await invitation(h, Role.MEMBER), "吴警官")
    assert asked_for_phone(calls, LATE)
    await h.send(LATE, "跳过")
    late = await h.services.people.by_telegram(LATE.id)
    assert late is not None and late.role is Role.MEMBER and late.phone is None

    # the list shows who has not joined yet, phones hidden unless asked for
    assert await cli("--list") == 0, cli.err
    assert "木兰派出所（1 人未加入）：" in cli.out
    line = "吴警官 · 社区民警 · 东关警务室 · 137****0009 · 2026年11月30日导入（r.csv 第 4 行）"
    assert line in cli.out
    assert "王芳" not in cli.out and "赵六" not in cli.out
    assert "共 1 人尚未加入" in cli.out
    assert await cli("--list", "--phones", "--station", "MULAN") == 0
    assert "13700000009" in cli.out


async def test_no_roster_no_match_and_the_list_says_so(cli: Cli) -> None:
    h = cli.h
    await station(h)
    assert await cli("--list") == 0
    assert "没有等待加入的人员" in cli.out
    await onboard(h, NEWCOMER, await invitation(h, Role.MEMBER), "王芳", phone="+8613800000009")
    person = await h.services.people.by_telegram(NEWCOMER.id)
    assert person is not None and person.phone == "+8613800000009"


# --- retention ----------------------------------------------------------------------------------
async def test_retention_deletes_rows_nobody_joined_through(cli: Cli) -> None:
    h = cli.h
    await station(h)
    roster = cli.csv("r.csv", HEADER, "王芳,队员,DG,13812345678", "赵六,队员,DG,13900000006")
    assert await cli(roster) == 0, cli.err
    h.clock.advance(timedelta(days=100))
    await onboard(h, NEWCOMER, await invitation(h, Role.MEMBER), "王芳", phone="13812345678")
    assert (await h.app.retention.run())["pending_people"] == 0
    h.clock.advance(timedelta(days=PENDING_DAYS - 100 + 1))
    # 赵六 never joined: gone with the phone; 王芳's row (matched 81 days ago) stays a while
    assert (await h.app.retention.run())["pending_people"] == 1
    assert await cli.rows("SELECT name FROM pending_people") == [("王芳",)]
    h.clock.advance(timedelta(days=100))
    assert (await h.app.retention.run())["pending_people"] == 1
    assert await cli.rows("SELECT name FROM pending_people") == []
    person = await h.services.people.by_telegram(NEWCOMER.id)
    assert person is not None and person.phone == "13812345678"


# --- the rules ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("８６１３８１２３４５６７８", "13812345678"),
        ("0351-1234567", "0351-1234567"),
        ("(0351) 12345678", "0351-12345678"),
        ("010-12345678", "010-12345678"),
        ("02112345678", "021-12345678"),
    ],
)
def test_phone_numbers_as_officers_write_them(written: str, stored: str) -> None:
    assert roster_phone(written) == stored


@pytest.mark.parametrize(
    "written",
    [
        "1380000",
        "23812345678",
        "138123456789",
        "12345678",
        "0351-123",
        "电话",
        "1.38E+10",
        "3511234567",  # 0351-1234567 in a number cell: its 0 is gone
    ],
)
def test_what_is_not_a_phone_number(written: str) -> None:
    with pytest.raises(RosterFileError):
        roster_phone(written)


def test_roles_as_officers_write_them() -> None:
    assert parse_role("巡防队员") == parse_role("队员") == (Role.MEMBER, None)
    assert parse_role("社区民警") == parse_role("Officer") == (Role.OFFICER, None)
    assert parse_role("值班室") == (Role.DUTY, None)
    assert parse_role(" 所长 ") == (Role.CHIEF, None)
    assert parse_role("村委会") == (Role.PARTNER, PartnerType.VILLAGE_COMMITTEE)
    assert parse_role("grid worker") == (Role.PARTNER, PartnerType.GRID_WORKER)
    for bad in ("社会力量", "operator", "保安"):
        with pytest.raises(RosterFileError):
            parse_role(bad)


def test_names_match_whatever_the_spacing_and_width() -> None:
    assert name_key("王 芳") == name_key("王芳") == name_key("王　芳")
    assert name_key("ＬＩ Ｎａ") == name_key("li na")
    dotted = name_key("阿依古丽·买买提")
    assert dotted == name_key("阿依古丽・买买提") == name_key("阿依古丽.买买提")
    assert name_key("王芳") != name_key("王方")
