"""Mulan Patrol (木兰巡防): the composition root. settings -> storage -> services -> Application.

Every handler is registered here, in one table; order matters (first match wins in a group).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from telegram import Bot, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from cli import backup as backup_cli
from cli import invites as invites_cli
from cli import roster_import as roster_cli
from cli.orgfile import apply_command, export_command
from handlers import (
    areas,
    backup,
    broadcast,
    common,
    fraud,
    groups,
    invite,
    onboarding,
    patrol,
    peaks,
    report_actions,
    report_draft,
    roster,
    station_settings,
    stats,
)
from handlers.board import BoardServer
from handlers.context import CustomContext, PatrolApplication
from handlers.conversation import Flow, FlowRouter
from handlers.errors import on_error
from handlers.gatekeeper import gatekeeper
from handlers.inbox import DurableUpdateQueue
from handlers.keyboards import KEYBOARD_ACTIONS
from handlers.menu import publish_commands
from handlers.replies import PatrolBot
from handlers.waiting import WaitingNotices
from handlers.webhook import WebhookServer
from locales import Translator
from models.aio import wait_event
from models.callbacks import pattern
from models.clock import Clock, OffsetClock
from models.config import (
    Settings,
    SettingsError,
    load_settings,
    load_storage_settings,
)
from models.services import Services
from models.store.db import Database, SchemaTooNewError
from models.store.lock import AlreadyRunningError, InstanceLock
from models.store.misc_repo import DeploymentRepository
from models.store.retention_repo import phone_spans
from scheduler.health import WatchedRequest
from scheduler.limits import PriorityRateLimiter
from scheduler.notices import backup_notify, patrol_notify, stats_views
from scheduler.outbox import MAX_IN_FLIGHT, URGENT_RESERVE

log = logging.getLogger("patrol")

ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    clock: Clock | None = None,
    rate_limit: bool = True,
) -> PatrolApplication:
    """Wire storage, services, translator and every handler into one Application."""
    db = Database(settings.db_path)
    services = Services.create(settings, db, clock or Clock())
    translator = Translator.load(settings.default_locale)

    defaults = Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.zone)
    # the getUpdates connection tells the health check when Telegram last answered
    proxy = settings.proxy_url.get_secret_value() if settings.proxy_url else None
    updates_request = WatchedRequest(
        request if request is not None else HTTPXRequest(connection_pool_size=1, proxy=proxy)
    )
    bot_options: dict[str, Any] = {
        "token": settings.token,
        "defaults": defaults,
        "get_updates_request": updates_request,
        # The builder's type parameter fixes the limiter's argument type to None; ours is a dict.
        "rate_limiter": PriorityRateLimiter() if rate_limit else None,
    }
    if settings.api_base_url:
        bot_options["base_url"] = settings.api_base_url
        bot_options["base_file_url"] = file_url(settings.api_base_url)
    if request is not None:
        bot_options["request"] = request
    else:
        # replies leave through the outbox, so the pool serves the sender's slots
        bot_options["request"] = HTTPXRequest(
            connection_pool_size=MAX_IN_FLIGHT + URGENT_RESERVE + 4, proxy=proxy
        )
    builder = (
        ApplicationBuilder()
        .application_class(PatrolApplication, {"services": services, "translator": translator})
        .bot(PatrolBot(**bot_options))
        .context_types(ContextTypes(context=CustomContext))
        .update_queue(DurableUpdateQueue())
        .post_init(_on_start)
        .post_shutdown(_on_shutdown)
    )
    app = builder.build()
    assert isinstance(app, PatrolApplication)
    # the board's photo downloads: two connections of their own, no rate limiter (a card's
    # photos never take a connection or a slot a backup call's sends need)
    files_request = request or HTTPXRequest(connection_pool_size=2, proxy=proxy, read_timeout=20)
    app.files = Bot(
        settings.token,
        base_url=bot_options.get("base_url", "https://api.telegram.org/bot"),
        base_file_url=file_url(settings.api_base_url),
        request=files_request,
        get_updates_request=files_request,
    )
    _register_handlers(app, translator)
    invite.register(app)
    health, sender = app.health, app.sender

    def answered() -> None:
        health.polled()
        sender.answered()  # an outage is over: what the outbox held goes now

    updates_request.on_answer = answered
    health.polling = updates_request
    updater = app.updater
    updates_request.polling = lambda: updater is not None and updater.running
    queue = app.update_queue
    waiting = WaitingNotices(app)  # a backup call the database cannot store yet is told so
    updates_request.on_refused = waiting.refused
    if isinstance(queue, DurableUpdateQueue):
        updates_request.on_updates = queue.stored_in_advance
        queue.on_wait = updates_request.alive
        queue.on_refused = waiting.refused
    return app


def file_url(api_base_url: str | None) -> str:
    """Where the Bot API serves files: `…/file/bot` beside `…/bot` (Telegram's own and a
    local Bot API server's convention)."""
    base = (api_base_url or "https://api.telegram.org/bot").rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file/bot"


def _register_handlers(app: PatrolApplication, translator: Translator) -> None:
    private = filters.ChatType.PRIVATE
    # group -1: who is speaking, and whether the update goes any further
    app.add_handler(TypeHandler(Update, gatekeeper), group=-1)
    # group 0, in order: membership, commands, buttons, keyboard labels, conversations
    table: list[Any] = [
        ChatMemberHandler(groups.bot_membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(filters.StatusUpdate.MIGRATE, groups.group_migrated),
        *_commands(private),
        *_buttons(),
        MessageHandler(filters.COMMAND, common.unknown_command),
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.LOCATION, backup.live_location),
        # a message forwarded to the bot in private is a scam check, whoever sends it
        MessageHandler(private & filters.FORWARDED, fraud.forwarded),
        *_keyboard_labels(private, translator),
        MessageHandler(private & ~filters.StatusUpdate.ALL, _router()),
    ]
    app.add_handlers(table)
    app.add_error_handler(on_error)


def _router() -> FlowRouter:
    """Each private message to the step of the conversation its sender is in."""
    return FlowRouter(
        {
            Flow.ONBOARDING: onboarding.STEPS,
            Flow.AREAS: areas.STEPS,
            Flow.SETTINGS: station_settings.STEPS,
            Flow.REPORT: report_draft.STEPS,
            Flow.REPORT_INPUT: report_actions.STEPS,
            Flow.BACKUP: backup.STEPS,
            Flow.PATROL: patrol.STEPS,
            Flow.PEAKS: peaks.STEPS,
            Flow.CHECK: fraud.STEPS,
            Flow.BROADCAST: broadcast.STEPS,
            Flow.STATS: stats.STEPS,
        },
        fallback=backup.private_fallback,
    )


def _keyboard_labels(private: filters.BaseFilter, translator: Translator) -> list[Any]:
    """The reply keyboard's buttons, in every language (their labels are the messages)."""
    keyboard: dict[str, Any] = {
        "kb.report": report_draft.report_command,
        "kb.backup": backup.backup_command,
        "kb.today": patrol.today_command,
        "kb.checkin": patrol.checkin_command,
        "kb.checkout": patrol.checkout_command,
        "kb.help": common.help_command,
        "kb.language": common.language_command,
    }
    assert set(keyboard) == set(KEYBOARD_ACTIONS)
    return [
        MessageHandler(private & filters.Text(sorted(translator.all_labels(key))), callback)
        for key, callback in keyboard.items()
    ]


def _commands(private: filters.BaseFilter) -> list[Any]:
    return [
        CommandHandler("start", onboarding.start),
        CommandHandler("help", common.help_command),
        CommandHandler("language", common.language_command, filters=private),
        CommandHandler("cancel", common.cancel_command, filters=private),
        CommandHandler("invite", invite.invite_command, filters=private),
        CommandHandler("roster", roster.roster_command, filters=private),
        CommandHandler("areas", areas.areas_command, filters=private),
        CommandHandler("settings", station_settings.settings_command, filters=private),
        CommandHandler("register", groups.register_command),
        CommandHandler("report", report_draft.report_command),
        CommandHandler("reports", report_actions.reports_command, filters=private),
        CommandHandler("backup", backup.backup_command),
        CommandHandler("duty", backup.duty_command, filters=private),
        CommandHandler("today", patrol.today_command, filters=private),
        CommandHandler("checkin", patrol.checkin_command, filters=private),
        CommandHandler("checkout", patrol.checkout_command, filters=private),
        CommandHandler("leave", patrol.leave_command, filters=private),
        CommandHandler("peaks", peaks.peaks_command, filters=private),
        CommandHandler("check", fraud.check_command),
        CommandHandler("tips", fraud.tips_command),
        CommandHandler("broadcast", broadcast.broadcast_command, filters=private),
        CommandHandler("stats", stats.stats_command, filters=private),
        CommandHandler("export", stats.export_command, filters=private),
    ]


def _buttons() -> list[Any]:
    """Every feature's buttons, by the prefix of their data; the catch-all last."""
    return [
        CallbackQueryHandler(onboarding.language_chosen, pattern=pattern(onboarding.FEATURE)),
        CallbackQueryHandler(common.language_chosen, pattern=pattern(common.LANGUAGE)),
        CallbackQueryHandler(invite.invite_step, pattern=pattern(invite.FEATURE)),
        CallbackQueryHandler(roster.roster_press, pattern=pattern(roster.FEATURE)),
        CallbackQueryHandler(areas.areas_press, pattern=pattern(areas.FEATURE)),
        CallbackQueryHandler(
            station_settings.settings_press, pattern=pattern(station_settings.FEATURE)
        ),
        CallbackQueryHandler(groups.register_step, pattern=pattern(groups.FEATURE)),
        CallbackQueryHandler(report_draft.draft_press, pattern=pattern(report_draft.FEATURE)),
        CallbackQueryHandler(report_actions.report_press, pattern=pattern(report_actions.FEATURE)),
        CallbackQueryHandler(backup.backup_press, pattern=pattern(backup_notify.FEATURE)),
        CallbackQueryHandler(patrol.patrol_press, pattern=pattern(patrol_notify.FEATURE)),
        CallbackQueryHandler(peaks.peaks_press, pattern=pattern(peaks.FEATURE)),
        CallbackQueryHandler(fraud.fraud_press, pattern=pattern(fraud.FEATURE)),
        CallbackQueryHandler(broadcast.broadcast_press, pattern=pattern(broadcast.FEATURE)),
        CallbackQueryHandler(stats.on_press, pattern=pattern(stats_views.FEATURE)),
        CallbackQueryHandler(common.stale_button),
    ]


async def _on_start(app: Any) -> None:
    """Open the database, queue the updates left from the last run, publish the menus."""
    assert isinstance(app, PatrolApplication)
    await app.services.db.open()
    await app.services.fraud.sync_shipped()
    pending = await app.queue_pending_updates()
    if pending:
        log.info("%d stored update(s) from the last run will be processed first", pending)
    await publish_commands(app.bot, app.translator, app.services.settings.default_locale)
    settings = app.services.settings
    if settings.webapp_url and not settings.webhook_url:  # (webhook: on the webhook's server)
        host, _, port = settings.listen.rpartition(":")
        server = BoardServer(app)
        server.start(host, int(port))
        _BOARD_SERVERS[id(app)] = server
        log.info("the station board is served on %s", settings.listen)


_BOARD_SERVERS: dict[int, BoardServer] = {}  # polling mode's board server, by application


async def _on_shutdown(app: Any) -> None:
    assert isinstance(app, PatrolApplication)
    server = _BOARD_SERVERS.pop(id(app), None)
    if server is not None:
        await server.stop()
    if app.files.request is not app.bot.request:  # (its own connections, not a test's fake)
        await app.files.request.shutdown()
    await app.services.db.close()


_REDACT: RedactSecrets | None = None  # the filter configure_logging installed


class RedactSecrets(logging.Filter):
    """The token never appears in a log, whatever a library logs (URLs carry it)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "<redacted>")
            record.msg, record.args = message, None
        return True


class PrivateLog(logging.Filter):
    """Phone numbers never reach the log, at any level and whoever logs them (a library at
    DEBUG logs whole requests): each is masked in the message and in a traceback's text.
    What people write — texts, descriptions, places — is kept out of our own log lines at
    INFO and above (tests/test_log_privacy.py); this is the net under that."""

    MASK = "[phone]"

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _mask_phones(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _mask_phones(record.exc_text)
        return True


def _mask_phones(text: str) -> str:
    for start, end in reversed(phone_spans(text)):
        text = text[:start] + PrivateLog.MASK + text[end:]
    return text


def configure_logging(level: str = "INFO", secrets: list[str] | None = None) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # httpx logs request URLs, which contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    global _REDACT
    _REDACT = RedactSecrets(secrets or [])
    for handler in logging.getLogger().handlers:
        handler.addFilter(_REDACT)
        handler.addFilter(PrivateLog())


def redact_too(secret: str) -> None:
    """A secret learnt after start (a generated webhook secret) is kept out of logs too."""
    if _REDACT is not None and secret:
        _REDACT.secrets.append(secret)


def main(argv: list[str] | None = None) -> int:
    """`python bot.py` runs the bot; `python bot.py backup PATH` copies the database."""
    # Opt in to PTB's coming timedelta durations (RetryAfter.retry_after); we read both.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    parser = argparse.ArgumentParser(prog="bot.py", description="Mulan Patrol (木兰巡防)")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (the default)")
    backup = commands.add_parser("backup", help="a consistent copy of the database, online")
    backup.add_argument("path", type=Path)
    invites = commands.add_parser(
        "invites", help="a printable sheet of invitation QR codes; expired unused invitations"
    )
    invites_cli.console_arguments(invites)
    apply = commands.add_parser(
        "apply", help="create and update stations, offices, places, settings from a YAML file"
    )
    apply.add_argument("file", type=Path)
    apply.add_argument("--dry-run", action="store_true", help="show the changes, make none")
    apply.add_argument(
        "--prune",
        action="store_true",
        help="in the stations the file lists, deactivate what it lacks and reset the settings"
        " it leaves out",
    )
    apply.add_argument(
        "--prune-stations",
        action="store_true",
        help="deactivate the stations the file does not list",
    )
    export_org = commands.add_parser("export-org", help="write the organisation as a YAML file")
    export_org.add_argument("file", type=Path, help="the file to write, or - for the screen")
    export_org.add_argument("--force", action="store_true", help="replace an existing file")
    import_roster = commands.add_parser(
        "import-roster",
        help="people who will join, from a roster (CSV or XLSX); --list shows who has not",
    )
    roster_cli.console_arguments(import_roster)
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            return backup_cli.backup(load_storage_settings(), args.path)
        if args.command == "invites":
            return invites_cli.console(load_settings(), args)
        if args.command == "apply":
            return apply_command(
                load_storage_settings(),
                args.file,
                dry_run=args.dry_run,
                prune=args.prune,
                prune_stations=args.prune_stations,
            )
        if args.command == "export-org":
            return export_command(load_storage_settings(), args.file, force=args.force)
        if args.command == "import-roster":
            return roster_cli.console(load_settings(), args)
        return _run(load_settings())
    except SettingsError as error:
        print(f"mulan-patrol: {error.variable} {error.problem}", file=sys.stderr)
        return 2


def _run(settings: Settings) -> int:
    """Run the bot (polling, or webhook when PATROL_WEBHOOK_URL is set) until stopped."""
    configure_logging(settings.log_level, _secrets(settings))
    lock = InstanceLock(settings.db_path)
    try:
        lock.acquire()
    except AlreadyRunningError as error:
        print(f"mulan-patrol: PATROL_DB_PATH {error}", file=sys.stderr)
        return 2
    clock = (
        OffsetClock(timedelta(seconds=settings.clock_offset_seconds))
        if settings.clock_offset_seconds
        else None
    )
    app = build_application(settings, clock=clock)
    try:
        refused = asyncio.run(reach_telegram(app.bot, settings))
        if refused is not None:
            return refused
        if settings.webhook_url:
            asyncio.run(_serve_webhook(app, settings))
        else:
            app.run_polling(allowed_updates=ALLOWED_UPDATES)
    except SchemaTooNewError as error:
        print(f"mulan-patrol: PATROL_DB_PATH {error}", file=sys.stderr)
        return 2
    finally:
        lock.release()
    return app.exit_code


# At start, an unreachable Bot API is tried again after this long, doubling up to the max.
REACH_FIRST, REACH_MAX = 2.0, 60.0


async def reach_telegram(bot: Any, settings: Settings) -> int | None:
    """Before anything starts: ask the Bot API who we are (getMe) until it answers. None
    once it does; 2 when it refuses the token (one line: retrying would not help, and the
    unit does not restart on 2); 0 when SIGTERM or SIGINT came first. An unreachable API
    (no network yet, DNS, a firewall, a server in mainland China without a proxy) gets one
    clear line per attempt, no traceback."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    address = settings.api_base_url or "https://api.telegram.org"
    route = "through PATROL_PROXY_URL" if settings.proxy_url else "directly (no PATROL_PROXY_URL)"
    delay = REACH_FIRST
    try:
        while True:
            try:
                await bot.initialize()  # getMe
                return None
            except InvalidToken:
                log.error(
                    "the Bot API at %s rejects the token: check PATROL_BOT_TOKEN (from"
                    " @BotFather); not retrying",
                    address,
                )
                return 2
            except (NetworkError, OSError) as error:
                log.error(
                    "cannot reach the Bot API at %s %s (%s): check the network, DNS and"
                    " firewall, PATROL_PROXY_URL and PATROL_API_BASE_URL; trying again in %.0f s",
                    address,
                    route,
                    error,
                    delay,
                )
            if await wait_event(stop, delay):
                log.info("stopped before the Bot API answered")
                return 0
            delay = min(delay * 2, REACH_MAX)
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
        # its connections belong to this event loop: the application opens its own
        await bot.shutdown()


async def _serve_webhook(app: PatrolApplication, settings: Settings) -> None:
    """Webhook mode: our own small server (updates, and /healthz for the monitor), then
    setWebhook; SIGTERM or SIGINT stops it the way polling stops."""
    assert settings.webhook_url is not None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server: WebhookServer | None = None
    host, _, port = settings.listen.rpartition(":")
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        secret = await webhook_secret(app)
        server = WebhookServer(app, urlparse(settings.webhook_url).path, secret)
        server.start(host, int(port))  # listening before Telegram is told where we are
        await app.start()
        for attempt in range(6):
            try:
                await app.bot.set_webhook(
                    settings.webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
                )
                break
            except TelegramError as error:
                log.warning("setWebhook failed (%s); trying again", error)
                if attempt == 5 or stop.is_set():
                    raise
                await wait_event(stop, 2**attempt)
        log.info("webhook server on %s; Telegram posts to %s", settings.listen, "the URL set")
        await stop.wait()
    finally:
        if server is not None:
            await server.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


WEBHOOK_SECRET_KEY = "webhook_secret"  # the generated secret's row in `deployment`


async def webhook_secret(app: PatrolApplication) -> str:
    """The secret Telegram must send with every update: PATROL_WEBHOOK_SECRET when set,
    else one generated once and kept in the database (the webhook never runs open)."""
    configured = app.services.settings.webhook_secret
    if configured is not None and configured.get_secret_value().strip():
        return configured.get_secret_value().strip()
    repo = DeploymentRepository(app.services.db)
    secret = await repo.get(WEBHOOK_SECRET_KEY)
    if secret is None:
        # Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -: token_urlsafe's alphabet
        secret = secrets.token_urlsafe(48)
        await repo.put(WEBHOOK_SECRET_KEY, secret, app.services.clock.now())
        made = "generated one and keeps it in the database"
    else:
        made = "uses the one it generated before (kept in the database)"
    redact_too(secret)
    log.warning(
        "PATROL_WEBHOOK_SECRET is not set: the bot %s and registers it with setWebhook;"
        " requests without it are refused",
        made,
    )
    return secret


def _secrets(settings: Settings) -> list[str]:
    """What never reaches a log: the token, the webhook secret, the proxy's password."""
    hidden = [settings.token]
    if settings.webhook_secret is not None:
        hidden.append(settings.webhook_secret.get_secret_value())
    if settings.proxy_url is not None:
        password = urlparse(settings.proxy_url.get_secret_value()).password
        if password:
            hidden.append(password)
    return hidden


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
