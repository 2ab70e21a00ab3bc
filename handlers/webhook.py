"""Webhook mode: the HTTP server Telegram posts updates to (behind the operator's reverse
proxy), and `GET /healthz` for the monitor. An update is answered 200 only once the durable
inbox holds it; a request without the secret header gets 403."""

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

if TYPE_CHECKING:
    from handlers.context import PatrolApplication

log = logging.getLogger(__name__)


class UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(self, app: PatrolApplication, secret: str | None) -> None:
        self.app = app
        self.secret = secret

    async def post(self) -> None:
        if self.secret is not None:
            given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token") or ""
            if not hmac.compare_digest(given.encode(), self.secret.encode()):
                raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        if self.request.headers.get("Content-Type", "").split(";")[0] != "application/json":
            raise tornado.web.HTTPError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
        try:
            update = Update.de_json(json.loads(self.request.body), self.app.bot)
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
        health = self.app.health
        report = await health.check() if health is not None else {"ok": False}
        self.set_status(HTTPStatus.OK if report["ok"] else HTTPStatus.SERVICE_UNAVAILABLE)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(report))


class WebhookServer:
    def __init__(self, app: PatrolApplication, path: str, secret: str | None) -> None:
        routes: list[Any] = [
            (rf"/{re.escape(path.strip('/'))}/?", UpdateHandler, {"app": app, "secret": secret}),
            (r"/healthz", HealthHandler, {"app": app}),
        ]
        self.server = tornado.httpserver.HTTPServer(tornado.web.Application(routes))

    def start(self, host: str, port: int) -> None:
        self.server.listen(port, address=host)

    async def stop(self) -> None:
        self.server.stop()
        await self.server.close_all_connections()
