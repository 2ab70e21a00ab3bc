"""Deployment-wide settings read from the environment and an optional `.env` file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from models.geo import PRESETS, tile_source

SUPPORTED_LOCALES = ("zh_CN", "en")
S = TypeVar("S", bound=BaseSettings)


class SettingsError(Exception):
    """A setting is missing or malformed; `variable` names it for the operator."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


class StorageSettings(BaseSettings):
    """What the maintenance commands (backup) need: only where the database is."""

    model_config = SettingsConfigDict(
        env_prefix="PATROL_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    db_path: Path = Path("data/patrol.db")
    log_level: str = "INFO"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level


class Settings(StorageSettings):
    """The deployment's settings; every field maps to a `PATROL_*` variable."""

    bot_token: SecretStr
    timezone: str = "Asia/Shanghai"
    default_locale: str = "zh_CN"
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    api_base_url: str | None = None
    # every call to the Bot API (polling and sending) through this proxy: http://, https://,
    # socks5:// or socks5h:// (names resolved by the proxy), credentials in the URL
    proxy_url: SecretStr | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    listen: str = "127.0.0.1:8080"
    # the station board (a Telegram Mini App) at this public HTTPS address, served by the
    # bot's own web server on `listen` behind the operator's proxy; unset: no board
    webapp_url: str | None = None
    # the board's map tiles: "osm" (default), "tianditu" (needs webapp_tiles_key), "amap",
    # or an https URL template of one's own ({z}, {x}, {y}; {tk} for the key) drawn in
    # `webapp_tiles_crs` ("wgs84" or "gcj02"), credited as `webapp_tiles_attribution`
    webapp_tiles: str = "osm"
    webapp_tiles_key: SecretStr | None = None
    webapp_tiles_crs: Literal["wgs84", "gcj02"] = "wgs84"
    webapp_tiles_attribution: str = ""
    backup_step_waits: Annotated[tuple[int, ...], NoDecode] = (180, 300, 300)
    invitation_days: int = Field(default=7, ge=1, le=365)
    # a dead-man's switch: called every `heartbeat_seconds` while the bot is healthy
    heartbeat_url: str | None = None
    heartbeat_seconds: int = Field(default=60, ge=1, le=3600)
    # resolved reports older than this lose their photos, voice and phone numbers
    retention_days: int = Field(default=3 * 365, ge=30)
    # rehearsals and process tests only: the bot lives this many seconds ahead (or behind)
    clock_offset_seconds: float = 0.0

    @field_validator("webapp_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith("https://"):
            raise ValueError("must be an https:// address (Telegram opens Mini Apps only so)")
        return value.rstrip("/") + "/"

    @field_validator("webapp_tiles")
    @classmethod
    def _known_tiles(cls, value: str) -> str:
        if value in PRESETS:
            return value
        if not value.startswith("https://"):
            raise ValueError("must be osm, tianditu, amap or an https:// URL template")
        if "{s}" in value:
            raise ValueError("a template of one's own has no {s} (one host)")
        try:
            tile_source(value)
        except ValidationError as error:  # the template's own complaint
            raise ValueError(error.errors()[0]["msg"].removeprefix("Value error, ")) from None
        return value

    @field_validator("heartbeat_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if not value:  # `PATROL_HEARTBEAT_URL=` in an env file: no heartbeat
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// address")
        return value

    @field_validator("proxy_url")
    @classmethod
    def _proxy_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None  # `PATROL_PROXY_URL=`: no proxy
        url = value.get_secret_value().strip()
        if not url.startswith(("http://", "https://", "socks5://", "socks5h://")):
            raise ValueError("must start with http://, https://, socks5:// or socks5h://")
        return SecretStr(url)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().strip()
        head, sep, tail = token.partition(":")
        if not sep or not head.isdigit() or len(tail) < 20:
            raise ValueError("does not look like a token from BotFather (digits:secret)")
        return SecretStr(token)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            try:
                return tuple(int(p) for p in parts)
            except ValueError as exc:
                raise ValueError("must be comma-separated Telegram user ids") from exc
        return value

    @field_validator("backup_step_waits", mode="before")
    @classmethod
    def _split_waits(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                waits = tuple(int(p) for p in value.split(",") if p.strip())
            except ValueError as exc:
                raise ValueError("must be comma-separated seconds, e.g. 180,300,300") from exc
            if not waits or any(w < 10 for w in waits):
                raise ValueError("needs at least one wait, each of 10 seconds or more")
            return waits
        return value

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be HOST:PORT, e.g. 127.0.0.1:8080")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str:
        return self.bot_token.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Read the settings; raise `SettingsError` naming the first bad variable."""
    settings = _read(Settings, overrides)
    check_db_path_writable(settings.db_path)
    return settings


def load_storage_settings() -> StorageSettings:
    return _read(StorageSettings, {})


def _read(kind: type[S], overrides: dict[str, object]) -> S:
    try:
        return kind(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "settings"
        variable = f"PATROL_{field.upper()}"
        problem = "is required" if error["type"] == "missing" else error["msg"]
        raise SettingsError(variable, problem) from None


def check_db_path_writable(path: Path) -> None:
    """Fail early, with the variable named, when the database cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(
            "PATROL_DB_PATH", f"cannot create {path.parent}: {exc.strerror}"
        ) from None
    if path.exists() and not path.is_file():
        raise SettingsError("PATROL_DB_PATH", f"{path} is not a file")
    # SQLite writes its -wal and -shm files beside the database: the folder must be writable.
    for target in (path, path.parent):
        if target.exists() and not os.access(target, os.W_OK):
            raise SettingsError("PATROL_DB_PATH", f"{target} is not writable")
