"""One way in for buttons: every registered button handler is made by
`handlers.common.press_handler` (decode → person → rights → action → rollback on refusal or
failure), through each feature's table of actions (`actions_handler`), or is on the reviewed
list below with the reason it cannot be."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from telegram.ext import CallbackQueryHandler

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
from handlers.common import PRESS_HANDLERS
from tests.harness import Harness

# Not through press_handler, each for a reason of its own; a new button handler may not
# join this list.
NOT_YET = {
    # what the dispatcher itself answers with: a press no feature claims (no pattern) is
    # "no longer valid", whoever pressed it
    "stale_button": "the catch-all for buttons no feature claims",
}

# every feature's button prefix (bot.py) and its table of actions
TABLES: dict[str, Mapping[str, Callable[..., Any]]] = {
    "onb": onboarding.ACTIONS,  # anyone=True: not registered yet
    "lang": common.LANGUAGE_ACTIONS,  # anyone=True: anyone chooses a language
    "inv": invite.ACTIONS,
    "ros": roster.ACTIONS,
    "area": areas.ACTIONS,
    "set": station_settings.ACTIONS,
    "grp": groups.ACTIONS,
    "rd": report_draft.ACTIONS,
    "rp": report_actions.ACTIONS,
    "bk": backup.ACTIONS,
    "pt": patrol.ACTIONS,
    "pk": peaks.ACTIONS,
    "fr": fraud.ACTIONS,  # strangers="refused"
    "bc": broadcast.ACTIONS,
    "st": stats.ACTIONS,
}


def button_handlers(harness: Harness) -> list[CallbackQueryHandler[Any, Any]]:
    return [
        h
        for group in harness.app.handlers.values()
        for h in group
        if isinstance(h, CallbackQueryHandler)
    ]


def feature_of(handler: CallbackQueryHandler[Any, Any]) -> str | None:
    """The button prefix a handler is registered for (`^bk:` → bk); None for a catch-all."""
    pattern = handler.pattern
    if pattern is None:
        return None
    text = pattern if isinstance(pattern, str) else getattr(pattern, "pattern", "")
    assert isinstance(text, str) and text.startswith("^") and text.endswith(":"), text
    return text[1:-1]


async def test_every_button_handler_goes_through_the_one_dispatcher(harness: Harness) -> None:
    handlers = button_handlers(harness)
    assert len(handlers) >= 15
    outside = {h.callback.__name__ for h in handlers if h.callback not in PRESS_HANDLERS}
    assert outside <= set(NOT_YET), f"a button handler bypasses press_handler: {outside}"
    # the catch-all is the last button handler, and the only one without a feature
    assert handlers[-1].callback is common.stale_button
    assert [feature_of(h) for h in handlers].count(None) == 1
    # every feature declares its actions as a table
    assert {feature_of(h) for h in handlers[:-1]} == set(TABLES)
    assert {"go", "no", "arr", "res", "cancel"} <= set(backup.ACTIONS)
    assert {"swap", "swyes", "veto", "rep", "exto"} <= set(patrol.ACTIONS)
    assert {"ack", "go", "here", "res", "to", "merge", "wd", "reopen"} <= set(
        report_actions.ACTIONS
    )
    # anyone, even someone not yet known, chooses a language (two menus)
    assert set(common.LANGUAGE_ACTIONS) == {"lang"} == set(onboarding.ACTIONS)
    assert set(invite.ACTIONS) == {"go", "exp", "rev"}
    assert set(groups.ACTIONS) == {"go"}
    assert {"report", "pause", "resume", "optin", "optout", "tog", "nopic"} <= set(fraud.ACTIONS)
    assert {"resume", "restart", "cat", "place", "far", "submit", "edit", "cancel"} <= set(
        report_draft.ACTIONS
    )
    # the menus and dialogs that were one long if/elif
    assert {"list", "st", "of", "pl", "kind", "shift", "need", "rmpl", "addst"} <= set(
        areas.ACTIONS
    )
    assert {"st", "aud", "off", "skipother", "nopic", "urg", "send", "cancel"} <= set(
        broadcast.ACTIONS
    )
    assert {"st", "import", "add", "rm", "redate", "lvl", "hs", "hsdone", "keep"} <= set(
        peaks.ACTIONS
    )
    assert {"st", "of", "ops", "p", "role", "setrole", "move", "setoff", "pair", "tog", "act"} <= (
        set(roster.ACTIONS)
    )
    assert set(station_settings.ACTIONS) == {"st", "k", "r"}
    assert set(stats.ACTIONS) == {"m", "p", "r", "z", "zr"}
