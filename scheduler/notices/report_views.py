"""How reports look: the officer's card, the reporter's summary, the timeline, the lists.
Every piece of user text is escaped by the translator."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from locales import N_, Html, Translator
from models import callbacks
from models.org import Person
from models.reports import (
    Category,
    EventKind,
    Outcome,
    Report,
    ReportDraft,
    ReportEvent,
    ReportStatus,
)
from models.services import Services

FEATURE = "rp"

CATEGORY: dict[Category, str] = {
    Category.DISPUTE: N_("category.dispute"),
    Category.HAZARD: N_("category.hazard"),
    Category.SUSPICIOUS: N_("category.suspicious"),
    Category.FRAUD: N_("category.fraud"),
    Category.PUBLIC_ORDER: N_("category.public_order"),
    Category.TRAFFIC: N_("category.traffic"),
    Category.FIRE: N_("category.fire"),
    Category.MISSING: N_("category.missing"),
    Category.INFORMATION: N_("category.information"),
    Category.HELP: N_("category.help"),
    Category.OTHER: N_("category.other"),
}
STATUS: dict[ReportStatus, str] = {
    ReportStatus.NEW: N_("status.new"),
    ReportStatus.ACKNOWLEDGED: N_("status.acknowledged"),
    ReportStatus.EN_ROUTE: N_("status.en_route"),
    ReportStatus.ON_SITE: N_("status.on_site"),
    ReportStatus.RESOLVED: N_("status.resolved"),
    ReportStatus.MERGED: N_("status.merged"),
    ReportStatus.WITHDRAWN: N_("status.withdrawn"),
}
OUTCOME: dict[Outcome, str] = {
    Outcome.MEDIATED: N_("outcome.mediated"),
    Outcome.VILLAGE_COMMITTEE: N_("outcome.village_committee"),
    Outcome.OTHER_DEPARTMENT: N_("outcome.other_department"),
    Outcome.UNFOUNDED: N_("outcome.unfounded"),
    Outcome.OTHER: N_("outcome.other"),
}
EVENT: dict[EventKind, str] = {
    EventKind.CREATED: N_("event.created"),
    EventKind.ACKNOWLEDGED: N_("event.acknowledged"),
    EventKind.EN_ROUTE: N_("event.en_route"),
    EventKind.ON_SITE: N_("event.on_site"),
    EventKind.RESOLVED: N_("event.resolved"),
    EventKind.WITHDRAWN: N_("event.withdrawn"),
    EventKind.REOPENED: N_("event.reopened"),
    EventKind.MERGED: N_("event.merged"),
    EventKind.HANDED_OVER: N_("event.handed_over"),
    EventKind.RETURNED_TO_QUEUE: N_("event.returned_to_queue"),
    EventKind.QUESTION: N_("event.question"),
    EventKind.ANSWER: N_("event.answer"),
    EventKind.NOTE: N_("event.note"),
    EventKind.PHOTO: N_("event.photo"),
    EventKind.REMINDED: N_("event.reminded"),
}
# Officer buttons: (action, label key, statuses in which it is offered)
OFFICER_ACTIONS: tuple[tuple[str, str, frozenset[ReportStatus]], ...] = (
    ("ack", N_("report.btn_ack"), frozenset({ReportStatus.NEW})),
    ("go", N_("report.btn_go"), frozenset({ReportStatus.NEW, ReportStatus.ACKNOWLEDGED})),
    (
        "here",
        N_("report.btn_here"),
        frozenset({ReportStatus.NEW, ReportStatus.ACKNOWLEDGED, ReportStatus.EN_ROUTE}),
    ),
    (
        "info",
        N_("report.btn_info"),
        frozenset(
            {
                ReportStatus.NEW,
                ReportStatus.ACKNOWLEDGED,
                ReportStatus.EN_ROUTE,
                ReportStatus.ON_SITE,
            }
        ),
    ),
    (
        "res",
        N_("report.btn_resolve"),
        frozenset(
            {
                ReportStatus.NEW,
                ReportStatus.ACKNOWLEDGED,
                ReportStatus.EN_ROUTE,
                ReportStatus.ON_SITE,
            }
        ),
    ),
    (
        "hand",
        N_("report.btn_hand"),
        frozenset(
            {
                ReportStatus.NEW,
                ReportStatus.ACKNOWLEDGED,
                ReportStatus.EN_ROUTE,
                ReportStatus.ON_SITE,
            }
        ),
    ),
)


def local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%m-%d %H:%M")


def button(
    translator: Translator, locale: str, key: str, action: str, *args: object
) -> dict[str, str]:
    """An inline button as the plain dict the outbox stores."""
    return {
        "text": translator.plain(locale, key),
        "callback_data": callbacks.encode(FEATURE, action, *args),
    }


def officer_keyboard(
    translator: Translator, locale: str, report: Report, duplicates: list[Report] | None = None
) -> dict[str, list[list[dict[str, str]]]]:
    buttons = [
        button(translator, locale, key, action, report.id)
        for action, key, statuses in OFFICER_ACTIONS
        if report.status in statuses
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    for other in duplicates or []:
        rows.append(
            [
                {
                    "text": translator.plain(locale, "report.btn_merge").format(
                        number=other.number
                    ),
                    "callback_data": callbacks.encode(FEATURE, "merge", report.id, other.id),
                }
            ]
        )
    return {"inline_keyboard": rows}


def reporter_keyboard(
    translator: Translator, locale: str, report: Report, now: datetime
) -> dict[str, list[list[dict[str, str]]]]:
    row = []
    if report.status.is_open:
        row.append(button(translator, locale, "report.btn_note", "note", report.id))
    if report.status is ReportStatus.NEW:
        row.append(button(translator, locale, "report.btn_withdraw", "wd", report.id))
    if report.status is ReportStatus.RESOLVED:
        row.append(button(translator, locale, "report.btn_reopen", "reopen", report.id))
    return {"inline_keyboard": [row] if row else []}


def markup(data: dict[str, list[list[dict[str, str]]]]) -> InlineKeyboardMarkup | None:
    rows = [
        [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
        for row in data["inline_keyboard"]
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


async def where(services: Services, translator: Translator, locale: str, report: Report) -> str:
    parts: list[str] = []
    if report.place_id is not None:
        place = await services.org.repo.place(report.place_id)
        if place is not None:
            parts.append(place.name)
    if report.address:
        parts.append(report.address)
    if report.latitude is not None and report.longitude is not None:
        parts.append(f"{report.latitude:.5f}, {report.longitude:.5f}")
    return " · ".join(parts) or translator.plain(locale, "report.no_location")


async def card(
    services: Services,
    translator: Translator,
    locale: str,
    report: Report,
    *,
    show_phone: bool,
    duplicates: list[Report] | None = None,
) -> Html:
    """What an officer sees of a report."""
    reporter = await services.people.get(report.reporter_id)
    owner = await services.people.get(report.owner_id) if report.owner_id else None
    photos = await services.reports.repo.attachments(report.id, "photo")
    t = translator.text
    lines = [
        t(
            locale,
            "report.card_title",
            number=report.number,
            category=t(locale, CATEGORY[report.category]),
            status=t(locale, STATUS[report.status]),
        )
    ]
    if report.urgent:
        lines.append(t(locale, "report.card_urgent"))
    who = reporter.name if reporter else "?"
    if show_phone and reporter is not None and reporter.phone:
        who = f"{who} ({reporter.phone})"
    lines.append(t(locale, "report.card_reporter", name=who))
    lines.append(
        t(locale, "report.card_where", where=await where(services, translator, locale, report))
    )
    lines.append(
        t(locale, "report.card_when", when=local(report.created_at, services.settings.zone))
    )
    if report.money_lost is not None:
        amount = f"{report.loss_amount:g}" if report.loss_amount else "?"
        key = "report.card_loss" if report.money_lost else "report.card_no_loss"
        lines.append(t(locale, key, amount=amount))
    lines.append(t(locale, "report.card_description", text=report.description or "—"))
    if report.voice_file_id:
        lines.append(t(locale, "report.card_voice"))
    if photos:
        lines.append(t(locale, "report.card_photos", count=len(photos)))
    if owner is not None:
        lines.append(t(locale, "report.card_owner", name=owner.name))
    if report.outcome is not None:
        lines.append(
            t(
                locale,
                "report.card_outcome",
                outcome=t(locale, OUTCOME[report.outcome]),
                note=report.outcome_note or "—",
            )
        )
    for other in duplicates or []:
        lines.append(t(locale, "report.possible_duplicate", number=other.number))
    return Html("\n".join(lines))


def draft_summary(
    translator: Translator, locale: str, draft: ReportDraft, where_text: str
) -> Html:
    t = translator.text
    lines = [t(locale, "report.summary_title")]
    if draft.category is not None:
        lines.append(
            t(locale, "report.summary_category", category=t(locale, CATEGORY[draft.category]))
        )
    urgent = bool(draft.urgent) or bool(draft.danger)
    lines.append(t(locale, "report.summary_urgent" if urgent else "report.summary_normal"))
    if draft.money_lost is not None:
        amount = f"{draft.loss_amount:g}" if draft.loss_amount else "?"
        key = "report.card_loss" if draft.money_lost else "report.card_no_loss"
        lines.append(t(locale, key, amount=amount))
    lines.append(t(locale, "report.card_description", text=draft.description or "—"))
    if draft.voice_file_id:
        lines.append(t(locale, "report.card_voice"))
    lines.append(t(locale, "report.card_where", where=where_text))
    lines.append(t(locale, "report.card_photos", count=len(draft.photos)))
    return Html("\n".join(lines))


async def timeline_text(
    services: Services,
    translator: Translator,
    locale: str,
    report: Report,
    events: list[ReportEvent],
    viewer: Person,
) -> Html:
    t = translator.text
    show_phone = viewer.role.is_staff
    lines = [await card(services, translator, locale, report, show_phone=show_phone), ""]
    lines.append(t(locale, "report.timeline_title"))
    for event in events:
        actor = await services.people.get(event.actor_id) if event.actor_id else None
        detail = event.detail or ""
        if event.kind in (EventKind.HANDED_OVER, EventKind.RETURNED_TO_QUEUE) and detail.isdigit():
            named = await services.people.get(int(detail))
            detail = named.name if named else detail
        if event.kind is EventKind.RESOLVED and report.outcome is not None:
            detail = t(locale, OUTCOME[report.outcome]) + (
                f": {report.outcome_note}" if report.outcome_note else ""
            )
        lines.append(
            t(
                locale,
                "report.timeline_line",
                when=local(event.at, services.settings.zone),
                who=actor.name if actor else "—",
                what=t(locale, EVENT[event.kind]),
                detail=f" — {detail}" if detail else "",
            )
        )
    return Html("\n".join(lines))


def list_line(translator: Translator, locale: str, report: Report, zone: ZoneInfo) -> Html:
    t = translator.text
    return t(
        locale,
        "report.list_line",
        number=report.number,
        category=t(locale, CATEGORY[report.category]),
        status=t(locale, STATUS[report.status]),
        when=local(report.created_at, zone),
        urgent="⚠️" if report.urgent and report.status.is_open else "",
    )
