"""Clean licences: every runtime dependency's licence is one a county may run and hand on,
docs/licenses.md lists them all, and no proprietary font (SimHei, Microsoft YaHei …) is
installed with the bot."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from tests.licences import ALLOWED, REVIEWED, consistent, licence_of, parts, runtime_closure

ROOT = Path(__file__).resolve().parent.parent
# fonts that may not be redistributed (the chart uses Noto Sans CJK SC, SIL OFL)
PROPRIETARY_FONTS = ("simhei", "simsun", "msyh", "simkai", "simfang", "stheiti", "pingfang")


def test_every_runtime_dependency_has_a_reviewed_allowed_licence() -> None:
    closure = runtime_closure()
    assert "python-telegram-bot" in closure and "aiosqlite" in closure  # (the walk works)
    assert "pytest" not in closure  # test tools are not shipped
    unreviewed = sorted(set(closure) - set(REVIEWED))
    assert not unreviewed, f"read their licences and add them to REVIEWED: {unreviewed}"
    for name in closure:
        reviewed = REVIEWED[name]
        assert all(part in ALLOWED for part in parts(reviewed)), (name, reviewed)
        assert consistent(licence_of(name), reviewed), (name, licence_of(name), reviewed)


def test_the_licence_page_lists_every_runtime_dependency() -> None:
    page = (ROOT / "docs" / "licenses.md").read_text(encoding="utf-8")
    for name in runtime_closure():
        assert f"| {name} |" in page, f"docs/licenses.md lacks {name}: python -m tests.licences"
    assert "NOT REVIEWED" not in page


def test_no_proprietary_font_is_installed_and_the_chart_font_carries_its_licence() -> None:
    for dist in metadata.distributions():
        for file in dist.files or []:
            name = file.name.lower()
            if name.endswith((".ttf", ".otf", ".ttc")):
                assert not name.startswith(PROPRIETARY_FONTS), (dist.metadata["Name"], file)
    fonts = ROOT / "models" / "fonts"
    assert (fonts / "NotoSansCJKsc-Regular.otf").is_file()
    licence = (fonts / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE" in licence and "Version 1.1" in licence
    for path in ROOT.rglob("*"):
        if ".venv" in path.parts or ".git" in path.parts:
            continue
        assert not path.name.lower().startswith(PROPRIETARY_FONTS), path
