"""The weekly anti-fraud tip (a timer row per station and week: restart-safe, no group gets
a week's tip twice, none is skipped; held back in quiet hours) and the progress of
broadcasts being sent (one message edited in place, then a delivery summary)."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from models.fraud import iso_week
from models.rails import OutboxItem, Timer
from models.services.timers import TimerKind
from scheduler.limits import BULK_RATE

if TYPE_CHECKING:
    from handlers.context import PatrolApplication

TIP = "weekly_tip"
CAPTION_LIMIT = 1024


class FraudJobs:
    def __init__(self, app: PatrolApplication) -> None:
        self.app = app
        self.services = app.services
        self._shown: dict[int, tuple[int, int, int]] = {}  # broadcast -> last counts shown

    async def ensure_weeks(self) -> None:
        """This week's tip row for every station (due on its tip day and time)."""
        zone = self.services.settings.zone
        today = self.services.clock.now().astimezone(zone).date()
        value = self.services.station_settings.value
        for station in await self.services.org.repo.stations():
            weekday = await value(station.id, "tip_weekday")
            at = await value(station.id, "tip_time")
            monday = today - timedelta(days=today.weekday())
            day = monday + timedelta(days=weekday - 1)
            week = iso_week(day)
            await self.services.timers.ensure(
                TIP,
                f"tip:{station.id}:{week}",
                datetime.combine(day, at, tzinfo=zone),
                {"station": station.id, "week": week},
            )

    async def on_tip(self, timer: Timer) -> None:
        station_id = int(timer.payload["station"])
        week = str(timer.payload["week"])
        fraud = self.services.fraud
        later = await fraud.quiet_until(station_id)
        if later is not None:  # not in quiet hours: the same row, due when they end
            await self.services.timers.schedule(TIP, timer.key, later, timer.payload)
            return
        for group in await fraud.repo.tip_groups(station_id):
            chat_id = int(group["chat_id"])
            if await fraud.repo.sent_this_week(chat_id, week):
                continue
            tip = await fraud.next_tip(chat_id)
            if tip is None:
                return
            locale = group["locale"] or self.services.settings.default_locale
            body = html.escape(await fraud.tip_text(tip, locale), quote=False)
            text = self.app.translator.text(locale, "tips.weekly_header") + "\n" + body
            if tip["picture"] and len(text) <= CAPTION_LIMIT:
                outbox_id = await self.services.outbox.send_photo(
                    chat_id, str(tip["picture"]), text, ref=f"tip:{week}"
                )
            elif tip["picture"]:
                # a caption holds 1,024 characters: the picture, then the tip as a message
                await self.services.outbox.send_photo(
                    chat_id, str(tip["picture"]), ref=f"tip:{week}"
                )
                outbox_id = await self.services.outbox.send(chat_id, text, ref=f"tip:{week}")
            else:
                outbox_id = await self.services.outbox.send(chat_id, text, ref=f"tip:{week}")
            await fraud.repo.record_tip(
                chat_id, week, int(tip["id"]), outbox_id, self.services.clock.now()
            )

    async def broadcast_progress(self) -> None:
        """Edit each sending broadcast's progress message; summarise the finished ones."""
        fraud = self.services.fraud
        for broadcast in await fraud.repo.sending():
            await self.progress(broadcast)

    async def progress(self, broadcast: dict[str, Any]) -> None:
        fraud = self.services.fraud
        counts = await fraud.repo.delivery(int(broadcast["id"]))
        sent, failed = counts.get("sent", 0), counts.get("failed", 0)
        left = counts.get("pending", 0) + counts.get("sending", 0)
        author = await self.services.people.get(int(broadcast["author_id"]))
        locale = (author.locale if author else None) or self.services.settings.default_locale
        t = self.app.translator.text
        progress_id = broadcast["progress_outbox_id"]
        if left:
            if self._shown.get(int(broadcast["id"])) == (sent, failed, left):
                return  # nothing moved (e.g. held in quiet hours): no edit
            self._shown[int(broadcast["id"])] = (sent, failed, left)
            seconds = max(1, round(left / BULK_RATE))  # the bulk lane's share of the limit
            text = t(
                locale,
                "broadcast.progress",
                id=broadcast["id"],
                sent=sent,
                failed=failed,
                left=left,
                eta=seconds,
            )
            if progress_id:
                await self.services.outbox.edit(int(progress_id), text)
            return
        async with self.services.db.write():
            if not await fraud.repo.finish(int(broadcast["id"]), self.services.clock.now()):
                return
            lines = [t(locale, "broadcast.done", id=broadcast["id"], sent=sent, failed=failed)]
            for chat_id, error in (await fraud.repo.failures(int(broadcast["id"])))[:30]:
                who = await self._who(chat_id)
                lines.append(t(locale, "broadcast.failed_line", who=who, error=error[:80]))
            if progress_id:
                await self.services.outbox.edit(int(progress_id), lines[0])
            if author is not None:
                await self.services.outbox.send(
                    author.tg_user_id, "\n".join(lines), urgent=True, ref="broadcast:summary"
                )

    async def on_settled(self, item: OutboxItem) -> None:
        """A broadcast's send is recorded (delivered or failed for good): when it was the
        last one, the summary goes at once (the minute job stays as the fallback)."""
        parts = (item.ref or "").split(":")
        if len(parts) != 2 or not parts[1].isdigit():
            return  # its progress message or its summary
        if await self.services.outbox.repo.open_of_ref(item.ref or ""):
            return
        broadcast = await self.services.fraud.repo.broadcast(int(parts[1]))
        if broadcast is not None and broadcast["status"] == "sending":
            await self.progress(broadcast)

    async def _who(self, chat_id: int) -> str:
        if chat_id > 0:
            person = await self.services.people.by_telegram(chat_id)
            return person.name if person else str(chat_id)
        group = await self.services.groups.get(chat_id)
        return group.title if group and group.title else str(chat_id)


def register(app: PatrolApplication) -> FraudJobs:
    jobs = FraudJobs(app)
    app.services.timers.register(TimerKind(TIP, jobs.on_tip, max_lateness=timedelta(days=3)))
    app.periodic.append(jobs.ensure_weeks)
    app.periodic.append(jobs.broadcast_progress)
    app.services.outbox.settled_handlers["broadcast"] = jobs.on_settled
    return jobs
