"""What statistics look like to a person: the text of a period's figures, the spec of its
picture, the five-zeros lines and the export workbook, each in the reader's language; and
queuing them (used by /stats, /export and the weekly and monthly reports)."""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from locales import N_, Html
from models import callbacks
from models.backup import BackupReason, BackupStatus
from models.clock import from_db
from models.org import Person
from models.reports import Category, Outcome, ReportStatus
from models.services.outbox import REPLY, Queue
from models.services.stats import ZeroEntry
from models.stats import Figures, FiveZero, Scope
from scheduler.notices.backup_notify import REASON
from scheduler.notices.backup_notify import STATUS as BACKUP_STATUS
from scheduler.notices.report_views import CATEGORY, OUTCOME, STATUS

if TYPE_CHECKING:
    from handlers.context import PatrolApplication

CHART, WORKBOOK = "chart", "workbook"
FEATURE = "st"  # the /stats and /export buttons (handlers/stats.py), and the reports' own
WEEKLY_BUCKETS_AFTER = 62  # longer ranges are drawn by week, not by day

ZERO_NAME = {
    FiveZero.CRIMINAL: N_("zero.criminal"),
    FiveZero.DISPUTES_UPWARD: N_("zero.disputes_upward"),
    FiveZero.FRAUD: N_("zero.fraud"),
    FiveZero.DRUG_GROWTH: N_("zero.drug_growth"),
    FiveZero.SAFETY: N_("zero.safety"),
}


def render_chart(spec: dict[str, Any]) -> bytes:
    from models import chart  # matplotlib loads only when a picture is first drawn

    return chart.render(spec)


def render_workbook(spec: dict[str, Any]) -> bytes:
    from models import workbook

    return workbook.render(spec)


def _cell_time(moment: str | None, zone: Any) -> dict[str, str] | None:
    """A stored UTC time as a local date-time cell of the workbook."""
    if not moment:
        return None
    return {"dt": from_db(moment).astimezone(zone).replace(tzinfo=None).isoformat()}


class StatsViews:
    def __init__(self, app: PatrolApplication) -> None:
        self.app = app
        self.services = app.services
        self.translator = app.translator

    def t(self, locale: str, key: str, /, **params: object) -> Html:
        return self.translator.text(locale, key, **params)

    def plain(self, locale: str, key: str) -> str:
        return self.translator.plain(locale, key)

    def duration(self, locale: str, seconds: float | None) -> str:
        """`8 分钟`, `2.5 小时`, `1.2 天`; a dash when there is nothing to measure."""
        if seconds is None:
            return self.plain(locale, "stats.none")
        minutes = seconds / 60
        number = self.translator.number
        if minutes < 90:
            return str(self.t(locale, "stats.minutes", n=number(locale, minutes, 1)))
        if minutes < 36 * 60:
            return str(self.t(locale, "stats.hours", n=number(locale, minutes / 60, 1)))
        return str(self.t(locale, "stats.days", n=number(locale, minutes / 1440, 1)))

    def days(self, locale: str, first: date, last: date) -> str:
        day = self.translator.day
        with_year = first.year != last.year or first.year != self.services.stats.today().year
        if first == last:
            return day(locale, first, with_year)
        return str(
            self.t(
                locale,
                "stats.range",
                first=day(locale, first, with_year),
                last=day(locale, last, with_year),
            )
        )

    async def scope_title(self, locale: str, scope: Scope) -> str:
        name = await self.services.stats.scope_name(scope)
        return name if name is not None else self.plain(locale, "stats.county")

    # the figures as text
    def text(self, locale: str, title: str, figures: Figures) -> Html:
        days = self.days(locale, figures.first, figures.last)
        lines = [str(self.t(locale, "stats.title", scope=title, days=days)), ""]
        lines += self._report_lines(locale, figures)
        lines += self._backup_lines(locale, figures)
        lines += self._patrol_lines(locale, figures)
        return Html("\n".join(lines))

    def _report_lines(self, locale: str, figures: Figures) -> list[str]:
        """The reports: how many, by kind, by status, how fast they were taken and closed."""
        t, n = self.translator, self.translator.number
        lines = [str(self.t(locale, "stats.reports", count=n(locale, figures.reports)))]
        if figures.by_category:
            ordered = sorted(figures.by_category.items(), key=lambda item: (-item[1], item[0]))
            items = " · ".join(
                f"{t.plain(locale, CATEGORY[Category(c)])} {n(locale, k)}" for c, k in ordered
            )
            lines.append(str(self.t(locale, "stats.by_category", items=items)))
        if figures.by_status:
            items = " · ".join(
                f"{t.plain(locale, STATUS[s])} {n(locale, figures.by_status[s.value])}"
                for s in ReportStatus
                if figures.by_status.get(s.value)
            )
            lines.append(str(self.t(locale, "stats.by_status", items=items)))
        if figures.reports:
            for key, median, p90 in (
                ("stats.ack", figures.ack_median, figures.ack_p90),
                ("stats.resolve", figures.resolve_median, figures.resolve_p90),
            ):
                lines.append(
                    str(
                        self.t(
                            locale,
                            key,
                            median=self.duration(locale, median),
                            p90=self.duration(locale, p90),
                        )
                    )
                )
        return lines

    def _backup_lines(self, locale: str, figures: Figures) -> list[str]:
        """The backup calls: how many, how fast they were claimed and reached, how far up."""
        n = self.translator.number
        lines = [str(self.t(locale, "stats.backup", count=n(locale, figures.backup)))]
        if figures.backup:
            claim = self.duration(locale, figures.claim_median)
            arrival = self.duration(locale, figures.arrival_median)
            lines.append(str(self.t(locale, "stats.backup_times", claim=claim, arrival=arrival)))
            step2, step3 = n(locale, figures.reached_step2), n(locale, figures.reached_step3)
            lines.append(str(self.t(locale, "stats.backup_steps", step2=step2, step3=step3)))
        return lines

    def _patrol_lines(self, locale: str, figures: Figures) -> list[str]:
        """The patrols (planned, checked, missed), their logs, and the outreach."""
        n = self.translator.number
        return [
            str(
                self.t(
                    locale,
                    "stats.patrol",
                    planned=n(locale, figures.slots_planned),
                    checked=n(locale, figures.slots_checked_in),
                    missed=n(locale, figures.slots_missed),
                )
            ),
            str(
                self.t(
                    locale,
                    "stats.patrol_logs",
                    hours=n(locale, figures.patrol_seconds / 3600, 1),
                    households=n(locale, figures.households),
                    publicity=n(locale, figures.publicity),
                    hazards=n(locale, figures.hazards),
                    disputes=n(locale, figures.disputes),
                )
            ),
            str(
                self.t(
                    locale,
                    "stats.outreach",
                    tips=n(locale, figures.tips),
                    broadcasts=n(locale, figures.broadcasts),
                    checks=n(locale, figures.scam_checks),
                )
            ),
        ]

    # the picture
    def chart_spec(self, locale: str, title: str, figures: Figures) -> dict[str, Any]:
        days = [
            figures.first + timedelta(days=i)
            for i in range((figures.last - figures.first).days + 1)
        ]
        weekly = len(days) > WEEKLY_BUCKETS_AFTER
        buckets: list[date] = sorted(
            {d - timedelta(days=d.weekday()) for d in days} if weekly else set(days)
        )
        index = {b: i for i, b in enumerate(buckets)}
        series = []
        for category in Category:
            values = [0] * len(buckets)
            for day_text, counts in figures.daily.items():
                day = date.fromisoformat(day_text)
                bucket = day - timedelta(days=day.weekday()) if weekly else day
                values[index[bucket]] += counts.get(category.value, 0)
            if any(values):
                series.append(
                    {
                        "category": category.value,
                        "label": self.plain(locale, CATEGORY[category]),
                        "values": values,
                    }
                )
        return {
            "title": f"{title} · {self.days(locale, figures.first, figures.last)}",
            "buckets": [self.translator.day(locale, b) for b in buckets],
            "series": series,
            "daily_title": self.plain(
                locale, "stats.chart.weekly" if weekly else "stats.chart.daily"
            ),
            "daily_axis": self.plain(locale, "stats.chart.reports_axis"),
            "units": [u.name for u in figures.units],
            "ack_minutes": [
                None if u.ack_median is None else round(u.ack_median / 60, 1)
                for u in figures.units
            ],
            "ack_text": [self.duration(locale, u.ack_median) for u in figures.units],
            "units_title": self.plain(locale, "stats.chart.ack_title"),
            "units_axis": self.plain(locale, "stats.chart.minutes_axis"),
        }

    async def prepare_figures(
        self,
        chat_id: int,
        locale: str,
        scope: Scope,
        first: date,
        last: date,
        *,
        ref: str,
        priority: int,
        header: str | None = None,
        extra: list[str] | None = None,
        always: bool = False,
        markup: dict[str, Any] | None = None,
    ) -> Queue | None:
        """Read the figures (the read-only connection); what queues their text and picture,
        or None when the range holds nothing (and not `always`)."""
        figures = await self.services.stats.figures(scope, first, last)
        if figures.empty and not always:
            return None
        title = await self.scope_title(locale, scope)
        text = self.text(locale, title, figures)
        if header:
            text = Html(header + "\n" + text)
        if extra:
            text = Html(text + "\n\n" + "\n".join(extra))
        chart = self.chart_spec(locale, title, figures) if figures.has_chart else None
        caption = html.escape(f"{title} · {self.days(locale, first, last)}", quote=False)
        outbox = self.services.outbox

        async def queue() -> None:
            await outbox.send(chat_id, text, ref=ref, priority=priority, reply_markup=markup)
            if chart is not None:
                await outbox.send_file(
                    chat_id,
                    CHART,
                    chart,
                    f"stats-{first:%Y%m%d}-{last:%Y%m%d}.png",
                    caption=caption,
                    as_photo=True,
                    ref=ref,
                    priority=priority,
                )

        return queue

    # answers composed by the outbox sender (a long read never holds anyone's update)
    async def ask(
        self, chat_id: int, locale: str, mode: str, scope: Scope, first: date, last: date,
        person: Person,
    ) -> None:  # fmt: skip
        """An answer to /stats or /export: queued now, read and made by the sender."""
        spec = {
            "locale": locale,
            "station": scope.station_id,
            "office": scope.office_id,
            "first": first.isoformat(),
            "last": last.isoformat(),
            "person": person.id,
        }
        await self.services.outbox.compose(
            chat_id, COMPOSE_STATS if mode == "s" else COMPOSE_EXPORT, spec
        )

    async def compose_figures(self, chat_id: int, spec: dict[str, Any]) -> Queue:
        locale, scope, first, last = _asked(spec)
        queue = await self.prepare_figures(
            chat_id, locale, scope, first, last, ref="stats:ask", priority=REPLY
        )
        if queue is not None:
            return queue
        text = self.t(locale, "stats.no_data", days=self.days(locale, first, last))
        return partial(self.services.outbox.send, chat_id, text, priority=REPLY)

    async def compose_export(self, chat_id: int, spec: dict[str, Any]) -> Queue:
        locale, scope, first, last = _asked(spec)
        person = await self.services.people.repo.get(int(spec["person"]))
        outbox = self.services.outbox
        if person is None or not person.active:
            return _nothing
        prepared = await self.prepare_workbook(
            chat_id, locale, scope, first, last,
            phones=self.services.stats.phones_allowed(person), ref="stats:export",
            priority=REPLY,
        )  # fmt: skip
        if prepared is None:
            text = self.t(locale, "export.no_data", days=self.days(locale, first, last))
            return partial(outbox.send, chat_id, text, priority=REPLY)
        counts, queue_file = prepared
        coming = self.t(
            locale,
            "export.coming",
            reports=counts["reports"],
            backup=counts["backup"],
            patrols=counts["patrols"] + counts["checkins"],
        )

        async def queue() -> None:
            await self.services.stats.record_export(person, scope, first, last, counts)
            await outbox.send(chat_id, coming, priority=REPLY)
            await queue_file()

        return queue

    # five zeros
    def zero_value(self, locale: str, entry: ZeroEntry) -> str:
        if entry.count is not None:
            mark = "✅" if entry.count == 0 else "⚠️"
            return f"{mark} {self.translator.number(locale, entry.count)}"
        if entry.known is not None:
            return str(self.t(locale, "zero.known", n=self.translator.number(locale, entry.known)))
        return self.plain(locale, "zero.not_recorded")

    def zeros_month(self, locale: str, month: str, entries: dict[str, ZeroEntry]) -> list[str]:
        """Each zero of one month on a line, with its note."""
        lines = []
        for item in FiveZero:
            entry = entries[item.value]
            line = str(
                self.t(
                    locale,
                    "zero.line",
                    name=self.plain(locale, ZERO_NAME[item]),
                    value=self.zero_value(locale, entry),
                )
            )
            if entry.note:
                line += str(self.t(locale, "zero.note", note=entry.note))
            lines.append(line)
        return lines

    def zeros_summary(self, locale: str, month: str, entries: dict[str, ZeroEntry]) -> str:
        """One line for a month: how many of the five held, and which did not."""
        first = date.fromisoformat(f"{month}-01")
        label = str(self.t(locale, "zero.month", month=self.month_name(locale, first)))
        return label + self.zeros_held(locale, entries)

    def zeros_held(self, locale: str, entries: dict[str, ZeroEntry]) -> str:
        """How many of a month's five zeros held, which did not, what the system counted."""
        recorded = [z for z in FiveZero if entries[z.value].recorded]
        held = [z for z in recorded if entries[z.value].count == 0]
        missed = [
            f"{self.plain(locale, ZERO_NAME[z])} {entries[z.value].count}"
            for z in recorded
            if entries[z.value].count
        ]
        known = [
            f"{self.plain(locale, ZERO_NAME[z])} {entries[z.value].known}"
            for z in FiveZero
            if not entries[z.value].recorded and entries[z.value].known
        ]
        counted = (
            str(self.t(locale, "zero.month_counted", items="、".join(known))) if known else ""
        )
        if not recorded:
            return self.plain(locale, "zero.month_empty") + counted
        text = str(self.t(locale, "zero.month_held", held=len(held), recorded=len(recorded)))
        if missed:
            text += str(self.t(locale, "zero.month_missed", items="、".join(missed)))
        return text + counted

    def zeros_in_report(
        self, locale: str, station_id: int, month: str, entries: dict[str, ZeroEntry]
    ) -> tuple[str, dict[str, Any] | None]:
        """The chief's weekly line on the month's five zeros — named, with what is still
        not filled in — and, while something is missing, the button that fills it in."""
        first = date.fromisoformat(f"{month}-01")
        line = str(self.t(locale, "zero.report_line", month=self.month_name(locale, first)))
        line += self.zeros_held(locale, entries)
        missing = [
            self.plain(locale, ZERO_NAME[z]) for z in FiveZero if not entries[z.value].recorded
        ]
        if not missing:
            return line, None
        if len(missing) == len(FiveZero):
            line += self.plain(locale, "zero.report_all_missing")
        else:
            line += str(self.t(locale, "zero.report_missing", items="、".join(missing)))
        button = {
            "text": self.plain(locale, "zero.btn_fill"),
            "callback_data": callbacks.encode(FEATURE, "z", station_id, month),
        }
        return line, {"inline_keyboard": [[button]]}

    def month_name(self, locale: str, first: date) -> str:
        from babel.dates import format_skeleton

        return str(format_skeleton("yMMM", first, locale=locale))

    # the workbook
    def workbook_spec(
        self, locale: str, title: str, rows: dict[str, list[dict[str, Any]]], phones: bool
    ) -> dict[str, Any]:
        return {
            "title": title,
            "sheets": [
                self._reports_sheet(locale, rows["reports"], phones),
                self._backup_sheet(locale, rows["backup"], phones),
                self._patrols_sheet(locale, rows["patrols"] + rows["checkins"], phones),
            ],
        }

    def _sheet(
        self, locale: str, title: str, headers: list[str], rows: list[list[Any]]
    ) -> dict[str, Any]:
        plain = self.translator.plain
        return {
            "title": plain(locale, title),
            "headers": [plain(locale, h) for h in headers],
            "rows": rows,
        }

    def _label(self, locale: str, table: dict[Any, str], value: Any, kind: type[Any]) -> str:
        """A stored value by its name in the reader's language (as stored if it has none)."""
        try:
            return self.translator.plain(locale, table[kind(value)])
        except (ValueError, KeyError):
            return str(value or "")

    def _reports_sheet(
        self, locale: str, reports: list[dict[str, Any]], phones: bool
    ) -> dict[str, Any]:
        zone = self.services.settings.zone
        yes, no = self.plain(locale, "export.yes"), self.plain(locale, "export.no")
        headers = [
            "export.number",
            "export.created",
            "export.office",
            "export.category",
            "export.urgent",
            "export.status",
            "export.reporter",
            *(["export.phone"] if phones else []),
            "export.place",
            "export.description",
            "export.acknowledged",
            "export.resolved",
            "export.outcome",
            "export.officer",
        ]
        rows = [
            [
                f"#{r['year']}-{r['seq']:04d}",
                _cell_time(r["created_at"], zone),
                r["office_name"],
                self._label(locale, CATEGORY, r["category"], Category),
                yes if r["urgent"] else no,
                self._label(locale, STATUS, r["status"], ReportStatus),
                r["reporter_name"],
                *([r["reporter_phone"]] if phones else []),
                r["place_name"] or r["address"] or "",
                r["description"],
                _cell_time(r["acknowledged_at"], zone),
                _cell_time(r["resolved_at"], zone),
                self._label(locale, OUTCOME, r["outcome"], Outcome) if r["outcome"] else "",
                r["owner_name"] or "",
            ]
            for r in reports
        ]
        return self._sheet(locale, "export.sheet.reports", headers, rows)

    def _backup_sheet(
        self, locale: str, calls: list[dict[str, Any]], phones: bool
    ) -> dict[str, Any]:
        zone = self.services.settings.zone
        headers = [
            "export.backup_id",
            "export.created",
            "export.office",
            "export.reason",
            "export.status",
            "export.requester",
            *(["export.phone"] if phones else []),
            "export.officer",
            "export.claimed",
            "export.arrived",
            "export.resolved",
            "export.step",
        ]
        rows = [
            [
                b["id"],
                _cell_time(b["created_at"], zone),
                b["office_name"],
                self._label(locale, REASON, b["reason"], BackupReason),
                self._label(locale, BACKUP_STATUS, b["status"], BackupStatus),
                b["requester_name"],
                *([b["requester_phone"]] if phones else []),
                b["owner_name"] or "",
                _cell_time(b["claimed_at"], zone),
                _cell_time(b["arrived_at"], zone),
                _cell_time(b["resolved_at"], zone),
                b["highest_step"],
            ]
            for b in calls
        ]
        return self._sheet(locale, "export.sheet.backup", headers, rows)

    def _patrols_sheet(
        self, locale: str, slots: list[dict[str, Any]], phones: bool
    ) -> dict[str, Any]:
        """Planned patrols and check-ins outside any plan, by day, office and member."""
        headers = [
            "export.day",
            "export.office",
            "export.area",
            "export.shift",
            "export.member",
            *(["export.phone"] if phones else []),
            "export.patrol_status",
            "export.checked_in",
            "export.checked_out",
            "export.hours",
            "export.households",
            "export.publicity",
            "export.hazards",
            "export.disputes",
            "export.note",
        ]
        now = self.services.clock.now()
        rows = [self._patrol_row(locale, s, phones, now) for s in slots]
        rows.sort(key=lambda row: (str(row[0]), str(row[1]), str(row[4])))
        return self._sheet(locale, "export.sheet.patrols", headers, rows)

    def _patrol_row(
        self, locale: str, s: dict[str, Any], phones: bool, now: datetime
    ) -> list[Any]:
        zone = self.services.settings.zone
        planned = "area_name" in s
        started, ended = s.get("started_at"), s.get("ended_at")
        if not planned:
            status = "export.unplanned"
        elif s["checkin_id"] is not None:
            status = "export.checked"
        elif from_db(s["ends_at"]) <= now:
            status = "export.missed"
        else:
            status = "export.upcoming"
        hours = None
        if started and ended:
            hours = round((from_db(ended) - from_db(started)).total_seconds() / 3600, 2)
        shift = ""
        if planned:
            shift = (
                f"{from_db(s['starts_at']).astimezone(zone):%H:%M}–"
                f"{from_db(s['ends_at']).astimezone(zone):%H:%M}"
            )
        day = s["day"] if planned else f"{from_db(str(started)).astimezone(zone):%Y-%m-%d}"
        return [
            day,
            s.get("office_name") or "",
            s.get("area_name") or "",
            shift,
            s["member_name"],
            *([s["member_phone"]] if phones else []),
            self.plain(locale, status),
            _cell_time(started, zone),
            _cell_time(ended, zone),
            hours,
            s.get("households"),
            s.get("publicity"),
            s.get("hazards"),
            s.get("disputes"),
            s.get("note") or "",
        ]

    async def prepare_workbook(
        self,
        chat_id: int,
        locale: str,
        scope: Scope,
        first: date,
        last: date,
        *,
        phones: bool,
        ref: str,
        priority: int,
    ) -> tuple[dict[str, int], Queue] | None:
        """Read the rows of an export (the read-only connection); their counts and what
        queues the workbook, or None when the range holds nothing."""
        rows = await self.services.stats.export_rows(scope, first, last)
        if not any(rows.values()):
            return None
        title = await self.scope_title(locale, scope)
        days = self.days(locale, first, last)
        spec = self.workbook_spec(locale, f"{title} {days}", rows, phones)
        caption = str(self.t(locale, "export.caption", scope=title, days=days))
        outbox = self.services.outbox

        async def queue() -> None:
            await outbox.send_file(
                chat_id,
                WORKBOOK,
                spec,
                f"mulan-{first:%Y%m%d}-{last:%Y%m%d}.xlsx",
                caption=caption,
                ref=ref,
                priority=priority,
            )

        return {name: len(found) for name, found in rows.items()}, queue


COMPOSE_STATS, COMPOSE_EXPORT = "stats", "export"


def _asked(spec: dict[str, Any]) -> tuple[str, Scope, date, date]:
    scope = Scope(spec.get("station"), spec.get("office"))
    first, last = date.fromisoformat(spec["first"]), date.fromisoformat(spec["last"])
    return str(spec["locale"]), scope, first, last


async def _nothing() -> None:
    return None
