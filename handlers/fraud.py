"""Anti-fraud from the chat: "is this a scam?" (/check or a forwarded message, for anyone),
and /tips (pause the weekly tip in a group; chiefs and operators keep the library)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from handlers import conversation, report_draft
from handlers.common import Action, Press, StalePress, actions_handler, refuse, show
from handlers.context import CustomContext
from handlers.conversation import Conversation, Flow, StepHandler
from locales import LOCALES, N_, NATIVE_NAMES, Html
from models import callbacks
from models.errors import DomainError
from models.org import Person, Role
from models.reports import Category, ReportDraft
from models.services.fraud import clean_tip, may_manage_group

FEATURE = "fr"
PAGE = 8
SCAM_NAME = {
    "fake_police": N_("scam.fake_police"),
    "order_brushing": N_("scam.order_brushing"),
    "fake_refund": N_("scam.fake_refund"),
    "fake_loan": N_("scam.fake_loan"),
    "investment": N_("scam.investment"),
    "romance": N_("scam.romance"),
    "impersonation": N_("scam.impersonation"),
    "game_ticket": N_("scam.game_ticket"),
    "elderly": N_("scam.elderly"),
    "link_sharing": N_("scam.link_sharing"),
}


class FraudState(StrEnum):
    CHECK = "fraud:check"
    TIP_ZH = "fraud:tip_zh"
    TIP_EN = "fraud:tip_en"
    TIP_PICTURE = "fraud:tip_picture"
    TIP_EDIT = "fraud:tip_edit"


def _b(context: CustomContext, key: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        context.label(key), callback_data=callbacks.encode(FEATURE, action, *args)
    )


async def check_command(update: Update, context: CustomContext) -> None:
    """/check [text]: look a suspicious message over; anyone may, registered or not."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        await context.reply(update, "check.in_private")
        return
    if context.args:
        await _answer(update, context, " ".join(context.args))
        return
    if await conversation.drafting(update, context):
        await context.reply(update, "error.finish_draft_first")
        return
    await conversation.save(update, context, Flow.CHECK, FraudState.CHECK, {})
    await context.reply(update, "check.ask")


async def forwarded(update: Update, context: CustomContext) -> None:
    """A message forwarded to the bot in private is a scam check, from anyone."""
    message = update.effective_message
    assert message is not None
    text = message.text or message.caption
    if not text:
        await context.reply(update, "check.nothing_to_check")
        return
    await _answer(update, context, text)


async def _take_check(update: Update, context: CustomContext, talk: Conversation) -> None:
    """The text to check, after /check."""
    message = update.effective_message
    assert message is not None
    text = message.text or message.caption
    if not text:
        await context.reply(update, "check.nothing_to_check")
        return
    await _answer(update, context, text)


async def _take_tip_picture(update: Update, context: CustomContext, talk: Conversation) -> None:
    """The picture of a new tip (or the "no picture" button)."""
    message = update.effective_message
    person = context.person
    assert message is not None and person is not None
    picture = message.photo[-1].file_id if message.photo else None
    if picture is None:
        await context.reply(update, "tips.picture_expected")
        return
    await _save_tip(update, context, person, talk, picture)


TipStep = Callable[[Update, CustomContext, Conversation, Person, str], Awaitable[None]]


def _tip_text(step: TipStep) -> StepHandler:
    """A step taking a tip's text: the text asked for, and the refusals answered alike."""

    async def take(update: Update, context: CustomContext, talk: Conversation) -> None:
        message = update.effective_message
        person = context.person
        assert message is not None and person is not None
        text = message.text or message.caption
        if not text:
            await context.reply(update, "tips.as_text")
            return
        try:
            await step(update, context, talk, person, text)
        except DomainError as error:
            if error.code == "not_allowed":
                raise
            await context.reply(update, error.message_key, **error.params)

    return take


async def _take_tip_zh(
    update: Update, context: CustomContext, talk: Conversation, person: Person, text: str
) -> None:
    zh = clean_tip(text)  # checked now, not when the picture comes
    await conversation.save(update, context, Flow.CHECK, FraudState.TIP_EN, {"zh": zh})
    await context.reply(update, "tips.ask_en")


async def _take_tip_en(
    update: Update, context: CustomContext, talk: Conversation, person: Person, text: str
) -> None:
    en = clean_tip(text)
    await conversation.save(
        update, context, Flow.CHECK, FraudState.TIP_PICTURE, {**talk.data, "en": en}
    )
    await context.reply(
        update,
        "tips.ask_picture",
        reply_markup=InlineKeyboardMarkup([[_b(context, "tips.btn_no_picture", "nopic")]]),
    )


async def _take_tip_edit(
    update: Update, context: CustomContext, talk: Conversation, person: Person, text: str
) -> None:
    tip, locale = int(talk.data["tip"]), str(talk.data["locale"])
    await context.services.fraud.edit_tip(person, tip, locale, text)
    await conversation.end(update, context)
    await context.reply(update, "tips.saved")


async def _answer(update: Update, context: CustomContext, text: str) -> None:
    """The likely scam type and its tip, never certainty; members may file a report. The
    check is a row, so the report button works without disturbing any open conversation."""
    user = update.effective_user
    assert user is not None
    fraud = context.services.fraud
    found = fraud.matcher.match(text)
    person = context.person
    may_file = person is not None and person.role in (Role.MEMBER, Role.PARTNER) and person.active
    check_id = await fraud.record_check(user.id, person, found, text[:1900] if may_file else None)
    talk = await conversation.current(update, context)
    if talk is not None and talk.flow is Flow.CHECK:
        await conversation.end(update, context)
    markup = (
        InlineKeyboardMarkup([[_b(context, "check.btn_report", "report", check_id)]])
        if may_file
        else None
    )
    if found is None:
        await context.reply(update, "check.no_pattern", reply_markup=markup)
        return
    tip = await fraud.repo.tip_by_key(found.tip_key)
    body = await fraud.tip_text(tip, context.locale) if tip else ""
    await context.reply(
        update,
        "check.likely",
        kind=context.t(SCAM_NAME[found.scam_type]),
        hits="、".join(found.hits[:5]),
        tip=body,
        reply_markup=markup,
    )


async def _report(p: Press) -> None:
    """The check's report button: a fraud report, prefilled with the checked text."""
    update, context = p.update, p.context
    text = await context.services.fraud.repo.check_text(p.data.int_arg(0), p.person.tg_user_id)
    if text is None:
        raise StalePress("the check is gone")
    talk = await conversation.current(update, context)
    if talk is not None and talk.flow in (Flow.REPORT, Flow.BACKUP):
        raise DomainError("finish_draft_first")
    await p.query.answer()
    draft = ReportDraft(category=Category.FRAUD, description=text)
    await report_draft.begin_prefilled(update, context, draft)


async def _group_switch(p: Press) -> None:
    """A group's tip switches: pause or resume its weekly tip, opt in or out."""
    fraud, action, chat_id = p.context.services.fraud, p.data.action, p.chat.id
    if action in ("pause", "resume"):
        await fraud.set_paused(p.person, chat_id, action == "pause")
    else:
        await fraud.set_opt_in(p.person, chat_id, action == "optin")
    await p.query.answer()
    text, markup = await _group_view(p.context, chat_id)
    await show(p.query, text, markup)


async def _page(p: Press) -> None:
    text, markup = await _library(p.context, p.person, p.data.int_arg(0))
    await p.query.answer()
    await show(p.query, text, markup)


async def _toggle(p: Press) -> None:
    tip, page = p.data.int_arg(0), p.data.int_arg(1)
    await p.context.services.fraud.toggle_tip(p.person, tip)
    text, markup = await _library(p.context, p.person, page)
    await p.query.answer()
    await show(p.query, text, markup)


async def _add(p: Press) -> None:
    _editor(p.person)
    await conversation.save(p.update, p.context, Flow.CHECK, FraudState.TIP_ZH, {})
    await p.query.answer()
    await p.context.reply(p.update, "tips.ask_zh")


async def _edit(p: Press) -> None:
    _editor(p.person)
    await conversation.save(
        p.update,
        p.context,
        Flow.CHECK,
        FraudState.TIP_EDIT,
        {"tip": p.data.int_arg(0), "locale": p.data.choice(1, LOCALES)},
    )
    await p.query.answer()
    await p.context.reply(p.update, "tips.ask_edit")


async def _no_picture(p: Press) -> None:
    talk = await conversation.current(p.update, p.context)
    if talk is None or talk.state != FraudState.TIP_PICTURE:
        raise StalePress("not at the tip's picture")
    await p.query.answer()
    await _save_tip(p.update, p.context, p.person, talk, None)


ACTIONS: dict[str, Action] = {
    "report": _report,
    "pause": _group_switch,
    "resume": _group_switch,
    "optin": _group_switch,
    "optout": _group_switch,
    "page": _page,
    "tog": _toggle,
    "add": _add,
    "edit": _edit,
    "nopic": _no_picture,
}
# a stranger pressing a group's tip buttons is told "not allowed", not "no longer valid"
fraud_press = actions_handler(
    ACTIONS, "The check's report button, the /tips buttons (see ACTIONS).", strangers="refused"
)


def _editor(person: Person) -> None:
    if person.role not in (Role.CHIEF, Role.OPERATOR) or not person.active:
        raise DomainError("not_allowed")


async def _save_tip(
    update: Update, context: CustomContext, person: Person, talk: Conversation, picture: str | None
) -> None:
    await context.services.fraud.add_tip(
        person, str(talk.data["zh"]), str(talk.data["en"]), picture
    )
    await conversation.end(update, context)
    await context.reply(update, "tips.saved")


async def tips_command(update: Update, context: CustomContext) -> None:
    """/tips: in a group, pause or resume its weekly tip; in private, the library."""
    chat = update.effective_chat
    person = context.person
    assert chat is not None
    if chat.type != ChatType.PRIVATE:
        group = context.group
        if (
            person is None
            or group is None
            or not group.registered
            or not may_manage_group(person, group)
        ):
            await context.reply(update, "tips.not_allowed_group")
            return
        text, markup = await _group_view(context, chat.id)
        await context.reply(update, "tips.wrap", body=text, reply_markup=markup)
        return
    if person is None or person.role not in (Role.CHIEF, Role.OPERATOR):
        await refuse(update, context)
        return
    text, markup = await _library(context, person, 0)
    await context.reply(update, "tips.wrap", body=text, reply_markup=markup)


async def _group_view(context: CustomContext, chat_id: int) -> tuple[Html, InlineKeyboardMarkup]:
    flags = await context.services.fraud.repo.group_flags(chat_id) or {}
    group = await context.services.groups.get(chat_id)
    paused = bool(flags.get("tips_paused"))
    key = "tips.group_paused" if paused else "tips.group_active"
    row = [
        _b(
            context,
            "tips.btn_resume" if paused else "tips.btn_pause",
            "resume" if paused else "pause",
        )
    ]
    if group is not None and group.kind is not None and group.kind.value == "staff":
        opted = bool(flags.get("tips_opt_in"))
        row.append(
            _b(
                context,
                "tips.btn_opt_out" if opted else "tips.btn_opt_in",
                "optout" if opted else "optin",
            )
        )
    return context.t(key), InlineKeyboardMarkup([row])


async def _library(
    context: CustomContext, person: Person, page: int
) -> tuple[Html, InlineKeyboardMarkup]:
    _editor(person)
    tips = await context.services.fraud.repo.tips()
    page = max(0, min(page, (len(tips) - 1) // PAGE if tips else 0))
    shown = tips[page * PAGE : (page + 1) * PAGE]
    lines = [context.t("tips.library_title", count=len(tips))]
    rows = []
    for tip in shown:
        text = str(tip["zh_text"] if context.locale == "zh_CN" else tip["en_text"])
        first = text.split("\n", 1)[0][:40]
        mark = "✅" if tip["enabled"] else "⏸"
        lines.append(context.t("tips.library_line", id=tip["id"], mark=mark, text=first))
        rows.append(
            [
                InlineKeyboardButton(
                    f"{mark} #{tip['id']}",
                    callback_data=callbacks.encode(FEATURE, "tog", tip["id"], page),
                ),
                InlineKeyboardButton(
                    f"✏️ {NATIVE_NAMES['zh_CN']} #{tip['id']}",
                    callback_data=callbacks.encode(FEATURE, "edit", tip["id"], "zh_CN"),
                ),
                InlineKeyboardButton(
                    f"✏️ {NATIVE_NAMES['en']} #{tip['id']}",
                    callback_data=callbacks.encode(FEATURE, "edit", tip["id"], "en"),
                ),
            ]
        )
    nav = []
    if page > 0:
        nav.append(_b(context, "report.btn_prev", "page", page - 1))
    if (page + 1) * PAGE < len(tips):
        nav.append(_b(context, "report.btn_next", "page", page + 1))
    if nav:
        rows.append(nav)
    rows.append([_b(context, "tips.btn_add", "add")])
    return Html("\n".join(lines)), InlineKeyboardMarkup(rows)


# the text to check (after /check), or a tip being written (docs/flows/check.mmd)
STEPS: dict[FraudState, StepHandler] = {
    FraudState.CHECK: _take_check,
    FraudState.TIP_ZH: _tip_text(_take_tip_zh),
    FraudState.TIP_EN: _tip_text(_take_tip_en),
    FraudState.TIP_PICTURE: _take_tip_picture,
    FraudState.TIP_EDIT: _tip_text(_take_tip_edit),
}
