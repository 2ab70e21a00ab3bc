"""Updates built from dicts the way Telegram sends them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

DATE = 1_790_000_000
_update_ids = itertools.count(1)
_message_ids = itertools.count(10_000)


@dataclass(frozen=True)
class User:
    id: int
    first_name: str = "Test"
    language_code: str | None = "zh-hans"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass(frozen=True)
class Chat:
    id: int
    type: str = "private"
    title: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title:
            data["title"] = self.title
        return data


def private_chat(user: User) -> Chat:
    return Chat(user.id)


def _message(user: User, chat: Chat, **fields: Any) -> dict[str, Any]:
    return {
        "message_id": next(_message_ids),
        "date": DATE,
        "chat": chat.as_dict(),
        "from": user.as_dict(),
        **fields,
    }


def update(**payload: Any) -> dict[str, Any]:
    return {"update_id": next(_update_ids), **payload}


def text(user: User, body: str, chat: Chat | None = None) -> dict[str, Any]:
    """A text message; a leading /command gets its `bot_command` entity like Telegram's."""
    fields: dict[str, Any] = {"text": body}
    if body.startswith("/"):
        command = body.split()[0]
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return update(message=_message(user, chat or private_chat(user), **fields))


def edited_text(user: User, body: str, chat: Chat | None = None) -> dict[str, Any]:
    message = _message(user, chat or private_chat(user), text=body, edit_date=DATE + 5)
    return update(edited_message=message)


def sticker(user: User, chat: Chat | None = None) -> dict[str, Any]:
    return update(
        message=_message(
            user,
            chat or private_chat(user),
            sticker={
                "file_id": "CAACAgIAAxkBAAIBsticker",
                "file_unique_id": "AgADsticker",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            },
        )
    )


def photo(user: User, chat: Chat | None = None, caption: str | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "photo": [
            {
                "file_id": "AgACAgIAAxkBAAIBphoto",
                "file_unique_id": "AQADphoto",
                "width": 90,
                "height": 90,
            }
        ]
    }
    if caption:
        fields["caption"] = caption
    return update(message=_message(user, chat or private_chat(user), **fields))


def voice(user: User) -> dict[str, Any]:
    return update(
        message=_message(
            user,
            private_chat(user),
            voice={
                "file_id": "AwACAgIAAxkBAAIBvoice",
                "file_unique_id": "AgADvoice",
                "duration": 7,
            },
        )
    )


def contact(user: User, phone: str, owner_id: int | None = None) -> dict[str, Any]:
    return update(
        message=_message(
            user,
            private_chat(user),
            contact={
                "phone_number": phone,
                "first_name": user.first_name,
                "user_id": owner_id if owner_id is not None else user.id,
            },
        )
    )


def location(user: User, latitude: float, longitude: float) -> dict[str, Any]:
    return update(
        message=_message(
            user, private_chat(user), location={"latitude": latitude, "longitude": longitude}
        )
    )


def press(
    user: User, data: str, chat: Chat | None = None, message_id: int = 1, text: str = "…"
) -> dict[str, Any]:
    message = {
        "message_id": message_id,
        "date": DATE,
        "chat": (chat or private_chat(user)).as_dict(),
        "from": {"id": 7000000001, "is_bot": True, "first_name": "木兰巡防"},
        "text": text,
    }
    return update(
        callback_query={
            "id": str(next(_update_ids)),
            "from": user.as_dict(),
            "chat_instance": "ci-1",
            "data": data,
            "message": message,
        }
    )


def my_chat_member(by: User, chat: Chat, old: str, new: str) -> dict[str, Any]:
    bot = {"id": 7000000001, "is_bot": True, "first_name": "木兰巡防"}

    def member(status: str) -> dict[str, Any]:
        data: dict[str, Any] = {"user": bot, "status": status}
        if status == "kicked":
            data["until_date"] = 0
        return data

    return update(
        my_chat_member={
            "chat": chat.as_dict(),
            "from": by.as_dict(),
            "date": DATE,
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
    )


def migrate(by: User, old_chat: Chat, new_chat_id: int) -> dict[str, Any]:
    return update(message=_message(by, old_chat, migrate_to_chat_id=new_chat_id))
