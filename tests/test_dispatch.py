"""One way in for buttons: every registered button handler is made by
`handlers.common.press_handler` (decode → person → rights → action → rollback on refusal or
failure), or is on the reviewed list below with the reason it is not yet."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler

from handlers import (
    backup,
    common,
    fraud,
    groups,
    invite,
    onboarding,
    patrol,
    report_actions,
    report_draft,
)
from handlers.common import PRESS_HANDLERS
from tests.harness import Harness

# Not through press_handler yet (issue 20 moves them), each for a reason of its own; a new
# button handler may not join this list.
NOT_YET = {
    "stale_button": "the catch-all for buttons no feature claims",
}


async def test_every_button_handler_goes_through_the_one_dispatcher(harness: Harness) -> None:
    handlers = [
        h.callback
        for group in harness.app.handlers.values()
        for h in group
        if isinstance(h, CallbackQueryHandler)
    ]
    assert len(handlers) >= 15
    outside = {h.__name__ for h in handlers if h not in PRESS_HANDLERS}
    assert outside <= set(NOT_YET), f"a button handler bypasses press_handler: {outside}"
    # the largest features declare their actions as tables
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
