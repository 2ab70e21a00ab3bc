"""Webhook mode: the HTTP server Telegram posts updates to (behind the operator's reverse
proxy), and `GET /healthz` for the monitor. An update is answered 200 only once the durable
inbox holds it.

Nothing is read before the request is known to be Telegram's: the secret header, the method,
the path and the content type are checked when the headers arrive, and a body is read only
after that, in chunks, up to MAX_BODY (Telegram's updates are a few kilobytes). A request
without the secret gets 403 and costs no memory; a body over the cap gets 413 (or, when its
Content-Length says so up front, the connection is refused before any of it is read)."""

from __future__ import annotations

import hmac
import json
import logging
import re
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import tornado.httpserver
import tornado.web
from telegram import Update

from handlers import board

if TYPE_CHECKING:
    from handlers.context import PatrolApplication

log = logging.getLogger(__name__)


MAX_BODY = 1024 * 1024  # bytes: an update with the longest text and a poll is far below


@tornado.web.stream_request_body
class UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(self, app: PatrolApplication, secret: str) -> None:
        self.app = app
        self.secret = secret
        self.chunks: list[bytes] = []
        self.size = 0

    def prepare(self) -> None:
        """The headers are in, the body is not: refuse anything that is not Telegram's."""
        given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token") or ""
        if not self.secret or not hmac.compare_digest(given.encode(), self.secret.encode()):
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        if self.request.headers.get("Content-Type", "").split(";")[0] != "application/json":
            raise tornado.web.HTTPError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            raise tornado.web.HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)

    def data_received(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > MAX_BODY:  # (a chunked body has no length to check up front)
            raise tornado.web.HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        self.chunks.append(chunk)

    async def post(self) -> None:
        try:
            update = Update.de_json(json.loads(b"".join(self.chunks)), self.app.bot)
        except Exception as error:  # not an update: say so, keep nothing
            log.warning("the webhook got something that is not an update: %s", error)
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from error
        if update is not None:
            await self.app.update_queue.put(update)  # stored before we answer
        self.set_status(HTTPStatus.OK)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Refusals are expected (scanners, a wrong secret): no traceback for them; any
        other failure (the inbox could not store the update) is logged."""
        if not isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)


class HealthHandler(tornado.web.RequestHandler):
    def initialize(self, app: PatrolApplication) -> None:
        self.app = app

    async def get(self) -> None:
        report = await self.app.health.check()
        self.set_status(HTTPStatus.OK if report["ok"] else HTTPStatus.SERVICE_UNAVAILABLE)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(report))


class WebhookServer:
    def __init__(self, app: PatrolApplication, path: str, secret: str) -> None:
        if not secret:
            raise ValueError("the webhook never runs without a secret")
        routes: list[Any] = [
            (rf"/{re.escape(path.strip('/'))}/?", UpdateHandler, {"app": app, "secret": secret}),
            (r"/healthz", HealthHandler, {"app": app}),
        ]
        if app.services.settings.webapp_url:  # the station board beside the webhook
            routes += board.routes(app)
        # every other path and method is answered by tornado without our handlers; its
        # bodies, like ours, are capped (tornado's default is 100 MB)
        self.server = tornado.httpserver.HTTPServer(
            tornado.web.Application(routes), max_body_size=MAX_BODY, max_buffer_size=MAX_BODY
        )

    def start(self, host: str, port: int) -> None:
        self.server.listen(port, address=host)

    async def stop(self) -> None:
        self.server.stop()
        await self.server.close_all_connections()
