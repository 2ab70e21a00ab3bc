"""Files from outside are bounded: an organisation file (`bot.py apply`) or a roster
(`bot.py import-roster`) made to blow up whoever reads it — a YAML alias bomb, nesting a
thousand levels deep, an oversized file, a 5 KB workbook with one merged range of 140
million cells, a zip bomb — is refused with one clear line, quickly, in a few megabytes,
and nothing is written."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from openpyxl import Workbook

from cli.orgfile import apply_command
from models.config import StorageSettings
from models.roster_import import RosterFileError, read_roster

ALIAS_BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
stations: [*i]
"""


@contextmanager
def bounded(seconds: float = 10.0, megabytes: int = 50) -> Iterator[None]:
    """Refused without blowing up: a bound an unbounded read misses by orders of magnitude
    (minutes, gigabytes), generous enough for a loaded CI under tracemalloc (a 1 s bound
    failed once at 1.03 s on CI's two busy cores; the refusals take under 0.8 s alone)."""
    tracemalloc.start()
    began = time.perf_counter()
    try:
        yield
    finally:
        took = time.perf_counter() - began
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert took < seconds, f"took {took:.2f} s"
        assert peak < megabytes * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


def _apply(tmp_path: Path, text: str | bytes) -> tuple[int, str, Path]:
    source = tmp_path / "county.yaml"
    source.write_bytes(text.encode() if isinstance(text, str) else text)
    storage = StorageSettings(db_path=tmp_path / "patrol.db", _env_file=None)
    out, err = io.StringIO(), io.StringIO()
    with bounded():
        code = apply_command(storage, source, out=out, err=err)
    return code, err.getvalue(), storage.db_path


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("alias bomb", lambda: ALIAS_BOMB, "anchors and aliases"),
        ("deep nesting", lambda: "stations: " + "[" * 5000 + "]" * 5000, "nested more than"),
        ("oversized", lambda: "# " + "x" * (3 * 1024 * 1024) + "\nstations: []\n", "larger"),
        ("far too large", lambda: b"#" * (9 * 1024 * 1024), "far too large"),
    ],
)
def test_a_bomb_organisation_file_is_refused_in_one_line(
    tmp_path: Path, name: str, make: Callable[[], str | bytes], says: str
) -> None:
    code, err, db_path = _apply(tmp_path, make())
    assert code == 2, name
    assert says in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) <= 2  # the file, the why
    assert not db_path.exists()  # nothing written


def _workbook(tmp_path: Path, merged: str | None = None, padding: int = 0) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "角色", "警务室", "电话"])
    sheet.append(["王芳", "队员", "DG", "13812345678"])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    if merged is None and not padding:
        return path
    # edit the sheet's XML the way a hostile file would be written (openpyxl itself would
    # expand the range into cells while writing it)
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    if merged is not None:
        ranges = f'<mergeCells count="1"><mergeCell ref="{merged}"/></mergeCells>'
        xml = xml.replace("</sheetData>", "</sheetData>" + ranges)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, data in parts.items():
            archive.writestr(filename, xml.encode() if filename.endswith("sheet1.xml") else data)
        if padding:
            archive.writestr("xl/padding.bin", b"\0" * padding)  # inflates 1,000-fold
    return path


def test_a_merged_range_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    path = _workbook(tmp_path, merged="A2:ZZ200000")
    assert path.stat().st_size < 10_000
    with bounded(), pytest.raises(RosterFileError) as refused:
        read_roster(path)
    assert refused.value.code == "bad_merge" and refused.value.params["row"] == 200000


def test_a_sensible_merged_range_still_fills_its_cells(tmp_path: Path) -> None:
    path = _workbook(tmp_path, merged="C2:C3")
    roster = read_roster(path)
    assert [e.name for e in roster.entries] == ["王芳"]


def test_a_zip_bomb_workbook_is_refused_from_its_directory(tmp_path: Path) -> None:
    path = _workbook(tmp_path, padding=200 * 1024 * 1024)
    assert path.stat().st_size < 1024 * 1024
    with bounded(), pytest.raises(RosterFileError) as refused:
        read_roster(path)
    assert refused.value.code == "too_big"


def test_an_oversized_roster_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(b"x" * (11 * 1024 * 1024))
    with bounded(), pytest.raises(RosterFileError) as refused:
        read_roster(path)
    assert refused.value.code == "too_big"
