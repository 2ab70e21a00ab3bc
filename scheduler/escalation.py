"""The escalation engine: runs a backup request's chain step by step. Deadlines are timer
rows (re-armed at start, swept), a step runs once (the timer's fencing plus the request's
step index), a step with nobody available goes on at once, and so does a step whose people
all said "cannot go" or could not be reached."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from models.backup import BackupEventKind, BackupRequest, BackupStatus, StepKind
from models.org import Person
from models.rails import OutboxItem, Timer
from models.services.timers import TimerKind
from scheduler.notices.backup_notify import BackupNotifier

if TYPE_CHECKING:
    from handlers.context import PatrolApplication
    from models.services import Services

KIND = "backup_step"


def timer_key(request_id: int) -> str:
    return f"backup:{request_id}"


class Escalation:
    def __init__(self, services: Services, notifier: BackupNotifier) -> None:
        self.services = services
        self.notifier = notifier
        self.repo = services.backup.repo

    async def start(self, request: BackupRequest) -> None:
        await self.run_step(request.id, 0)

    async def run_step(self, request_id: int, index: int) -> None:
        """Run step `index` (or the first later one that reaches somebody)."""
        async with self.services.db.write():
            request = await self.repo.get(request_id)
            if request is None or request.status is not BackupStatus.OPEN:
                return
            if index <= request.step_index:
                return  # already ran: a timer and the sweeper raced, or a repeat press
            steps = request.steps
            now = self.services.clock.now()
            while index < len(steps):
                kind = steps[index].kind
                recipients = await self.services.backup.recipients(request, kind)
                if kind is not StepKind.FINAL:  # the final alert reaches everyone it names
                    recipients = await self.services.backup.without_decliners(request, recipients)
                if recipients:
                    break
                await self.repo.add_event(
                    request.id,
                    BackupEventKind.NOBODY,
                    None,
                    now,
                    f"{index + 1}:{steps[index].kind}",
                )
                index += 1
            if index >= len(steps):  # nobody left to alert: never silent
                await self.repo.set_step(request.id, len(steps) - 1)
                await self.services.timers.cancel(timer_key(request.id))
                if not await self.repo.not_through_told(request.id):
                    await self.repo.add_event(request.id, BackupEventKind.NOT_THROUGH, None, now)
                    await self.notifier.not_through(request)
                return
            await self.repo.set_step(request.id, index)
            request = await self.repo.get(request_id)
            assert request is not None
            count = await self.notifier.notify_step(request, index, recipients)
            await self.repo.add_event(
                request.id,
                BackupEventKind.STEP,
                None,
                now,
                f"{index + 1}:{steps[index].kind}:{count}",
            )
            await self.notifier.step_progress(request, index, count)
            step = steps[index]
            if step.kind is StepKind.FINAL:
                await self.services.timers.cancel(timer_key(request.id))
                await self.notifier.to_requester(request, "backup.final_to_requester")
            else:
                await self.services.timers.schedule(
                    KIND,
                    timer_key(request.id),
                    now + timedelta(seconds=step.wait_seconds),
                    {"request": request.id, "step": index + 1},
                )

    async def on_timer(self, timer: Timer) -> None:
        await self.run_step(int(timer.payload["request"]), int(timer.payload["step"]))

    async def on_timer_failed(self, timer: Timer, given_up: bool) -> None:
        """A step that could not run is retried every 30 s; the first failure of a call's
        step tells the member and the operators at once (once per call): a call is never
        silently stuck. Given up (after 20), the timeline says so too."""
        request = await self.repo.get(int(timer.payload["request"]))
        if request is None or request.status is not BackupStatus.OPEN:
            return
        step = int(timer.payload["step"]) + 1
        now = self.services.clock.now()
        if not await self.repo.step_failed_told(request.id):
            await self.repo.add_event(
                request.id, BackupEventKind.STEP_FAILED, None, now, f"{step}"
            )
            await self.notifier.step_failed(request, step)
        elif given_up:
            await self.repo.add_event(
                request.id, BackupEventKind.STEP_FAILED, None, now, f"{step}:given_up"
            )

    async def after_decline(self, request_id: int) -> None:
        """Everyone at the current step said no (or is unreachable): go on at once."""
        async with self.services.db.write():
            request = await self.repo.get(request_id)
            if request is None or request.status is not BackupStatus.OPEN:
                return
            if await self.repo.step_all_declined(request.id, request.step_index):
                await self.run_step(request.id, request.step_index + 1)

    async def on_send_failed(self, item: OutboxItem, error: str) -> None:
        """A step's alert could not be delivered (bot blocked, chat gone): log it, go on."""
        note = await self.repo.respond_by_outbox(item.id, "unreachable")
        if note is None:
            return
        await self.repo.add_event(
            note["request_id"],
            BackupEventKind.UNREACHABLE,
            note["person_id"],
            self.services.clock.now(),
            error[:200],
        )
        await self.after_decline(note["request_id"])

    async def stop(self, request: BackupRequest) -> None:
        await self.services.timers.cancel(timer_key(request.id))


def register(app: PatrolApplication) -> Escalation:
    engine = Escalation(app.services, BackupNotifier(app.services, app.translator))
    app.services.timers.register(
        TimerKind(KIND, engine.on_timer, urgent=True, failed=engine.on_timer_failed)
    )
    app.services.outbox.failure_handlers["backup"] = engine.on_send_failed

    async def owner_left(actor: Person, before: Person) -> None:
        """The officer on the way was suspended or moved: the chain starts over."""
        for request in await app.services.backup.owner_left(before):
            await engine.notifier.to_requester(request, "backup.told_returned", name=before.name)
            await engine.run_step(request.id, 0)

    app.services.people.departure_hooks.append(owner_left)
    return engine
