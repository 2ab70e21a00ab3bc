"""A fake Telegram at PTB's request seam: records every Bot API call and answers like Telegram."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, cast

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

BOT_ID = 7000000001
BOT_USERNAME = "MulanPatrolBot"
# what getMe answers, for both fakes (the request seam and the HTTP server)
BOT_ME = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "木兰巡防",
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
TOKEN = "7000000001:AAF4k3-t0k3n-f0r-t3sts-0nly-xxxxxxxx"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    result: Any = None
    # uploaded files: field name -> (file name, content)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data or url) of an inline keyboard; labels of a reply keyboard."""
        markup = self.params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        found: list[tuple[str, str]] = []
        for row in markup.get("inline_keyboard", []):
            for button in row:
                found.append(
                    (button["text"], button.get("callback_data") or button.get("url", ""))
                )
        for row in markup.get("keyboard", []):
            for button in row:
                label = button if isinstance(button, str) else button["text"]
                found.append((label, ""))
        return found


@dataclass
class FakeTelegram(BaseRequest):
    """Answers Bot API methods from memory. `blocked` chats answer 403 like Telegram."""

    calls: list[Call] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    fail_methods: dict[str, int] = field(default_factory=dict)
    retry_after: dict[str, int] = field(default_factory=dict)
    timeouts: dict[str, int] = field(default_factory=dict)
    migrated: dict[int, int] = field(default_factory=dict)  # old chat id -> supergroup id
    files: dict[str, bytes] = field(default_factory=dict)  # file id -> what Telegram keeps
    _answered: set[str] = field(default_factory=set)
    _next_message_id: int = 100
    _date: int = 1_790_000_000

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        if "/file/bot" in url:  # a download of a file `getFile` gave the path of
            name = url.rsplit("/", 1)[-1].removesuffix(".jpg")
            self.calls.append(Call("download", {"file_id": name}))
            if name not in self.files:
                return 404, b"Not Found"
            return 200, self.files[name]
        api_method = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        call = Call(api_method, params)
        if request_data and request_data.contains_files:
            for name, value in request_data.multipart_data.items():
                call.files[name] = (str(value[0]), bytes(cast(bytes, value[1])))
        self.calls.append(call)
        if self.fail_methods.get(api_method):
            self.fail_methods[api_method] -= 1
            return 500, json.dumps(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            ).encode()
        if self.retry_after.get(api_method):
            self.retry_after[api_method] -= 1
            return 429, json.dumps(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 3",
                    "parameters": {"retry_after": 3},
                }
            ).encode()
        chat_id = params.get("chat_id")
        if self.timeouts.get(api_method):
            # Telegram got it, but the answer never came back: an unknown outcome.
            self.timeouts[api_method] -= 1
            call.result = self._answer(api_method, params)
            raise TimedOut("fake timeout")
        if chat_id is not None and int(chat_id) in self.migrated:
            return 400, json.dumps(
                {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: group chat was upgraded to a supergroup chat",
                    "parameters": {"migrate_to_chat_id": self.migrated[int(chat_id)]},
                }
            ).encode()
        if chat_id is not None and int(chat_id) in self.blocked:
            return 403, json.dumps(
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                }
            ).encode()
        if api_method == "getFile" and str(params.get("file_id")) not in self.files:
            return 400, json.dumps(
                {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
            ).encode()
        if api_method == "answerCallbackQuery":
            # like Telegram: one answer per press, and an alert holds 200 characters
            query_id = str(params.get("callback_query_id"))
            if query_id in self._answered or len(str(params.get("text") or "")) > 200:
                return 400, json.dumps(
                    {
                        "ok": False,
                        "error_code": 400,
                        "description": "Bad Request: query is too old and response timeout"
                        " expired or query ID is invalid",
                    }
                ).encode()
            self._answered.add(query_id)
        call.result = self._answer(api_method, params)
        return 200, json.dumps({"ok": True, "result": call.result}).encode()

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return dict(BOT_ME)
        if method == "getUpdates":
            return []
        if method == "getFile":
            file_id = str(params["file_id"])
            return {
                "file_id": file_id,
                "file_unique_id": file_id[:16],
                "file_size": len(self.files[file_id]),
                "file_path": f"photos/{file_id}.jpg",
            }
        if method in (
            "sendMessage",
            "sendPhoto",
            "sendLocation",
            "sendDocument",
            "sendVoice",
            "forwardMessage",
        ):
            return self._message(params)
        if method in ("editMessageText", "editMessageReplyMarkup", "editMessageCaption"):
            if "inline_message_id" in params:
                return True
            return self._message(params, message_id=int(params["message_id"]))
        return True

    def _message(self, params: dict[str, Any], message_id: int | None = None) -> dict[str, Any]:
        if message_id is None:
            self._next_message_id += 1
            message_id = self._next_message_id
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": self._date,
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "木兰巡防"},
        }
        if "text" in params:
            message["text"] = params["text"]
        if (
            isinstance(params.get("reply_markup"), dict)
            and "inline_keyboard" in params["reply_markup"]
        ):
            message["reply_markup"] = params["reply_markup"]
        return message

    # what tests read
    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Messages sent or edited, optionally to one chat, in order."""
        kinds = (
            "sendMessage",
            "editMessageText",
            "sendPhoto",
            "sendDocument",
            "sendLocation",
            "sendVoice",
        )
        return [
            c
            for c in self.calls
            if c.method in kinds and (chat_id is None or c.chat_id == chat_id)
        ]

    def alerts(self) -> list[str]:
        return [
            str(c.params.get("text", ""))
            for c in self.calls
            if c.method == "answerCallbackQuery" and c.params.get("text")
        ]

    def clear(self) -> None:
        self.calls.clear()
