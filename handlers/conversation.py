"""Durable conversations: the step and draft of each person's conversation live in a row.

A step's answer is saved with the step it leads to, so a restarted bot continues where the
person was. `FlowRouter` hands each private message to the step (of the flow) the person is at.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from telegram import Update

from handlers.context import CustomContext
from models.errors import DomainError
from scheduler import conversations as expiry


class Flow(StrEnum):
    ONBOARDING = "onboarding"
    AREAS = "areas"
    SETTINGS = "settings"
    REPORT = "report"
    REPORT_INPUT = "report_input"
    BACKUP = "backup"
    PATROL = "patrol"
    PEAKS = "peaks"
    CHECK = "check"
    BROADCAST = "broadcast"
    STATS = "stats"


@dataclass
class Conversation:
    chat_id: int
    user_id: int
    flow: Flow
    state: str
    data: dict[str, Any] = field(default_factory=dict)


StepHandler = Callable[[Update, CustomContext, Conversation], Awaitable[None]]


def _ids(update: Update) -> tuple[int, int] | None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return None
    return chat.id, user.id


async def current(update: Update, context: CustomContext) -> Conversation | None:
    ids = _ids(update)
    if ids is None:
        return None
    row = await context.services.conversations.get(*ids)
    if row is None:
        return None
    flow, state, data = row
    try:
        return Conversation(ids[0], ids[1], Flow(flow), state, data)
    except ValueError:  # a flow from an older version: drop it rather than trap the person
        await end(update, context)
        return None


async def save(
    update: Update,
    context: CustomContext,
    flow: Flow,
    state: StrEnum,
    data: dict[str, Any],
    expires_after: timedelta | None = None,
) -> Conversation:
    ids = _ids(update)
    assert ids is not None
    return await save_at(context, ids, flow, state, data, expires_after)


async def save_at(
    context: CustomContext,
    ids: tuple[int, int],
    flow: Flow,
    state: StrEnum,
    data: dict[str, Any],
    expires_after: timedelta | None = None,
) -> Conversation:
    """Save a conversation for a given (chat, user): e.g. a button pressed in a staff group
    whose typed answer belongs in the person's private chat."""
    services = context.services
    now = services.clock.now()
    async with services.db.write():
        await services.conversations.put(*ids, flow, state, data, now)
        await services.timers.schedule(
            expiry.KIND,
            expiry.timer_key(*ids),
            now + (expires_after or expiry.TIMEOUTS.get(flow.value, expiry.DEFAULT_TIMEOUT)),
            {"chat_id": ids[0], "user_id": ids[1], "flow": flow.value},
        )
    return Conversation(ids[0], ids[1], flow, str(state), data)


async def drafting(update: Update, context: CustomContext) -> bool:
    """Whether the person is in the middle of a report or a backup request here: other
    commands must not replace that conversation (the draft would be lost)."""
    talk = await current(update, context)
    return talk is not None and talk.flow in (Flow.REPORT, Flow.BACKUP)


async def end(update: Update, context: CustomContext) -> bool:
    ids = _ids(update)
    if ids is None:
        return False
    services = context.services
    async with services.db.write():
        await services.timers.cancel(expiry.timer_key(*ids))
        return await services.conversations.clear(*ids)


# a flow's steps: each state of the flow (its enum member) and the handler of a message there
Steps = Mapping[Any, StepHandler]


def answering_refusals(step: StepHandler) -> StepHandler:
    """A typed step whose rule refuses what was typed: the refusal is answered and the step
    stays (the person types again). "Not allowed" — a right lost meanwhile — goes on to the
    error handler's refusal, which rolls the update back."""

    async def take(update: Update, context: CustomContext, talk: Conversation) -> None:
        try:
            await step(update, context, talk)
        except DomainError as error:
            if error.code == "not_allowed":
                raise
            await context.reply(update, error.message_key, **error.params)

    return take


class FlowRouter:
    """Sends a private message to the step handler of the flow and state its sender is in:
    each flow has a table of steps (`STEPS`), one handler per state."""

    def __init__(
        self,
        flows: Mapping[Flow, Steps],
        fallback: Callable[[Update, CustomContext], Awaitable[None]],
    ) -> None:
        self.flows = flows
        self.fallback = fallback

    async def __call__(self, update: Update, context: CustomContext) -> None:
        """Route one message: to its conversation's step, or to the fallback."""
        conversation = await current(update, context)
        if conversation is None or conversation.flow not in self.flows:
            await self.fallback(update, context)
            return
        step = self.flows[conversation.flow].get(conversation.state)
        if step is None:  # a step from an older version: drop it rather than trap the person
            await end(update, context)
            await self.fallback(update, context)
            return
        await step(update, context, conversation)
