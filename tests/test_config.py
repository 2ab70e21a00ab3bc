"""Deployment settings: a bad one ends the program with one clear line and status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.config import SettingsError, load_settings
from tests.fakes import TOKEN

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("PATROL_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env from the project


def test_missing_token_names_the_variable() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.variable == "PATROL_BOT_TOKEN"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PATROL_BOT_TOKEN", "not-a-token"),
        ("PATROL_TIMEZONE", "Mars/Olympus"),
        ("PATROL_DEFAULT_LOCALE", "fr"),
        ("PATROL_ADMIN_IDS", "12,abc"),
        ("PATROL_BACKUP_STEP_WAITS", "180,5"),
        ("PATROL_LISTEN", "nohost"),
    ],
)
def test_malformed_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv("PATROL_BOT_TOKEN", TOKEN)
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.variable == variable


def test_unwritable_database_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("PATROL_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("PATROL_DB_PATH", str(blocker / "patrol.db"))
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.variable == "PATROL_DB_PATH"


def test_good_settings_parse(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATROL_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("PATROL_ADMIN_IDS", "1, 2,3")
    monkeypatch.setenv("PATROL_BACKUP_STEP_WAITS", "60,120")
    monkeypatch.setenv("PATROL_DB_PATH", str(tmp_path / "db" / "p.db"))
    settings = load_settings()
    assert settings.admin_ids == (1, 2, 3)
    assert settings.backup_step_waits == (60, 120)
    assert settings.zone.key == "Asia/Shanghai"
    assert (tmp_path / "db").is_dir()


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"PATROL_BOT_TOKEN={TOKEN}\nPATROL_DEFAULT_LOCALE=en\n")
    settings = load_settings(db_path=tmp_path / "p.db")
    assert settings.default_locale == "en"


def test_running_without_token_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATROL_")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["mulan-patrol: PATROL_BOT_TOKEN is required"]
    assert "Traceback" not in result.stderr
