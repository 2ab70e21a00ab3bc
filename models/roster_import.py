"""A roster as officers keep it (name, role, office, phone in a CSV or XLSX file), read into
entries for `python bot.py import-roster`: the header found among the first rows in Chinese or
English, roles as officers write them (队员, 社区民警, 网格员...), phone numbers checked as
mainland mobiles or landlines with their area code. Every problem names its row; nothing here
touches the database (see `models/services/roster_import.py`).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from models.errors import DomainError
from models.org import PartnerType, Role
from models.services.org import MAX_NAME, clean_name

HEADER_SEARCH = 10  # rows above the header (a title, a date line) that are skipped
MAX_ROWS = 5000


class Column(StrEnum):
    NAME = "name"
    ROLE = "role"
    OFFICE = "office"
    PHONE = "phone"


REQUIRED = (Column.NAME, Column.ROLE, Column.OFFICE)
HEADERS: dict[str, Column] = {
    **dict.fromkeys(("姓名", "名字", "人员姓名", "name", "fullname"), Column.NAME),
    **dict.fromkeys(("角色", "身份", "职务", "类别", "人员类别", "role"), Column.ROLE),
    **dict.fromkeys(
        ("警务室", "所属警务室", "警务室名称", "警务室代码", "office", "officecode"),
        Column.OFFICE,
    ),
    **dict.fromkeys(
        (
            "电话",
            "手机",
            "手机号",
            "手机号码",
            "联系电话",
            "联系方式",
            "移动电话",
            "电话号码",
            "phone",
            "mobile",
        ),
        Column.PHONE,
    ),
}

_STAFF = {
    Role.MEMBER: ("队员", "巡防队员", "巡防员", "巡逻队员", "巡防", "member", "patrolmember"),
    Role.OFFICER: ("民警", "社区民警", "警务室民警", "驻村民警", "officer", "communityofficer"),
    Role.DUTY: ("值班", "值班室", "值班员", "duty", "dutydesk"),
    Role.CHIEF: ("所长", "派出所所长", "chief", "stationchief"),
}
_PARTNERS = {
    PartnerType.GRID_WORKER: ("网格员", "网格", "grid_worker", "gridworker"),
    PartnerType.VILLAGE_COMMITTEE: (
        "村委会",
        "村委",
        "村干部",
        "村委会委员",
        "village_committee",
        "villagecommittee",
    ),
    PartnerType.FOREST_RANGER: ("护林员", "护林", "forest_ranger", "forestranger", "ranger"),
}
ROLE_WORDS: dict[str, tuple[Role, PartnerType | None]] = {
    **{word: (role, None) for role, words in _STAFF.items() for word in words},
    **{word: (Role.PARTNER, kind) for kind, words in _PARTNERS.items() for word in words},
}
_PARTNER_ALONE = ("partner", "社会力量", "合作方")
_OPERATOR = ("operator", "系统管理员", "管理员")

_PHONE_MARKS = re.compile(r"[\s\-()./]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{9,11}$")
_SHORTENED = re.compile(r"^\d(\.\d+)?e\+?\d+$", re.IGNORECASE)  # 1.38123E+10


class RosterProblemKind(StrEnum):
    """What can be wrong with a file or a row; each is a catalog key `import.<value>`."""

    NO_HEADER = "no_header"
    COLUMNS_MISSING = "columns_missing"
    EMPTY = "empty"
    TOO_MANY = "too_many"
    NO_NAME = "no_name"
    NAME_TOO_LONG = "name_too_long"
    NO_ROLE = "no_role"
    BAD_ROLE = "bad_role"
    PARTNER_KIND = "partner_kind"
    OPERATOR = "operator_role"
    NO_OFFICE = "no_office"
    UNKNOWN_OFFICE = "unknown_office"
    UNKNOWN_OFFICE_IN = "unknown_office_in"
    AMBIGUOUS_OFFICE = "ambiguous_office"
    NO_STATION = "no_station"
    BAD_PHONE = "bad_phone"
    PHONE_SHORTENED = "phone_shortened"
    PHONE_LOST_ZERO = "phone_lost_zero"
    TWICE = "twice"
    PHONE_TWICE = "phone_twice"
    REGISTERED = "registered"
    PENDING = "pending"


@dataclass(frozen=True)
class Where:
    """A row of the file (a sheet of a workbook with several)."""

    row: int
    sheet: str | None = None
    sheet_index: int = 0  # the sheet's place in the workbook, for sorting

    @property
    def order(self) -> tuple[int, int]:
        return self.sheet_index, self.row


@dataclass(frozen=True)
class RosterProblem:
    kind: RosterProblemKind
    where: Where | None = None  # None: the file as a whole
    params: dict[str, object] = field(default_factory=dict)


class RosterFileError(Exception):
    """The file cannot be read at all (a catalog key `import.<code>` and its parameters)."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class RosterEntry:
    """One person of the file, as written and checked; the office is resolved later."""

    where: Where
    name: str
    role: Role
    partner_type: PartnerType | None
    office: str  # the code or name as written; empty for a chief or duty row
    phone: str | None


@dataclass(frozen=True)
class OfficeCell:
    """The office written on a row that has other problems: still looked up, so that one
    reading of the file reports everything wrong with it."""

    where: Where
    office: str
    station_role: bool  # a chief's or duty desk's row (or one whose role is unknown)


@dataclass(frozen=True)
class UnreadColumns:
    """Header cells that name no column the import reads (`序号`, `身份证号`, a misspelt
    `电 活`, a second phone column): said, so that a column dropped by mistake is seen."""

    where: Where  # the header row
    cells: tuple[str, ...]


@dataclass
class Roster:
    entries: list[RosterEntry] = field(default_factory=list)
    problems: list[RosterProblem] = field(default_factory=list)
    unchecked_offices: list[OfficeCell] = field(default_factory=list)
    sheets_without_header: list[str] = field(default_factory=list)
    unread_columns: list[UnreadColumns] = field(default_factory=list)


# --- reading the file --------------------------------------------------------------------------
Table = list[tuple[int, list[str]]]  # (row number, cells) of one sheet


# Files from outside are bounded before they are read: a roster of MAX_ROWS people is a few
# hundred kilobytes; a workbook's parts are inflated at most to MAX_UNPACKED (a zip bomb is
# refused from its directory, before anything is inflated); a sheet is read to READ_ROWS
# rows and READ_COLUMNS columns, and at most MAX_MERGED merged ranges, each clipped to that.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED = 100 * 1024 * 1024
READ_ROWS = MAX_ROWS + 100  # (header and title rows; more than MAX_ROWS people is refused)
READ_COLUMNS = 50
MAX_MERGED = 10_000


def read_roster(path: Path) -> Roster:
    """Read and check a roster file; `RosterFileError` when it cannot be read at all."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise RosterFileError("format")
    if path.stat().st_size > MAX_FILE_BYTES:  # (a missing file: OSError, as before)
        raise RosterFileError("too_big", limit=MAX_FILE_BYTES // (1024 * 1024))
    if suffix == ".csv":
        return parse_tables([(None, read_csv(path.read_bytes()))])
    return parse_tables(read_xlsx(path))


def read_csv(data: bytes) -> Table:
    """The rows of a CSV file in UTF-8 (with or without a BOM), UTF-16 (Excel's "Unicode
    text") or GBK (Excel's CSV on Chinese Windows); comma, tab or semicolon separated."""
    text = decode(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", "\t", ";", "，"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: Table = []
    try:
        for number, cells in enumerate(reader, start=1):
            rows.append((number, cells))
    except csv.Error as error:
        raise RosterFileError("bad_csv", reason=str(error)) from None
    return rows


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return _decoded(data[3:], "utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decoded(data, "utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # GB18030 is GBK's superset: Excel's "CSV (逗号分隔)" on Chinese Windows reads as either
    return _decoded(data, "gb18030")


def _decoded(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise RosterFileError("not_text") from None


def read_xlsx(path: Path) -> list[tuple[str | None, Table]]:
    """Every sheet of a workbook, cells as text (a phone typed as a number keeps its digits).
    A merged cell's value fills the whole range (an office merged down the rows of its
    people, a title merged across the top): openpyxl gives it to the first cell only.

    Read in openpyxl's read-only mode (rows streamed, at most READ_ROWS × READ_COLUMNS):
    a loaded sheet would expand every merged range into cells first — one range
    `A2:ZZ200000` in a 5 KB file is 140 million cells. The merged ranges are read from the
    sheet's XML instead and clipped to the rows read."""
    from openpyxl import load_workbook  # only the import needs it

    try:
        with zipfile.ZipFile(path) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
                raise RosterFileError("too_big", limit=MAX_FILE_BYTES // (1024 * 1024))
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise RosterFileError("bad_xlsx") from None
    try:
        sheets = book.worksheets
        named = len(sheets) > 1
        tables: list[tuple[str | None, Table]] = []
        for sheet in sheets:
            cells = [
                [cell_text(v) for v in values]
                for values in sheet.iter_rows(
                    max_row=READ_ROWS, max_col=READ_COLUMNS, values_only=True
                )
            ]
            for top, bottom, left, right in _merged_ranges(path, sheet):
                if bottom > READ_ROWS or right > READ_COLUMNS:
                    # nothing a roster needs: a sheet made to blow up whoever expands it
                    raise RosterFileError("bad_merge", row=bottom, column=right)
                _fill(cells, top, bottom, left, right)
            rows: Table = list(enumerate(cells, start=1))
            tables.append((sheet.title if named else None, rows))
        return tables
    except RosterFileError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError):
        raise RosterFileError("bad_xlsx") from None
    finally:
        book.close()


def _merged_ranges(path: Path, sheet: Any) -> list[tuple[int, int, int, int]]:
    """The sheet's merged ranges (top, bottom, left, right; 1-based, inclusive) from its
    XML, streamed; at most MAX_MERGED."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import range_boundaries

    part = getattr(sheet, "_worksheet_path", None)
    if not part:
        return []
    found: list[tuple[int, int, int, int]] = []
    with zipfile.ZipFile(path) as archive, archive.open(part.lstrip("/")) as xml:
        for _, element in iterparse(xml):
            if element.tag.endswith("}mergeCell") and element.get("ref"):
                left, top, right, bottom = range_boundaries(str(element.get("ref")))
                if None not in (left, top, right, bottom):
                    found.append((int(top), int(bottom), int(left), int(right)))
                if len(found) >= MAX_MERGED:
                    break
            element.clear()  # (rows read and forgotten: memory stays flat)
    return found


def _fill(cells: list[list[str]], top: int, bottom: int, left: int, right: int) -> None:
    """Give every cell of a merged range (1-based, inclusive) the value of its first cell;
    only cells the sheet has (a range reaching far past the data adds nothing)."""
    if top > len(cells) or left > len(cells[top - 1]):
        return
    value = cells[top - 1][left - 1]
    for row in cells[top - 1 : bottom]:
        for column in range(left - 1, min(right, len(row))):
            row[column] = value


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


# --- checking the rows -------------------------------------------------------------------------
def parse_tables(tables: Sequence[tuple[str | None, Table]]) -> Roster:
    roster = Roster()
    found_header = False
    for sheet_index, (sheet, rows) in enumerate(tables):
        header = _find_header(rows)
        if header is None:
            if sheet is not None and any(any(c.strip() for c in cells) for _, cells in rows):
                roster.sheets_without_header.append(sheet)
            continue
        found_header = True
        header_row, columns, unread = header
        if unread:
            roster.unread_columns.append(
                UnreadColumns(Where(header_row, sheet, sheet_index), tuple(unread))
            )
        missing = [c for c in REQUIRED if c not in columns.values()]
        if missing:
            roster.problems.append(
                RosterProblem(
                    RosterProblemKind.COLUMNS_MISSING,
                    Where(header_row, sheet, sheet_index),
                    {"columns": [c.value for c in missing]},
                )
            )
            continue
        for number, cells in rows:
            if number <= header_row or not any(c.strip() for c in cells):
                continue
            if len(roster.entries) + len(roster.problems) >= MAX_ROWS:
                roster.problems.append(
                    RosterProblem(RosterProblemKind.TOO_MANY, None, {"limit": MAX_ROWS})
                )
                return roster
            values = {
                column: cells[index].strip() if index < len(cells) else ""
                for index, column in columns.items()
            }
            _check_row(roster, Where(number, sheet, sheet_index), values)
    if not found_header:
        roster.problems.append(RosterProblem(RosterProblemKind.NO_HEADER))
    elif not roster.entries and not roster.problems:
        roster.problems.append(RosterProblem(RosterProblemKind.EMPTY))
    _check_phones_once(roster)
    return roster


def _check_phones_once(roster: Roster) -> None:
    """One phone number on two rows is a copy-and-paste slip (or two people who would both
    be called on it): each later row names the first."""
    first: dict[str, Where] = {}
    for entry in roster.entries:
        if entry.phone is None:
            continue
        if entry.phone in first:
            roster.problems.append(
                RosterProblem(
                    RosterProblemKind.PHONE_TWICE,
                    entry.where,
                    {"phone": entry.phone, "other": first[entry.phone]},
                )
            )
        else:
            first[entry.phone] = entry.where
    roster.problems.sort(key=lambda p: p.where.order if p.where else (-1, 0))


def _find_header(rows: Table) -> tuple[int, dict[int, Column], list[str]] | None:
    """The first row (among the first few that hold anything) naming a name column and at
    least one other known column; its columns by position (the first of each kind), and
    the other cells of the row that hold text (columns that are not read)."""
    seen = 0
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        seen += 1
        if seen > HEADER_SEARCH:
            return None
        columns: dict[int, Column] = {}
        unread: list[str] = []
        for index, cell in enumerate(cells):
            column = HEADERS.get(_header_key(cell))
            if column is not None and column not in columns.values():
                columns[index] = column
            elif cell.strip():
                unread.append(" ".join(cell.split()))
        if Column.NAME in columns.values() and len(columns) >= 2:
            return number, columns, unread
    return None


def _header_key(cell: str) -> str:
    text = unicodedata.normalize("NFKC", cell)
    return "".join(text.split()).strip("*:：").casefold()


def _check_row(roster: Roster, where: Where, values: dict[Column, str]) -> None:
    problems: list[RosterProblem] = []

    def problem(kind: RosterProblemKind, **params: object) -> None:
        problems.append(RosterProblem(kind, where, params))

    name = ""
    try:
        name = clean_name(values.get(Column.NAME, ""))
    except DomainError as error:
        if error.code == "name_too_long":
            problem(RosterProblemKind.NAME_TOO_LONG, limit=MAX_NAME)
        else:
            problem(RosterProblemKind.NO_NAME)
    role_text = values.get(Column.ROLE, "")
    role: tuple[Role, PartnerType | None] | None = None
    if not role_text:
        problem(RosterProblemKind.NO_ROLE)
    else:
        try:
            role = parse_role(role_text)
        except RosterFileError as error:
            problem(RosterProblemKind(error.code), role=role_text)
    office = " ".join(values.get(Column.OFFICE, "").split())
    if role is not None and role[0].needs_office and not office:
        problem(RosterProblemKind.NO_OFFICE)
    phone_text = values.get(Column.PHONE, "")
    phone: str | None = None
    if phone_text:
        try:
            phone = roster_phone(phone_text)
        except RosterFileError as error:
            problem(RosterProblemKind(error.code), phone=phone_text)
    if problems:
        roster.problems.extend(problems)
        if office:
            station_role = role is None or not role[0].needs_office
            roster.unchecked_offices.append(OfficeCell(where, office, station_role))
        return
    assert role is not None
    roster.entries.append(RosterEntry(where, name, role[0], role[1], office, phone))


def parse_role(text: str) -> tuple[Role, PartnerType | None]:
    """A role as officers write it (`巡防队员`, `社区民警`, `网格员`, `值班室`, `所长`, or the
    bot's English names); `RosterFileError` with the problem's kind otherwise."""
    key = "".join(unicodedata.normalize("NFKC", text).split()).casefold()
    if key in ROLE_WORDS:
        return ROLE_WORDS[key]
    if key in _PARTNER_ALONE:
        raise RosterFileError(RosterProblemKind.PARTNER_KIND.value)
    if key in _OPERATOR:
        raise RosterFileError(RosterProblemKind.OPERATOR.value)
    raise RosterFileError(RosterProblemKind.BAD_ROLE.value)


def same_number(given: str, listed: str) -> bool:
    """Whether a number a person gave (typed, or their Telegram contact: `8613812345678`)
    is the one a roster lists, however each is written."""

    def plain(text: str) -> str:
        try:
            return roster_phone(text)
        except RosterFileError:
            return "".join(c for c in unicodedata.normalize("NFKC", text) if c.isdigit())

    return plain(given) == plain(listed)


def roster_phone(text: str) -> str:
    """A mainland mobile (11 digits from 1, `13812345678`) or a landline with its area code
    (`0351-1234567`, `010-12345678`), written with spaces, dashes, brackets, full-width digits
    or +86; returned as officers dial it. `RosterFileError` with the problem's kind otherwise."""
    plain = unicodedata.normalize("NFKC", text).strip()
    if _SHORTENED.match(plain):
        raise RosterFileError(RosterProblemKind.PHONE_SHORTENED.value)
    if _lost_zero(plain):
        raise RosterFileError(RosterProblemKind.PHONE_LOST_ZERO.value)
    digits = _PHONE_MARKS.sub("", plain)
    for prefix in ("+86", "0086", "86"):
        rest = digits.removeprefix(prefix)
        if rest != digits and _MOBILE.match(rest):
            return rest
    if _MOBILE.match(digits):
        return digits
    if _is_landline(digits):
        area = _area_length(digits)
        return f"{digits[:area]}-{digits[area:]}"
    raise RosterFileError(RosterProblemKind.BAD_PHONE.value)


def _lost_zero(plain: str) -> bool:
    """A landline typed into a number cell: Excel dropped its leading 0 (`3511234567`)."""
    return (
        plain.isdigit()
        and not plain.startswith("0")
        and not _MOBILE.match(plain)
        and _is_landline(f"0{plain}")
    )


def _area_length(digits: str) -> int:
    """010 and 02x are three-digit area codes, every other one has four digits."""
    return 3 if digits[1] in "12" else 4


def _is_landline(digits: str) -> bool:
    """A landline with its area code, digits only (`03511234567`)."""
    return bool(_LANDLINE.match(digits)) and 7 <= len(digits) - _area_length(digits) <= 8
