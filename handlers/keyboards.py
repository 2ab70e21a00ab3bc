"""Keyboards shared by features: the member's street keyboard and the language choice."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup

from locales import LOCALES, N_, NATIVE_NAMES, Translator
from models import callbacks
from models.org import Person, Role

# The big actions on a member's reply keyboard, as catalog keys (later features add theirs).
# A press arrives as plain text and is matched against every locale's label of these keys.
KEYBOARD_ACTIONS: tuple[str, ...] = (
    N_("kb.backup"),
    N_("kb.report"),
    N_("kb.checkin"),
    N_("kb.checkout"),
    N_("kb.today"),
    N_("kb.help"),
    N_("kb.language"),
)


def main_keyboard(
    translator: Translator, locale: str, person: Person
) -> ReplyKeyboardMarkup | None:
    """The reply keyboard for people who work on the street (members and partners)."""
    if person.role not in (Role.MEMBER, Role.PARTNER):
        return None
    labels = [translator.plain(locale, key) for key in KEYBOARD_ACTIONS]
    rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def language_keyboard(feature: str, likely: str) -> InlineKeyboardMarkup:
    """中文 / English, the likely one first."""
    ordered = sorted(LOCALES, key=lambda code: code != likely)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    NATIVE_NAMES[c], callback_data=callbacks.encode(feature, "lang", c)
                )
                for c in ordered
            ]
        ]
    )


def button_rows(
    buttons: Sequence[InlineKeyboardButton], per_row: int = 2
) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]
