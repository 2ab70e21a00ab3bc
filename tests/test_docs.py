"""The operator documents match the code: every variable they name is a setting, every
command they name is one the bot answers, and the deployment files run the real entry
point."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from telegram.ext import CommandHandler

from models.config import Settings, load_settings
from tests.fakes import TOKEN
from tests.harness import Harness

ROOT = Path(__file__).resolve().parent.parent
DOCS = [
    ROOT / "README.md",
    ROOT / "docs" / "operator.zh.md",
    ROOT / "docs" / "operator.en.md",
    ROOT / "docs" / "privacy.md",
    *sorted((ROOT / "deploy").iterdir()),
    ROOT / "Dockerfile",
]
VARIABLE = re.compile(r"PATROL_[A-Z_]+")
# BotFather's commands and HTTP paths are named in the guides too
NOT_OURS = {
    "newbot",
    "setjoingroups",
    "setprivacy",
    "healthz",
    "setdomain",
}  # (BotFather's, and a URL)
COMMAND = re.compile(r"(?<![\w/.:-])/([a-z]{3,})\b(?![/-])")


def test_every_variable_in_the_documents_is_a_setting() -> None:
    known = {f"PATROL_{name.upper()}" for name in Settings.model_fields}
    for path in DOCS:
        named = set(VARIABLE.findall(path.read_text(encoding="utf-8")))
        assert named <= known, f"{path.name}: {sorted(named - known)}"
    # and the README's settings table names every setting
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert known <= set(VARIABLE.findall(readme)), sorted(known - set(VARIABLE.findall(readme)))


# `python bot.py SUBCOMMAND --option ...` as written in the documents (across line breaks)
CONSOLE = re.compile(r"python bot\.py ([a-z-]+)((?:\s+(?:--[a-z-]+|[^\s`-][^\s`]*))*)")


def test_every_console_command_in_the_documents_exists(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each `python bot.py …` the README and the guides show is a subcommand of the real
    entry point, and each of its `--options` is one that subcommand takes."""
    import bot

    seen = 0
    for path in (
        ROOT / "README.md",
        ROOT / "docs" / "operator.zh.md",
        ROOT / "docs" / "operator.en.md",
    ):
        for sub, rest in CONSOLE.findall(path.read_text(encoding="utf-8")):
            with pytest.raises(SystemExit) as done:
                bot.main([sub, "--help"])
            assert done.value.code == 0, f"{path.name}: python bot.py {sub}"
            usage = capsys.readouterr().out
            for option in re.findall(r"--[a-z-]+", rest):
                assert option in usage, f"{path.name}: python bot.py {sub} {option}"
            seen += 1
    assert seen >= 10


async def test_every_command_in_the_guides_is_answered(harness: Harness) -> None:
    commands = {
        command
        for handlers in harness.app.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    for name in ("operator.zh.md", "operator.en.md"):
        text = (ROOT / "docs" / name).read_text(encoding="utf-8")
        named = set(COMMAND.findall(text)) - NOT_OURS
        assert named, name
        assert named <= commands, f"{name}: {sorted(named - commands)}"


def test_the_deployment_files_run_the_real_entry_point() -> None:
    unit = (ROOT / "deploy" / "mulan-patrol.service").read_text(encoding="utf-8")
    assert "bot.py run" in unit and "Restart=on-failure" in unit and "User=mulan" in unit
    assert "StateDirectory=mulan-patrol" in unit and "/var/lib/mulan-patrol/" in unit
    backup = (ROOT / "deploy" / "mulan-patrol-backup.service").read_text(encoding="utf-8")
    assert "bot.py backup" in backup
    docker = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert 'CMD ["python", "bot.py", "run"]' in docker and "USER mulan" in docker
    for package in ("cli", "handlers", "models", "scheduler", "locales"):
        assert f"COPY {package} {package}" in docker


def test_the_example_env_file_starts_the_bot_once_the_token_is_filled_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for line in (ROOT / "deploy" / "env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            monkeypatch.setenv(key.strip(), value.strip())
    monkeypatch.setenv("PATROL_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("PATROL_DB_PATH", str(tmp_path / "patrol.db"))
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    settings = load_settings()
    assert settings.heartbeat_url is None and not settings.webhook_url
