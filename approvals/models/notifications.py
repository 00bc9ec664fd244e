"""What each person is told: inbox rows (one per person and audit event), their e-mail choices, their language."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from approvals.models.history import AuditEvent


class NotificationKind(models.TextChoices):
    """What a person is told about; each person chooses per kind how (and whether) e-mail tells them."""

    NEW_PENDING = "new_pending", "a new version waits for review"
    ASSIGNED = "assigned", "assigned to you"
    MENTIONED = "mentioned", "you are mentioned"
    COMMENT = "comment", "a comment"
    CHANGES_REQUESTED = "changes_requested", "changes requested"
    READY = "ready", "ready for review again"
    APPROVED = "approved", "approved"
    REJECTED = "rejected", "rejected"
    APPROVALS_DISMISSED = "approvals_dismissed", "approvals dismissed"
    PUSH_FAILED = "push_failed", "push failed"
    PUSH_CONFLICT = "push_conflict", "push conflict"
    OVERDUE = "overdue", "review overdue"
    SYNC_FAILED = "sync_failed", "a sync failed"


class EmailChoice(models.TextChoices):
    IMMEDIATE = "immediate", "at once"
    DIGEST = "digest", "in a daily digest"
    OFF = "off", "no e-mail"


class EmailState(models.TextChoices):
    NONE = "none", "no e-mail"  # the person chose off, or has no address
    PENDING = "pending", "to send now"
    DIGEST = "digest", "for the next digest"
    SENDING = "sending"
    SENDING_DIGEST = "sending_digest", "sending in a digest"
    SENT = "sent"
    FAILED = "failed"


class Notification(models.Model):
    """One person told of one audit event: the inbox row, and whether e-mail told them yet."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    # No database constraint (as the outbox's): a foreign key into the audit log would make PostgreSQL
    # answer TRUNCATE with its own error before the audit table's trigger refuses it.
    event = models.ForeignKey(AuditEvent, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    # The model it is about when the event is a sync's about a page of models (one notification per
    # model); "" when the event names its model itself, or none.
    model_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(max_length=16, choices=EmailState.choices, default=EmailState.NONE)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event", "model_id"], name="one_notification_per_event_model")
        ]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["email_state", "created_at"], name="notification_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id} (event #{self.event_id})"


class NotificationPreference(models.Model):
    """How e-mail tells one person of one kind of event; no row: the kind's default."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    email = models.CharField(max_length=16, choices=EmailChoice.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.email}"


class PersonSettings(models.Model):
    """A person's language for what is sent to them: chosen, or the one they last signed in with."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person_settings")
    language = models.CharField(max_length=16, blank=True, help_text="Empty: the language last used.")
    last_language = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name_plural = "person settings"

    def __str__(self) -> str:
        return f"settings of {self.user_id}"

    @property
    def mail_language(self) -> str:
        return self.language or self.last_language or settings.LANGUAGE_CODE
