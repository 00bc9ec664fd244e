"""E-mail to people: each notification at once, or once a day in a digest, in the receiver's language.

Rows are claimed by a conditional UPDATE stamped with the claim's own time, so two workers
never send the same row; a claim left by a killed worker is taken again after CLAIM_EXPIRES.
A mail the SMTP server refused goes back to be sent by the next sweep, with its error kept.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from approvals.display.created import named_by
from approvals.display.notifications import detail, headline
from approvals.models import EmailState, Notification, NotificationKind, PersonSettings
from approvals.selectors.reviews import retracted_comment_ids

logger = logging.getLogger(__name__)

CLAIM_EXPIRES = timedelta(minutes=10)
BATCH = 200
MAIL_ERRORS = (smtplib.SMTPException, OSError)


def notification_path(notification: Notification) -> str:
    """The page the notification is about: its version's, or its model's (a sync's many new versions);
    for a failed sync the queue, whose sync states show the error."""
    if notification.kind == NotificationKind.SYNC_FAILED:
        return reverse("home")
    model_id, _name, version_name = named_by(notification.event, notification.model_id)
    if version_name:
        return reverse("version_detail", args=[model_id, version_name])
    if model_id:
        return reverse("model_detail", args=[model_id])
    if notification.kind == NotificationKind.NEW_PENDING:
        return reverse("home")  # the queue lists what waits
    return reverse("inbox")


def link_of(notification: Notification) -> str:
    """The same page as an absolute address, for e-mail (DASHBOARD_URL)."""
    return settings.DASHBOARD_URL + notification_path(notification)


def _waiting(waiting: str, sending: str, now: datetime) -> Q:
    """Rows `waiting`, or left `sending` by a killed worker."""
    return Q(email_state=waiting) | Q(email_state=sending, email_claimed_at__lt=now - CLAIM_EXPIRES)


def _claim(waiting: str, sending: str, *, user_id: int | None = None) -> list[Notification]:
    """Take up to BATCH waiting rows (of one person, if given), marked as this claim's by its time."""
    stamp: datetime = timezone.now()
    wanted = _waiting(waiting, sending, stamp)
    if user_id is not None:
        wanted &= Q(user_id=user_id)
    ids = list(Notification.objects.filter(wanted).order_by("id").values_list("pk", flat=True)[:BATCH])
    if not ids:
        return []
    Notification.objects.filter(wanted, pk__in=ids).update(email_state=sending, email_claimed_at=stamp)
    return list(
        Notification.objects.filter(pk__in=ids, email_state=sending, email_claimed_at=stamp)
        .select_related("event", "user")
        .order_by("id")
    )


def _languages(user_ids: set[int]) -> dict[int, str]:
    rows = PersonSettings.objects.filter(user_id__in=user_ids)
    chosen = {row.user_id: row.mail_language for row in rows}
    return {pk: chosen.get(pk, settings.LANGUAGE_CODE) for pk in user_ids}


def _item(notification: Notification, hidden: frozenset[int]) -> dict[str, str]:
    event = notification.event
    text = detail(notification.kind, event)
    if event.payload.get("comment_id") in hidden:
        text = _("(The comment was retracted.)")
    headline_text = headline(notification.kind, event, notification.model_id)
    return {"headline": headline_text, "detail": text, "link": link_of(notification)}


def _hidden_comments(rows: list[Notification]) -> frozenset[int]:
    return retracted_comment_ids(row.event.payload.get("comment_id") for row in rows)


def _send(rows: list[Notification], *, subject: str, context: dict[str, Any], template: str, connection: Any) -> None:
    user = rows[0].user
    text = render_to_string(f"approvals/email/{template}.txt", context)
    html = render_to_string(f"approvals/email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email], connection=connection)
    message.attach_alternative(html, "text/html")
    # Receivers can deduplicate by it: the same notification always has the same Message-ID.
    message.extra_headers["Message-ID"] = f"<notification-{rows[0].pk}-{len(rows)}@pai-model-review>"
    message.send()


def _settle(rows: list[Notification], *, back_to: str, error: str = "") -> None:
    """Sent, or (with `error`) back to `back_to` for the next sweep, the error kept for staff."""
    ids = [row.pk for row in rows]
    if error:
        Notification.objects.filter(pk__in=ids).update(email_state=back_to, email_error=error[:2000])
    else:
        Notification.objects.filter(pk__in=ids).update(
            email_state=EmailState.SENT, emailed_at=timezone.now(), email_error=""
        )


def _links() -> dict[str, str]:
    return {
        "inbox": settings.DASHBOARD_URL + reverse("inbox"),
        "preferences": settings.DASHBOARD_URL + reverse("notification_preferences"),
    }


def _connection(rows: list[Notification], *, back_to: str) -> Any:
    """An open connection to the mail server, or None (the rows go back, for the next sweep)."""
    connection = get_connection()
    try:
        connection.open()
    except MAIL_ERRORS as exc:
        logger.warning("the mail server cannot be reached: %s", exc)
        _settle(rows, back_to=back_to, error=str(exc))
        return None
    return connection


def send_pending_emails() -> int:
    """Send up to BATCH notifications waiting to be e-mailed at once, one mail each (the sweep every
    minute takes the rest); how many were sent."""
    rows = _claim(EmailState.PENDING, EmailState.SENDING)
    if not rows:
        return 0
    languages = _languages({row.user_id for row in rows})
    hidden = _hidden_comments(rows)
    sent = 0
    connection = _connection(rows, back_to=EmailState.PENDING)
    if connection is None:
        return 0
    with connection:
        for row in rows:
            with translation.override(languages[row.user_id]):
                item = _item(row, hidden)
                context = {"user": row.user, "item": item, **_links()}
                try:
                    _send(
                        [row], subject=item["headline"], context=context, template="notification", connection=connection
                    )
                except MAIL_ERRORS as exc:
                    logger.warning("mail for notification %s not sent: %s", row.pk, exc)
                    _settle([row], back_to=EmailState.PENDING, error=str(exc))
                    continue
            _settle([row], back_to=EmailState.PENDING)
            sent += 1
    return sent


def send_email_digests() -> int:
    """One mail per person with what their digest collected (up to BATCH items); how many mails were sent."""
    waiting = _waiting(EmailState.DIGEST, EmailState.SENDING_DIGEST, timezone.now())
    people = list(Notification.objects.filter(waiting).order_by().values_list("user_id", flat=True).distinct())
    by_user = {user_id: _claim(EmailState.DIGEST, EmailState.SENDING_DIGEST, user_id=user_id) for user_id in people}
    by_user = {user_id: rows for user_id, rows in by_user.items() if rows}
    if not by_user:
        return 0
    every = [row for rows in by_user.values() for row in rows]
    languages = _languages(set(by_user))
    hidden = _hidden_comments(every)
    mails = 0
    connection = _connection(every, back_to=EmailState.DIGEST)
    if connection is None:
        return 0
    with connection:
        for user_id, mine in by_user.items():
            with translation.override(languages[user_id]):
                items = [_item(row, hidden) for row in mine]
                subject = _("Your daily digest: %(count)s notifications") % {"count": len(items)}
                context = {"user": mine[0].user, "items": items, **_links()}
                try:
                    _send(mine, subject=subject, context=context, template="digest", connection=connection)
                except MAIL_ERRORS as exc:
                    logger.warning("digest for user %s not sent: %s", user_id, exc)
                    _settle(mine, back_to=EmailState.DIGEST, error=str(exc))
                    continue
            _settle(mine, back_to=EmailState.DIGEST)
            mails += 1
    return mails
