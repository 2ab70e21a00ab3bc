"""An HTTP fake of the Telegram Bot API on 127.0.0.1, for tests that run the bot as a
subprocess (`PATROL_API_BASE_URL`). A test plays users (texts, commands, button presses,
contacts, locations), reads what each chat received, and can inject 429s, 5xx and dropped
connections (a send whose outcome the bot cannot know)."""

from __future__ import annotations

import email
import email.policy
import itertools
import json
import math
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qs

from tests.fakes import BOT_ID, BOT_ME

SEND_METHODS = {
    "sendMessage",
    "sendPhoto",
    "sendLocation",
    "sendDocument",
    "sendVoice",
    "forwardMessage",
}
EDIT_METHODS = {"editMessageText", "editMessageReplyMarkup", "editMessageCaption"}


@dataclass
class Delivered:
    method: str
    chat_id: int
    text: str
    params: dict[str, Any]
    message_id: int
    at: float = field(default_factory=time.monotonic)  # when Telegram accepted it


# Telegram's sending limits as the limited fake enforces them (its real counters are not
# published): 30 messages in any second overall, 20 in any minute per group, and one a
# second per private chat with the short bursts Telegram tolerates (12 in any 6 seconds).
WINDOWS = {"overall": (30, 1.0), "group": (20, 60.0), "private": (12, 6.0)}


@dataclass
class Faults:
    """Which share of calls fail, and how. `methods` None: every method."""

    rate: float = 0.0
    methods: set[str] | None = None
    seed: int = 7
    kinds: tuple[str, ...] = ("429", "502", "drop")
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def pick(self, method: str) -> str | None:
        if self.rate <= 0 or (self.methods is not None and method not in self.methods):
            return None
        if self._random.random() >= self.rate:
            return None
        kind = self._random.choice(self.kinds)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return kind


class FakeBotAPI:
    """Start with `start()`; the base URL for the bot is `base_url`."""

    def __init__(self, faults: Faults | None = None, limits: bool = False, port: int = 0) -> None:
        self.faults = faults or Faults()
        # a token BotFather revoked: every call answers 401 Unauthorized
        self.unauthorized = False
        self.hosts: set[str] = set()  # the Host headers seen (a proxied call keeps its name)
        # Telegram's limits enforced (429 with retry_after when a send exceeds them)
        self.limits = limits
        self._sent_at: dict[str, list[float]] = {}
        self.too_many = 0
        # an outage: every call, getUpdates included, answers 502 while this is set
        self.outage = False
        # a test's own 429s: (method, params) -> seconds to ask the bot to wait, or None
        self.refuse: Any = None
        self._lock = threading.Condition()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self.confirmed_offset = 0
        self.delivered: list[Delivered] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.webhook: dict[str, Any] | None = None
        # what Telegram keeps of every photo sent to the bot, and how long a download takes
        self.file_bytes = b"\xff\xd8\xff\xe0" + bytes(150_000)
        self.file_seconds = 0.0
        self.downloads = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/bot"

    def start(self) -> FakeBotAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._lock.notify_all()
        self.server.shutdown()
        self.server.server_close()

    # --- playing users -------------------------------------------------------------------
    def push(self, **payload: Any) -> int:
        with self._lock:
            update_id = next(self._update_ids)
            self._updates.append({"update_id": update_id, **payload})
            self._lock.notify_all()
            return update_id

    def text(
        self, user_id: int, text: str, chat_id: int | None = None, lang: str = "zh-hans"
    ) -> int:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {
                "id": chat_id or user_id,
                "type": "private" if chat_id is None else "supergroup",
            },
            "from": _user(user_id, lang),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        return self.push(message=message)

    def press(self, user_id: int, data: str, message_id: int = 1, lang: str = "zh-hans") -> int:
        return self.push(
            callback_query={
                "id": f"cb{next(self._message_ids)}",
                "from": _user(user_id, lang),
                "chat_instance": "ci",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": user_id, "type": "private"},
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"},
                    "text": "…",
                },
            }
        )

    def contact(self, user_id: int, phone: str) -> int:
        return self._private(
            user_id, contact={"phone_number": phone, "first_name": "U", "user_id": user_id}
        )

    def location(self, user_id: int, latitude: float, longitude: float) -> int:
        return self._private(user_id, location={"latitude": latitude, "longitude": longitude})

    def photo(self, user_id: int, file_id: str) -> int:
        size = {"file_unique_id": file_id[-12:], "width": 1280, "height": 960}
        return self._private(
            user_id, photo=[{"file_id": file_id, **size, "file_size": len(self.file_bytes)}]
        )

    def _private(self, user_id: int, **content: Any) -> int:
        """A message from `user_id` in their private chat with the bot."""
        return self.push(
            message={
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "from": _user(user_id, "zh-hans"),
                **content,
            }
        )

    # --- reading ---------------------------------------------------------------------
    @property
    def last_update_id(self) -> int:
        with self._lock:
            return self._updates[-1]["update_id"] if self._updates else 0

    def received(self, chat_id: int) -> list[str]:
        with self._lock:
            return [d.text for d in self.delivered if d.chat_id == chat_id]

    def count(self, method: str) -> int:
        with self._lock:
            return sum(1 for m, _ in self.calls if m == method)

    def wait_for(self, condition: Any, timeout: float, what: str) -> None:
        """Wait (bounded) until `condition()` holds; polls while the bot runs elsewhere."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            with self._lock:
                self._lock.wait(0.05)

    # --- the HTTP side -------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def setup(self) -> None:
                super().setup()
                # Headers and body go out as two writes: without this, Nagle's algorithm and
                # delayed ACKs add ~40 ms to every call.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                params = _params(self.headers.get("Content-Type", ""), body)
                method = self.path.rsplit("/", 1)[-1]
                api.hosts.add(str(self.headers.get("Host", "")))
                if api.unauthorized:
                    status, answer, drop = (
                        401,
                        {"ok": False, "error_code": 401, "description": "Unauthorized"},
                        False,
                    )
                else:
                    status, answer, drop = api._answer(method, params)
                if drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                payload = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the bot was killed mid-request

            def do_GET(self) -> None:
                if "/file/bot" not in self.path:
                    self.do_POST()
                    return
                time.sleep(api.file_seconds)  # (a thread of its own: nobody else waits)
                with api._lock:
                    api.downloads += 1
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(api.file_bytes)))
                    self.end_headers()
                    self.wfile.write(api.file_bytes)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        return Handler

    def _limited(self, method: str, params: dict[str, Any]) -> int | None:
        """Seconds to wait if this send exceeds Telegram's limits (None: it may go)."""
        if method not in SEND_METHODS or params.get("chat_id") is None:
            return None
        chat = int(params["chat_id"])
        now = time.monotonic()
        kind = "group" if chat < 0 else "private"
        keys = [("overall", *WINDOWS["overall"]), (str(chat), *WINDOWS[kind])]
        wait = 0.0
        for key, limit, window in keys:
            times = self._sent_at.setdefault(key, [])
            while times and times[0] <= now - window:
                times.pop(0)
            if len(times) >= limit:
                wait = max(wait, times[0] + window - now)
        if wait > 0:
            return max(1, math.ceil(wait))
        for key, _, _ in keys:
            self._sent_at[key].append(now)
        return None

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, Any, bool]:
        if self.outage:
            return 502, _error(502, "Bad Gateway"), False
        with self._lock:
            wait = self.refuse(method, params) if self.refuse is not None else None
            if wait is None and self.limits:
                wait = self._limited(method, params)
            if wait is not None:
                self.too_many += 1
                return 429, _error(429, f"Too Many Requests: retry after {wait}", wait), False
        fault = self.faults.pick(method)
        if fault == "429":
            return 429, _error(429, "Too Many Requests: retry after 1", retry_after=1), False
        if fault == "502":
            return 502, _error(502, "Bad Gateway"), False
        if method == "getUpdates":
            result = self._get_updates(params)
            return 200, {"ok": True, "result": result}, fault == "drop"
        with self._lock:
            self.calls.append((method, params))
            result = self._result(method, params)
            self._lock.notify_all()
        return 200, {"ok": True, "result": result}, fault == "drop"

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + min(timeout, 2.0)
        with self._lock:
            self.calls.append(("getUpdates", params))
            if offset:
                self.confirmed_offset = max(self.confirmed_offset, offset)
            while True:
                pending = [u for u in self._updates if u["update_id"] >= offset]
                left = deadline - time.monotonic()
                if pending or left <= 0:
                    self._lock.notify_all()
                    return pending[: int(params.get("limit") or 100)]
                self._lock.wait(left)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return dict(BOT_ME)
        if method == "setWebhook":
            self.webhook = params
            return True
        if method == "getFile":  # Telegram keeps every file it was sent
            file_id = str(params.get("file_id"))
            return {
                "file_id": file_id,
                "file_unique_id": file_id[-12:],
                "file_size": len(self.file_bytes),
                "file_path": f"photos/{file_id[-12:]}.jpg",
            }
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if method in SEND_METHODS or method in EDIT_METHODS:
            chat_id = int(params.get("chat_id", 0))
            message_id = (
                int(params["message_id"]) if method in EDIT_METHODS else next(self._message_ids)
            )
            text = str(params.get("text") or params.get("caption") or "")
            self.delivered.append(Delivered(method, chat_id, text, params, message_id))
            message: dict[str, Any] = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "木兰巡防"},
            }
            if text:
                message["text"] = text
            return message
        return True


def _user(user_id: int, lang: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"U{user_id}", "language_code": lang}


def _error(code: int, description: str, retry_after: int | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        answer["parameters"] = {"retry_after": retry_after}
    return answer


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """A file upload (sendDocument, sendPhoto with bytes): fields, and `_files` with each
    uploaded file's name and content."""
    message = email.message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body, policy=email.policy.HTTP
    )
    params: dict[str, Any] = {"_files": {}}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = cast("bytes | None", part.get_payload(decode=True)) or b""
        filename = part.get_filename()
        if filename:
            params["_files"][str(name)] = (filename, content)
            continue
        text = content.decode()
        try:
            params[str(name)] = json.loads(text)
        except ValueError:
            params[str(name)] = text
    return params


def _params(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if "application/json" in content_type:
        loaded = json.loads(body)
        return loaded if isinstance(loaded, dict) else {}
    if "multipart/form-data" in content_type:
        return _multipart(content_type, body)
    fields = parse_qs(body.decode(), keep_blank_values=True)
    params: dict[str, Any] = {}
    for key, values in fields.items():
        try:
            params[key] = json.loads(values[-1])
        except ValueError:
            params[key] = values[-1]
    return params
