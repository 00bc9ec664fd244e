"""People's notifications: written with the audit event that causes them, read and marked read.

`notify_people` is called by services.audit.append_event for every event, inside its
transaction, so a notification exists exactly when its cause does (invariant 10). Each
row says whether e-mail still has to tell the person: at once (the worker sends it after
the commit, and a beat sweep sends what that missed), in the daily digest, or not at all.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals import tasks
from approvals.errors import ApplicationError
from approvals.models import (
    AuditEvent,
    EmailChoice,
    EmailState,
    Notification,
    NotificationKind,
    NotificationPreference,
    PersonSettings,
)
from approvals.services.notification_kinds import pending_created
from approvals.services.recipients import recipients_of

# Without a choice of their own, people get at once what asks them to act, the rest once a day.
DEFAULT_EMAIL = {
    NotificationKind.NEW_PENDING: EmailChoice.DIGEST,
    NotificationKind.ASSIGNED: EmailChoice.IMMEDIATE,
    NotificationKind.MENTIONED: EmailChoice.IMMEDIATE,
    NotificationKind.COMMENT: EmailChoice.DIGEST,
    NotificationKind.CHANGES_REQUESTED: EmailChoice.IMMEDIATE,
    NotificationKind.READY: EmailChoice.IMMEDIATE,
    NotificationKind.APPROVED: EmailChoice.DIGEST,
    NotificationKind.REJECTED: EmailChoice.IMMEDIATE,
    NotificationKind.APPROVALS_DISMISSED: EmailChoice.DIGEST,
    NotificationKind.PUSH_FAILED: EmailChoice.IMMEDIATE,
    NotificationKind.PUSH_CONFLICT: EmailChoice.IMMEDIATE,
    NotificationKind.OVERDUE: EmailChoice.IMMEDIATE,
    NotificationKind.SYNC_FAILED: EmailChoice.IMMEDIATE,
}
STATE_OF_CHOICE = {
    EmailChoice.IMMEDIATE: EmailState.PENDING,
    EmailChoice.DIGEST: EmailState.DIGEST,
    EmailChoice.OFF: EmailState.NONE,
}


def email_choices(user: Any) -> dict[str, str]:
    """{kind: EmailChoice} for one person: their choices over the defaults (one query)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return {kind: chosen.get(kind, DEFAULT_EMAIL[kind]) for kind in NotificationKind.values}


def _enqueue_emails() -> None:
    def send() -> None:
        tasks.send_notification_emails.delay()

    # A broker that is down must not undo the change; the beat sweep sends what this missed.
    transaction.on_commit(send, robust=True)


def notify_people(event: AuditEvent) -> list[Notification]:
    """Write one notification per person the event concerns (services/recipients.py), in its transaction."""
    told = recipients_of(event)
    if not told:
        return []
    with_address = set(get_user_model().objects.filter(pk__in=told).exclude(email="").values_list("pk", flat=True))
    chosen = {
        (user_id, kind): email
        for user_id, kind, email in NotificationPreference.objects.filter(user_id__in=told).values_list(
            "user_id", "kind", "email"
        )
    }
    # A sync's event about a page of models tells each person once per model with versions waiting.
    about = list(pending_created(event)) if event.action == "pai.created" and not event.model_id else [""]
    rows = []
    for user_id, kind in sorted(told.items()):
        choice = chosen.get((user_id, kind), DEFAULT_EMAIL[kind])
        state = STATE_OF_CHOICE[choice] if user_id in with_address else EmailState.NONE
        rows += [
            Notification(user_id=user_id, event=event, kind=kind, model_id=model_id, email_state=state)
            for model_id in about
        ]
    Notification.objects.bulk_create(rows)
    if any(row.email_state == EmailState.PENDING for row in rows):
        _enqueue_emails()
    return rows


def notification_mark_read(*, user: Any, notification_id: int) -> Notification:
    """Mark one of the person's own notifications read (another's does not exist for them)."""
    notification = Notification.objects.filter(pk=notification_id, user=user).select_related("event").first()
    if notification is None:
        raise ApplicationError(_("You have no such notification."), field="notification")
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
    return notification


def notifications_mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def preferences_save(*, user: Any, email: dict[str, str], language: str) -> None:
    """Save a person's e-mail choice per kind and their language for what is sent to them."""
    unknown = sorted(str(kind) for kind in set(email) - set(NotificationKind.values))
    if unknown:
        raise ApplicationError(
            _("Unknown kinds of event: %(kinds)s.") % {"kinds": ", ".join(unknown)[:200]}, field="email"
        )
    bad = [kind for kind, choice in email.items() if choice not in EmailChoice.values]
    if bad:
        raise ApplicationError(
            _("Choose at once, daily digest or off for each kind of event."), field=f"email_{bad[0]}"
        )
    if language not in ("", *(code for code, _name in settings.LANGUAGES)):
        raise ApplicationError(_("Choose one of the languages offered, or none."), field="language")
    with transaction.atomic():
        for kind, choice in email.items():
            NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"email": choice})
        PersonSettings.objects.update_or_create(user=user, defaults={"language": language})


def remember_language(*, user: Any, language: str) -> None:
    """The language a person last used (at sign-in): what is sent to them when they chose none."""
    if not language or user.pk is None:
        return
    PersonSettings.objects.update_or_create(user=user, defaults={"last_language": language})


@receiver(user_logged_in)
def remember_sign_in_language(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    remember_language(user=user, language=getattr(request, "LANGUAGE_CODE", "") if request is not None else "")
