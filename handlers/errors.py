"""The global error handler: rule refusals become clear answers; failures are logged and
reported to the person (their data is safe) and to the operators, at most once a minute."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from handlers.context import CustomContext
from locales import Html, pick_locale
from models import callbacks
from models.backup import BackupReason
from models.errors import DomainError
from models.org import Role
from models.store.db import RETRYABLE
from scheduler.notices.backup_notify import FEATURE as BACKUP

log = logging.getLogger(__name__)
OPERATOR_ALERT_INTERVAL = timedelta(minutes=1)


async def on_error(update: object, context: CustomContext) -> None:
    """Answer a refusal, or log the failure, apologise and alert the operators."""
    error = context.error
    if not isinstance(update, Update):
        log.error("error outside an update", exc_info=error)
        return
    if isinstance(error, RETRYABLE):
        # the database refuses writes (locked elsewhere, disk full): not this update's
        # fault; it is tried again once the database takes writes, nobody is told of a failure
        context.app.database_refused = True
        raise ApplicationHandlerStop
    context.app.update_failed = True  # its effects are rolled back; the update is done
    await _load_locale(update, context)
    if isinstance(error, DomainError):
        await _answer(update, context, context.t(error.message_key, **error.params))
    else:
        log.error("update %s failed", update.update_id, exc_info=error)
        if not await _backup_call_failed(update, context):
            await _answer(update, context, context.t("error.internal"))
            await _alert_operators(context, error)
    # An update that failed goes no further (a failed gatekeeper must not let it through).
    raise ApplicationHandlerStop


async def _backup_call_failed(update: Update, context: CustomContext) -> bool:
    """A member's backup call failed as it was being made (its reason pressed): never a
    plain "something went wrong" — she is told the call did not go through, with 110 and
    her officers' phones, and every operator is alerted naming her and the time (not held
    back by the once-a-minute limit of other failures). These answers are the update's
    replies: queued again after its effects roll back, sent as soon as Telegram answers."""
    query = update.callback_query
    data = callbacks.decode(query.data if query else None)
    person = context.person
    if data is None or data.feature != BACKUP or data.action not in ("r", "rep") or not person:
        return False
    try:
        reason = BackupReason(data.args[0]) if data.action == "r" else BackupReason.OTHER
    except (ValueError, IndexError):
        reason = BackupReason.OTHER
    try:
        notifier = context.app.escalation.notifier
        texts = await notifier.not_through_texts(person, None, reason)
    except Exception:  # the database itself may be what failed: the member still hears
        log.exception("could not read the officers' phones for a failed backup call")
        texts = [(person.tg_user_id, context.t("backup.not_made", officers="—"))]
    await _answer(update, context, texts[0][1])
    for chat_id, text in texts:
        try:
            await context.bot.send_message(chat_id, text)
        except TelegramError:
            log.warning("could not send a failed backup call's notice", exc_info=True)
    return True


async def _load_locale(update: Update, context: CustomContext) -> None:
    user = update.effective_user
    settings = context.services.settings
    person = None
    if user is not None:
        try:
            person = await context.services.people.by_telegram(user.id)
        except Exception:  # the database itself may be what failed
            log.exception("could not load the person for an error message")
    context.person = person
    context.locale = pick_locale(
        person.locale if person else None,
        user.language_code if user else None,
        settings.default_locale,
    )


async def _answer(update: Update, context: CustomContext, text: str) -> None:
    try:
        await context.alert(update, Html(text))
    except TelegramError:
        log.warning("could not tell the person about an error", exc_info=True)


async def _alert_operators(context: CustomContext, error: BaseException | None) -> None:
    app = context.app
    now = context.services.clock.now()
    if (
        app.last_operator_alert is not None
        and now - app.last_operator_alert < OPERATOR_ALERT_INTERVAL
    ):
        return
    app.last_operator_alert = now
    try:
        operators = await context.services.people.repo.with_role(Role.OPERATOR)
    except Exception:
        log.exception("could not load operators for an error alert")
        return
    kind = type(error).__name__ if error else "unknown"
    for operator in operators:
        text = app.translator.text(
            operator.locale or context.services.settings.default_locale,
            "error.operator_alert",
            kind=kind,
        )
        try:
            await context.bot.send_message(operator.tg_user_id, text)
        except TelegramError:
            log.warning("could not alert operator %s", operator.id, exc_info=True)
