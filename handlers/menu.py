"""The command menus published with `setMyCommands`, per language, scope and role."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    MenuButton,
    MenuButtonCommands,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.error import TelegramError

from locales import LOCALES, N_, Translator
from models.org import Person, Role
from models.services.board import BOARD_ROLES

log = logging.getLogger(__name__)

_ALL = frozenset(Role)
_STAFF = frozenset({Role.OPERATOR, Role.CHIEF, Role.DUTY, Role.OFFICER})
_MANAGERS = frozenset({Role.OPERATOR, Role.CHIEF})
_INVITERS = frozenset({Role.OPERATOR, Role.CHIEF, Role.OFFICER})
_REPORTERS = frozenset({Role.MEMBER, Role.PARTNER, Role.OFFICER})
_ON_CALL = frozenset({Role.OFFICER, Role.DUTY, Role.CHIEF})
_PATROL = frozenset({Role.MEMBER, Role.OFFICER})
_WALKERS = frozenset({Role.MEMBER, Role.PARTNER})

# (command, description key, roles that see it in their private menu). Order is menu order.
PRIVATE_COMMANDS: tuple[tuple[str, str, frozenset[Role]], ...] = (
    ("start", N_("cmd.start"), _ALL),
    ("help", N_("cmd.help"), _ALL),
    ("language", N_("cmd.language"), _ALL),
    ("cancel", N_("cmd.cancel"), _ALL),
    ("report", N_("cmd.report"), _REPORTERS),
    ("backup", N_("cmd.backup"), _REPORTERS),
    ("reports", N_("cmd.reports"), _ALL),
    ("duty", N_("cmd.duty"), _ON_CALL),
    ("today", N_("cmd.today"), _PATROL),
    ("checkin", N_("cmd.checkin"), _WALKERS),
    ("checkout", N_("cmd.checkout"), _WALKERS),
    ("leave", N_("cmd.leave"), _PATROL),
    ("peaks", N_("cmd.peaks"), _STAFF),
    ("check", N_("cmd.check"), _ALL),
    ("tips", N_("cmd.tips"), _MANAGERS),
    ("stats", N_("cmd.stats"), _STAFF),
    ("export", N_("cmd.export"), _STAFF),
    ("broadcast", N_("cmd.broadcast"), _INVITERS),
    ("invite", N_("cmd.invite"), _INVITERS),
    ("roster", N_("cmd.roster"), _STAFF),
    ("areas", N_("cmd.areas"), _MANAGERS),
    ("settings", N_("cmd.settings"), _MANAGERS),
)
GROUP_COMMANDS: tuple[tuple[str, str], ...] = (
    ("help", N_("cmd.help")),
    ("report", N_("cmd.report")),
    ("tips", N_("cmd.tips")),
)
# shown only to a group's administrators (who register it for the station)
GROUP_ADMIN_COMMANDS: tuple[tuple[str, str], ...] = (("register", N_("cmd.register")),)
DESCRIPTION, SHORT_DESCRIPTION = N_("about.description"), N_("about.short_description")
PUBLIC_COMMANDS = ("start", "help", "language", "check")

TELEGRAM_LANGUAGE = {"zh_CN": "zh", "en": "en"}


def private_commands(translator: Translator, locale: str, role: Role | None) -> list[BotCommand]:
    return [
        BotCommand(name, translator.plain(locale, key))
        for name, key, roles in PRIVATE_COMMANDS
        if (role in roles if role is not None else name in PUBLIC_COMMANDS)
    ]


async def publish_commands(bot: Bot, translator: Translator, default_locale: str) -> None:
    """What everybody sees before the bot knows them, per language: the bot's description
    (the empty chat's "What can this bot do?") and short description (its profile and
    shared links), the private menu, the group menu, and the group administrators' menu."""
    for locale in (None, *LOCALES):
        shown = locale or default_locale
        language = TELEGRAM_LANGUAGE[locale] if locale else None
        await bot.set_my_description(translator.plain(shown, DESCRIPTION), language_code=language)
        await bot.set_my_short_description(
            translator.plain(shown, SHORT_DESCRIPTION), language_code=language
        )
        group = [BotCommand(n, translator.plain(shown, k)) for n, k in GROUP_COMMANDS]
        admins = group + [
            BotCommand(n, translator.plain(shown, k)) for n, k in GROUP_ADMIN_COMMANDS
        ]
        await bot.set_my_commands(
            private_commands(translator, shown, None),
            scope=BotCommandScopeAllPrivateChats(),
            language_code=language,
        )
        await bot.set_my_commands(
            group, scope=BotCommandScopeAllGroupChats(), language_code=language
        )
        await bot.set_my_commands(
            admins, scope=BotCommandScopeAllChatAdministrators(), language_code=language
        )


async def publish_person_commands(
    bot: Bot, translator: Translator, person: Person, locale: str, board_url: str | None = None
) -> None:
    """A person's own menu: their role's commands in their chosen language; with a board
    (`board_url`, PATROL_WEBAPP_URL), the chat's menu button opens it for those who have
    one (officers, the duty desk, chiefs, operators) and is the command list for others."""
    try:
        await bot.set_my_commands(
            private_commands(translator, locale, person.role if person.active else None),
            scope=BotCommandScopeChat(chat_id=person.tg_user_id),
        )
        if board_url is not None:
            button: MenuButton = MenuButtonCommands()
            if person.active and person.role in BOARD_ROLES:
                button = MenuButtonWebApp(
                    translator.plain(locale, "board.menu_button"), WebAppInfo(board_url)
                )
            await bot.set_chat_menu_button(chat_id=person.tg_user_id, menu_button=button)
    except TelegramError as exc:  # a menu is a convenience; never fail the action for it
        log.warning("could not set the command menu for person %s: %s", person.id, exc)
