"""Layers that point one way, checked by import-linter (contracts in pyproject.toml): the
contracts hold, and adding a forbidden import (the domain importing a job, a job importing
a handler, a handler importing a repository) breaks them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "scheduler", "handlers", "locales", "cli")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command;"
         " sys.exit(lint_imports_command())"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip


def test_the_layer_contracts_hold() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_forbidden_import_breaks_them(tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.po"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "models" / "shortcut.py").write_text("from scheduler import limits\n")
    # a job reaching up into the handlers (the cycle the notices package removed)
    (tmp_path / "scheduler" / "shortcut.py").write_text("from handlers import menu\n")
    # a handler writing through a repository instead of a service
    (tmp_path / "handlers" / "shortcut.py").write_text(
        "from models.store.reports_repo import ReportRepository\n"
    )
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "models.shortcut -> scheduler.limits" in result.stdout
    assert "scheduler.shortcut -> handlers.menu" in result.stdout
    assert "handlers.shortcut -> models.store.reports_repo" in result.stdout
