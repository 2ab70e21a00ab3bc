"""Every conversation is a table of steps (`STEPS`, state → step handler) and a diagram
(`docs/flows/<flow>.mmd`). The router registered by the real application is walked: every
flow has a table covering every state of its enum, every step is a state of its diagram,
and every ALL-CAPS state of a diagram is a step (the states that are not steps — a check,
a clock, an outcome — are written in CamelCase). A step added without its diagram, or a
diagram state whose step was removed, fails here."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

from telegram.ext import MessageHandler

from handlers.conversation import Flow, FlowRouter, Steps
from tests import builders
from tests.harness import Harness
from tests.test_bad_input import NEWCOMER, conversation_state, start_onboarding

FLOWS = Path(__file__).resolve().parent.parent / "docs" / "flows"
STEP_ID = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
# where a Mermaid stateDiagram names a state: a transition's two ends, a description
# ("ID: text"), a "state" declaration, a note
TRANSITION = re.compile(r"^(\S+)\s*-->\s*([^\s:]+)")
DESCRIPTION = re.compile(r"^(\w+)\s*:")
DECLARATION = re.compile(r"^state\s+(?:\"[^\"]*\"\s+as\s+)?(\w+)")
NOTE = re.compile(r"^note\s+(?:left|right)\s+of\s+(\w+)")


def the_router(h: Harness) -> FlowRouter:
    routers = [
        handler.callback
        for group in h.app.handlers.values()
        for handler in group
        if isinstance(handler, MessageHandler) and isinstance(handler.callback, FlowRouter)
    ]
    assert len(routers) == 1
    router = routers[0]
    assert isinstance(router, FlowRouter)
    return router


def diagram_states(text: str) -> set[str]:
    """The ids of the states a Mermaid stateDiagram-v2 names ([*] left out)."""
    states: set[str] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("%%", "stateDiagram")):
            continue
        if found := TRANSITION.match(line):
            states.update(found.groups())
        elif found := DECLARATION.match(line) or NOTE.match(line) or DESCRIPTION.match(line):
            states.add(found.group(1))
    return states - {"[*]"}


def state_enum(flow: Flow, steps: Steps) -> type[StrEnum]:
    kinds = {type(state) for state in steps}
    assert len(kinds) == 1, f"{flow}: the steps' states are of one enum, not {kinds}"
    kind = kinds.pop()
    assert issubclass(kind, StrEnum), f"{flow}: {kind}"
    return kind


def differences(flow: Flow, steps: Steps, diagram: str) -> list[str]:
    """What the table and the diagram of a flow disagree on (nothing: they agree)."""
    kind = state_enum(flow, steps)
    found: list[str] = []
    unhandled = [state.name for state in kind if state not in steps]
    if unhandled:
        found.append(f"{flow}: states of {kind.__name__} without a step: {unhandled}")
    names = {state.name for state in steps}
    states = diagram_states(diagram)
    if missing := sorted(names - states):
        found.append(f"{flow}.mmd: steps missing from the diagram: {missing}")
    capitals = {state for state in states if STEP_ID.fullmatch(state)}
    if extra := sorted(capitals - names):
        found.append(f"{flow}.mmd: ALL-CAPS states that are not steps of {flow}: {extra}")
    return found


async def test_every_step_is_in_its_flows_diagram_and_every_diagram_step_is_a_step(
    harness: Harness,
) -> None:
    router = the_router(harness)
    assert set(router.flows) == set(Flow)
    found: list[str] = []
    for flow, steps in router.flows.items():
        path = FLOWS / f"{flow.value}.mmd"
        assert path.exists(), f"no diagram for the {flow.value} flow: {path}"
        found += differences(flow, steps, path.read_text(encoding="utf-8"))
    assert not found, "\n".join(found)


def test_the_diagram_reader_finds_states_and_catches_a_missing_or_stale_step() -> None:
    text = "\n".join(
        [
            "%% NOT a state",
            "stateDiagram-v2",
            "    [*] --> NAME: /start CODE",
            "    NAME --> Checked: text\\nASKED",
            "    Checked: a check (not a step)",
            "    note right of PHONE: shown",
        ]
    )
    assert diagram_states(text) == {"NAME", "Checked", "PHONE"}

    class Demo(StrEnum):
        NAME = "demo:name"
        PHONE = "demo:phone"

    async def step(*_: object) -> None:
        return None

    both: Steps = {Demo.NAME: step, Demo.PHONE: step}
    assert differences(Flow.ONBOARDING, both, text) == []
    assert differences(Flow.ONBOARDING, both, text.replace("PHONE", "Phone"))
    assert differences(Flow.ONBOARDING, {Demo.NAME: step}, text)  # PHONE has no step


async def test_a_state_no_step_knows_ends_the_conversation(harness: Harness) -> None:
    """A row written by an older version at a step since removed: the conversation ends and
    the message is answered as one outside any conversation, rather than trapping the
    person."""
    h = harness
    await start_onboarding(h)
    assert await conversation_state(h) == "onboarding:name"
    row = await h.services.conversations.get(NEWCOMER.id, NEWCOMER.id)
    assert row is not None
    await h.services.conversations.put(
        NEWCOMER.id, NEWCOMER.id, "onboarding", "onboarding:gone", row[2], h.services.clock.now()
    )
    calls = await h.feed(builders.text(NEWCOMER, "周九"))
    assert await conversation_state(h) is None
    said = h.texts(calls)
    # the newcomer chose 中文 at the first step
    assert said == [h.app.translator.text("zh_CN", "fallback.not_understood")], said
