"""The station board: a Telegram Mini App served by the bot's own web server (tornado, as
the webhook), under `/board/` — its page and scripts (`webapp/`) and its JSON API.

Every API call carries Telegram's `initData` (`Authorization: tma <initData>`), checked as
Telegram specifies (models/webapp_auth.py): signature, age, and a registered, active person
whose role has a board; then the same scope and rights as the chat (models/services/board.py
for what is read, the chat's services for what is done, under the one write lock). A forged,
expired or foreign `initData` gets 401 and nothing else; a member or a partner 403. Every
answer is `no-store`, under a strict Content-Security-Policy (no inline script, nothing from
elsewhere but Telegram's Mini App script and the configured map tiles)."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import time
from collections import OrderedDict
from datetime import timedelta
from functools import partial
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import tornado.httpserver
import tornado.web
from telegram.error import TelegramError

from handlers.report_actions import ADVANCE, TOLD
from locales import N_
from models.backup import BackupReason, BackupStatus
from models.errors import DomainError
from models.geo import TileSource, tile_source, to_tiles
from models.org import Person, Role
from models.reports import Category, Outcome, Report, ReportStatus
from models.services.board import BoardScope, board_scope
from models.stats import month_of
from models.webapp_auth import InitDataError, validate_init_data
from models.workbook import render as render_workbook
from scheduler.notices import report_views
from scheduler.notices.backup_notify import REASON
from scheduler.notices.report_notify import ReportNotifier

if TYPE_CHECKING:
    from handlers.context import PatrolApplication

log = logging.getLogger(__name__)

PREFIX = "/board"
ASSETS = Path(__file__).resolve().parent.parent / "webapp"
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
MAX_BODY = 16 * 1024  # an action's JSON is a few bytes


def tiles(app: PatrolApplication) -> TileSource:
    settings = app.services.settings
    source = tile_source(
        settings.webapp_tiles, settings.webapp_tiles_crs, settings.webapp_tiles_attribution
    )
    if source.needs_key:
        key = settings.webapp_tiles_key.get_secret_value() if settings.webapp_tiles_key else ""
        source = source.with_key(key)
    return source


def content_security_policy(source: TileSource) -> str:
    """Only our own files, Telegram's Mini App script and the tile server's images."""
    host = urlparse(source.url_template).netloc
    if "{s}" in host:  # t{s}.tianditu.gov.cn: CSP's wildcard stands for the whole first label
        host = "*." + host.split(".", 1)[1]
    tile_origin = "https://" + host
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' {TELEGRAM_SCRIPT}",
            "style-src 'self'",
            f"img-src 'self' data: blob: {tile_origin}",
            "media-src blob:",  # a report's voice message, fetched with the initData
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors https://web.telegram.org https://*.telegram.org",
        ]
    )


class _Secured(tornado.web.RequestHandler):
    app: PatrolApplication

    def initialize(self, app: PatrolApplication) -> None:
        self.app = app
        self.set_default_headers()  # (tornado sets them before `initialize` too)

    def set_default_headers(self) -> None:
        """On every answer, errors included (tornado calls this again for them)."""
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        if hasattr(self, "app"):
            self.set_header("Content-Security-Policy", content_security_policy(tiles(self.app)))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Nothing but the status (no traceback, no reason that helps a forger)."""
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": HTTPStatus(status_code).phrase.lower()}))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if not isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)


class PageHandler(_Secured):
    """The page itself (no data in it: everything comes from the API once signed)."""

    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish((ASSETS / "index.html").read_bytes())


class BoardServer:
    """Polling mode with a board: the bot's own small web server for it (in webhook mode
    its routes join the webhook's server instead)."""

    def __init__(self, app: PatrolApplication) -> None:
        self.server = tornado.httpserver.HTTPServer(
            tornado.web.Application(routes(app)), max_body_size=MAX_BODY
        )

    def start(self, host: str, port: int) -> None:
        self.server.listen(port, address=host)

    async def stop(self) -> None:
        self.server.stop()
        await self.server.close_all_connections()


class AssetHandler(tornado.web.StaticFileHandler):
    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")


class ApiHandler(_Secured):
    """The signed-in person's API call: `board` is their scope once `prepare` passed."""

    board: BoardScope

    async def prepare(self) -> None:
        header = self.request.headers.get("Authorization", "")
        scheme, _, init_data = header.partition(" ")
        services = self.app.services
        try:
            if scheme.lower() != "tma":
                raise InitDataError("missing")
            user = validate_init_data(
                init_data,
                services.settings.bot_token.get_secret_value(),
                now=services.clock.now(),
            )
        except InitDataError as error:
            log.info("board: refused initData (%s)", error.reason)
            raise tornado.web.HTTPError(HTTPStatus.UNAUTHORIZED) from None
        person = await services.people.by_telegram(user.id)
        if person is None or not person.active:
            raise tornado.web.HTTPError(HTTPStatus.UNAUTHORIZED)
        try:
            self.board = board_scope(person)
        except DomainError:
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN) from None

    @property
    def person(self) -> Person:
        return self.board.person

    def language(self) -> str:
        return self.person.locale or self.app.services.settings.default_locale

    def reply(self, body: Any) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(body, ensure_ascii=False))


UI = {
    "title": N_("board.title"),
    "tab_map": N_("board.tab_map"),
    "tab_queue": N_("board.tab_queue"),
    "tab_today": N_("board.tab_today"),
    "tab_week": N_("board.tab_week"),
    "step": N_("board.step"),
    "seconds": N_("board.seconds"),
    "minutes": N_("board.minutes"),
    "hours": N_("board.hours"),
    "all_offices": N_("board.all_offices"),
    "all_statuses": N_("board.all_statuses"),
    "all_kinds": N_("board.all_kinds"),
    "done": N_("board.done"),
    "error": N_("board.error"),
    "unfilled": N_("board.unfilled"),
    "tiles_offline": N_("board.tiles_offline"),
    "any_age": N_("board.any_age"),
    "older_15m": N_("board.older_15m"),
    "older_1h": N_("board.older_1h"),
    "older_1d": N_("board.older_1d"),
    "export": N_("board.export"),
}
SLOT_STATES = {
    "planned": N_("board.slot_planned"),
    "late": N_("board.slot_late"),
    "missed": N_("board.slot_missed"),
    "checked_in": N_("board.slot_checked_in"),
    "checked_out": N_("board.slot_checked_out"),
    "unfilled": N_("board.slot_unfilled"),
}


class MeHandler(ApiHandler):
    """Who is signed in, the map's tiles, and the words of the board in their language."""

    async def get(self) -> None:
        source = tiles(self.app)
        person, locale = self.person, self.language()
        plain = partial(self.app.translator.plain, locale)
        labels = {
            "ui": {name: plain(key) for name, key in UI.items()},
            "status": {s.value: plain(report_views.STATUS[s]) for s in ReportStatus if s.is_open},
            "category": {c.value: plain(report_views.CATEGORY[c]) for c in Category},
            "reason": {r.value: plain(REASON[r]) for r in BackupReason},
            "slot": {name: plain(key) for name, key in SLOT_STATES.items()},
        }
        self.reply(
            {
                "name": person.name,
                "role": person.role.value,
                "locale": locale,
                "station_id": self.board.scope.station_id,
                "office_id": self.board.scope.office_id,
                "tiles": source.model_dump(),
                "labels": labels,
            }
        )


class MapHandler(ApiHandler):
    """The map's markers, their coordinates in the tile source's system (GCJ-02 for AMap:
    converted here, from Telegram's WGS-84, by the one tested implementation)."""

    async def get(self) -> None:
        board = self.app.services.board
        data = await board.map(self.board)
        crs = tiles(self.app).crs
        for kind in ("reports", "calls", "offices", "places", "members"):
            for item in data[kind]:
                if item["lat"] is not None and item["lon"] is not None:
                    item["lat"], item["lon"] = to_tiles(item["lat"], item["lon"], crs)
        self.reply({**data, "version": await board.version()})


class TodayHandler(ApiHandler):
    """Today's patrol board: areas × shifts, who, and how each stands."""

    async def get(self) -> None:
        services = self.app.services
        zone = services.settings.zone
        rows = [
            {
                "office": s.office,
                "area": s.area,
                "hot": s.hot,
                "hours": f"{s.starts_at.astimezone(zone):%H:%M}–{s.ends_at.astimezone(zone):%H:%M}"
                if s.starts_at and s.ends_at
                else "",
                "member": s.member,
                "state": s.state,
            }
            for s in await services.board.today_slots(self.board)
        ]
        peak = None
        if self.board.scope.station_id is not None:
            today = services.board.today()
            found = await services.peaks.peaks(self.board.scope.station_id, today, today)
            if found:
                peak = ", ".join(self.app.peak_jobs.name(self.language(), p) for p in found)
        self.reply({"rows": rows, "peak": peak})


WEEK_SECONDS = 60.0  # the week's numbers are computed at most once a minute per scope
_WEEKS: dict[tuple[int, int | None, int | None, str], tuple[float, dict[str, Any]]] = {}


class WeekHandler(ApiHandler):
    """The last seven days in numbers, as /stats computes them, for the board's charts
    (a minute old at most: on a county's three years they take ~0.1 s to read)."""

    async def get(self) -> None:
        scope = self.board.scope
        key = (id(self.app), scope.station_id, scope.office_id, self.language())
        cached = _WEEKS.get(key)
        if cached is None or time.monotonic() - cached[0] > WEEK_SECONDS:
            cached = (time.monotonic(), await self._week())
            _WEEKS[key] = cached
        self.reply(cached[1])

    async def _week(self) -> dict[str, Any]:
        services, locale = self.app.services, self.language()
        plain = partial(self.app.translator.plain, locale)
        last = services.stats.today()
        figures = await services.stats.figures(self.board.scope, last - timedelta(days=6), last)
        by_day = [
            {"name": day[5:], "value": sum(counts.values())}
            for day, counts in sorted(figures.daily.items())
        ]
        by_kind = [
            {"name": plain(report_views.CATEGORY[Category(k)]), "value": n}
            for k, n in sorted(figures.by_category.items(), key=lambda kv: -kv[1])
        ]
        ack = [
            {"name": u.name, "value": round(u.ack_median / 60) if u.ack_median else 0,
             "text": f"{round(u.ack_median / 60)}′" if u.ack_median else "—"}
            for u in figures.units
        ]  # fmt: skip
        coverage = [
            {"name": plain("board.slots_checked_in"), "value": figures.slots_checked_in},
            {"name": plain("board.slots_missed"), "value": figures.slots_missed},
            {"name": plain("board.slots_planned"), "value": figures.slots_planned},
        ]
        zeros = None  # the chief's month: the five zeros, as the Monday report says them
        station = self.board.scope.station_id
        if station is not None and self.board.scope.office_id is None:
            month = month_of(last)
            entries = await services.stats.zeros(station, [month])
            line, _button = self.app.stats_views.zeros_in_report(
                locale, station, month, entries[month]
            )
            zeros = html.unescape(re.sub(r"<[^>]+>", "", line))
        return {
            "zeros": zeros,
            "charts": [
                {"title": plain("board.chart_per_day"), "series": by_day},
                {"title": plain("board.chart_by_kind"), "series": by_kind},
                {"title": plain("board.chart_ack"), "series": ack},
                {"title": plain("board.chart_coverage"), "series": coverage},
            ],
        }


class ExportHandler(ApiHandler):
    """The week's `/export` workbook as a download: the same rows and columns as in chat
    (phone numbers only for a chief or an operator), and audited as every export is."""

    async def get(self) -> None:
        services, person, scope = self.app.services, self.person, self.board.scope
        last = services.stats.today()
        first = last - timedelta(days=6)
        rows = await services.stats.export_rows(scope, first, last)
        views = self.app.stats_views
        title = await views.scope_title(self.language(), scope)
        spec = views.workbook_spec(
            self.language(), f"{title} {views.days(self.language(), first, last)}", rows,
            services.stats.phones_allowed(person),
        )  # fmt: skip
        workbook = render_workbook(spec)
        counts = {name: len(found) for name, found in rows.items()}
        await services.stats.record_export(person, scope, first, last, counts)
        self.set_header(
            "Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        name = f"mulan-{first:%Y%m%d}-{last:%Y%m%d}.xlsx"
        self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.finish(workbook)


class VersionHandler(ApiHandler):
    """Polled every second or two by an open board: moves when something changed."""

    async def get(self) -> None:
        self.reply({"version": await self.app.services.board.version()})


class ReportHandler(ApiHandler):
    """One report: the same text as `/reports <number>` in chat, and what may be done."""

    async def get(self, report_id: str) -> None:
        services, translator = self.app.services, self.app.translator
        try:
            report, events = await services.reports.timeline(self.person, int(report_id))
        except DomainError:
            raise tornado.web.HTTPError(HTTPStatus.NOT_FOUND) from None
        text = await report_views.timeline_text(
            services, translator, self.language(), report, events, self.person
        )
        locale, actions = self.language(), []
        if self.person.role in HANDLER_ROLES:  # the buttons chat shows them (`_view_keyboard`)
            keyboard = report_views.officer_keyboard(translator, locale, report)
            actions = [
                {"action": b["callback_data"].split(":")[1], "label": b["text"]}
                for row in keyboard["inline_keyboard"]
                for b in row
                if b["callback_data"].split(":")[1] in ACTIONS
            ]
        outcomes = [
            {"value": o.value, "label": translator.plain(locale, report_views.OUTCOME[o])}
            for o in Outcome
        ]
        others = await services.reports.office_officers(
            report, exclude=report.owner_id or self.person.id
        )
        photos = await services.reports.attachments(self.person, report.id, "photo")
        voices = await services.reports.attachments(self.person, report.id, "voice")
        self.reply(
            {
                "id": report.id,
                "number": report.number,
                "html": text,
                "photos": len(photos),
                "voices": len(voices),
                "actions": actions,
                "outcomes": outcomes,
                "officers": [{"id": o.id, "name": o.name} for o in others],
            }
        )


PHOTOS_KEPT = 24  # the photos (and voice messages) of the last few cards opened, in memory
PHOTO_SECONDS = 20.0  # a file Telegram does not give within this is a 504
PHOTO_FETCHES = 2  # at a time (the files bot has two connections)
# what the board opens of a report, and as what (Telegram's photos are JPEG, its voice
# messages OGG/Opus)
ATTACHMENTS = {"photos": ("photo", "image/jpeg"), "voice": ("voice", "audio/ogg")}


class Photos:
    """A report's photos and voice messages as Telegram keeps them (the bot stores only
    their file ids), fetched by the application's files bot — connections of its own, apart
    from the senders' pool and rate limits, so ten boards opening photos never delay a
    backup call — and the last few kept in memory (never on disk)."""

    def __init__(self, app: PatrolApplication) -> None:
        self.app = app
        self.gate = asyncio.Semaphore(PHOTO_FETCHES)
        self.kept: OrderedDict[str, bytes] = OrderedDict()
        self.fetching: dict[str, asyncio.Future[bytes]] = {}  # (ten boards, one download)

    async def get(self, file_id: str) -> bytes:
        if file_id in self.kept:
            self.kept.move_to_end(file_id)
            return self.kept[file_id]
        fetch = self.fetching.get(file_id)
        if fetch is None:
            fetch = self.fetching[file_id] = asyncio.ensure_future(self._fetch(file_id))
            fetch.add_done_callback(partial(self._fetched, file_id))
        return await asyncio.shield(fetch)  # (one board closing does not cancel the others')

    def _fetched(self, file_id: str, fetch: asyncio.Future[bytes]) -> None:
        self.fetching.pop(file_id, None)
        if not fetch.cancelled():
            fetch.exception()  # (seen: whoever still waits gets it; nobody else logs it)

    async def _fetch(self, file_id: str) -> bytes:
        async with self.gate, asyncio.timeout(PHOTO_SECONDS):
            found = await self.app.files.get_file(file_id)
            data = bytes(await found.download_as_bytearray())
        self.kept[file_id] = data
        while len(self.kept) > PHOTOS_KEPT:
            self.kept.popitem(last=False)
        return data


class PhotoHandler(ApiHandler):
    """The n-th photo or voice message of a report, for whoever may open the report (as its
    card in chat)."""

    def initialize(self, app: PatrolApplication, photos: Photos | None = None) -> None:
        super().initialize(app)
        assert photos is not None
        self.photos = photos

    async def get(self, report_id: str, what: str, index: str) -> None:
        kind, content_type = ATTACHMENTS[what]
        try:
            found = await self.app.services.reports.attachments(self.person, int(report_id), kind)
        except DomainError:
            raise tornado.web.HTTPError(HTTPStatus.NOT_FOUND) from None
        if int(index) >= len(found):
            raise tornado.web.HTTPError(HTTPStatus.NOT_FOUND)
        try:
            data = await self.photos.get(found[int(index)])
        except TimeoutError:
            raise tornado.web.HTTPError(HTTPStatus.GATEWAY_TIMEOUT) from None
        except TelegramError as error:
            log.warning("board: a report's %s could not be fetched (%s)", kind, error)
            raise tornado.web.HTTPError(HTTPStatus.BAD_GATEWAY) from None
        self.set_header("Content-Type", content_type)
        self.finish(data)


class CallHandler(ApiHandler):
    """One backup call: its timeline, as `/backup <id>` shows it in chat, and "我去" for
    those its alerts go to while it waits for someone."""

    async def get(self, call_id: str) -> None:
        services = self.app.services
        try:
            request = await services.backup.viewable(self.person, int(call_id))
        except DomainError:
            raise tornado.web.HTTPError(HTTPStatus.NOT_FOUND) from None
        html = await self.app.escalation.notifier.detail_text(self.language(), request)
        actions = []
        plain = partial(self.app.translator.plain, self.language())
        if request.status is BackupStatus.OPEN and self.person.role in HANDLER_ROLES:
            actions.append({"action": "go", "label": plain("backup.btn_go")})
            if await services.backup.awaits_answer(self.person, request):  # as on their alert
                actions.append({"action": "no", "label": plain("backup.btn_cannot")})
        self.reply({"id": request.id, "html": html, "actions": actions})


class CallClaimHandler(ApiHandler):
    """ "我去" on the board: the chat's claim (the first one wins, the chain stops), then
    what the alert's button would have told everyone, in the same transaction."""

    async def post(self, call_id: str) -> None:
        services, person = self.app.services, self.person
        engine = self.app.escalation
        try:
            async with services.db.write():
                request, won = await services.backup.claim(person, int(call_id))
                if won:
                    await engine.stop(request)
                    await engine.notifier.claimed_elsewhere(request, person)
        except DomainError as error:
            self.set_status(HTTPStatus.CONFLICT if error.code != "not_allowed" else 403)
            self.reply({"error": error.code})
            return
        if not won:
            self.set_status(HTTPStatus.CONFLICT)
            self.reply({"error": "backup_taken"})
            return
        self.reply({"id": request.id, "status": "claimed"})


class CallDeclineHandler(ApiHandler):
    """ "去不了" on the board, by someone whose private alert of this step waits for an
    answer: the chat's "cannot go" (noted; when everyone at the step said no, the chain goes
    on at once), and their alert in chat says it is noted — in one transaction."""

    async def post(self, call_id: str) -> None:
        services, person = self.app.services, self.person
        engine = self.app.escalation
        try:
            async with services.db.write():
                request = await services.backup.viewable(person, int(call_id))
                if not await services.backup.awaits_answer(person, request):
                    open_ = request.status is BackupStatus.OPEN
                    raise DomainError("stale" if open_ else "backup_taken")
                request = await services.backup.cannot_go(
                    person, request.id, person.tg_user_id, personal=True
                )
                await engine.notifier.declined_elsewhere(request, person)
                await engine.after_decline(request.id)
        except DomainError as error:
            self.set_status(HTTPStatus.CONFLICT if error.code != "not_allowed" else 403)
            self.reply({"error": error.code})
            return
        self.reply({"id": request.id, "status": "declined"})


HANDLER_ROLES = (Role.OFFICER, Role.DUTY, Role.CHIEF)
# the officer's actions on a report: acknowledge, on my way, arrived, need more information
# (a question), resolve (an outcome and a note), hand over (to an officer of the office)
ACTIONS = {*ADVANCE, "info", "res", "hand"}
MAX_TEXT = 1000


class ReportActionHandler(ApiHandler):
    """An officer's action: the chat's service, under the one write lock, the reporter (and
    a new handler) told as from chat, in the same transaction."""

    async def post(self, report_id: str, action: str) -> None:
        if action not in ACTIONS:
            raise tornado.web.HTTPError(HTTPStatus.NOT_FOUND)
        try:
            body = json.loads(self.request.body or b"{}")
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except ValueError:
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
        try:
            async with self.app.services.db.write():  # the change and its notice together
                report = await self._act(int(report_id), action, body)
        except DomainError as error:
            self.set_status(HTTPStatus.CONFLICT if error.code != "not_allowed" else 403)
            self.reply({"error": error.code})
            return
        self.reply({"id": report.id, "status": report.status.value})

    async def _act(self, report_id: int, action: str, body: dict[str, Any]) -> Report:
        services, person = self.app.services, self.person
        notifier = ReportNotifier(services, self.app.translator)
        if action in ADVANCE:
            report = await services.reports.advance(person, report_id, ADVANCE[action])
            await notifier.to_reporter(
                report, TOLD[ADVANCE[action]], officer=person.name, phone=person.phone or "—"
            )
        elif action == "info":
            question = _text(body.get("question"))
            if not question:
                raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST)
            report = await services.reports.ask(person, report_id, question)
            await notifier.question(report, person, question)
        elif action == "res":
            try:
                outcome = Outcome(str(body.get("outcome")))
            except ValueError:
                raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
            note = _text(body.get("note")) or None
            report = await services.reports.resolve(person, report_id, outcome, note)
            await notifier.resolved(report, outcome, note)
        else:
            officer_id = body.get("officer")
            if not isinstance(officer_id, int) or isinstance(officer_id, bool):
                raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST)
            report = await services.reports.hand_over(person, report_id, officer_id)
            officer = await services.people.get(officer_id)
            if officer is not None:
                await notifier.handed_over(report, officer)
        return report


def _text(value: object) -> str:
    return value.strip()[:MAX_TEXT] if isinstance(value, str) else ""


def routes(app: PatrolApplication) -> list[Any]:
    """The board's routes, for whichever server runs (polling: its own; webhook: beside)."""
    given = {"app": app}
    photos = {"app": app, "photos": Photos(app)}
    return [
        (rf"{PREFIX}/?", PageHandler, given),
        (rf"{PREFIX}/api/me", MeHandler, given),
        (rf"{PREFIX}/api/map", MapHandler, given),
        (rf"{PREFIX}/api/version", VersionHandler, given),
        (rf"{PREFIX}/api/today", TodayHandler, given),
        (rf"{PREFIX}/api/week", WeekHandler, given),
        (rf"{PREFIX}/api/export", ExportHandler, given),
        (rf"{PREFIX}/api/reports/(\d+)", ReportHandler, given),
        (rf"{PREFIX}/api/reports/(\d+)/(photos|voice)/(\d+)", PhotoHandler, photos),
        (rf"{PREFIX}/api/reports/(\d+)/(\w+)", ReportActionHandler, given),
        (rf"{PREFIX}/api/calls/(\d+)", CallHandler, given),
        (rf"{PREFIX}/api/calls/(\d+)/go", CallClaimHandler, given),
        (rf"{PREFIX}/api/calls/(\d+)/no", CallDeclineHandler, given),
        (rf"{PREFIX}/static/(.*)", AssetHandler, {"path": str(ASSETS)}),
    ]
