"""What leaves the dashboard: workspace channels, audit stream sinks, the outbox and every attempt.

An outbox row is written in the same transaction as the audit event that causes it
(approvals/services/outbox.py), so nothing is lost; a Celery task delivers it after
commit, one delivery in flight per destination (docs/architecture.md, invariant 10).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from approvals.models.history import AuditEvent
from approvals.models.registry import Workspace


class EventKind(models.TextChoices):
    """What a channel can ask to be told about (approvals/services/notification_kinds.py maps audit actions)."""

    VERSION_PENDING = "version.pending", _("a new version waits for review")
    ASSIGNED = "assigned", _("a version was assigned")
    MENTIONED = "mentioned", _("someone was mentioned")
    COMMENT = "comment", _("a comment")
    CHANGES_REQUESTED = "changes_requested", _("changes were requested")
    READY = "ready", _("a version is ready for review again")
    APPROVED = "approved", _("a version was approved")
    REJECTED = "rejected", _("a version was rejected")
    APPROVALS_DISMISSED = "approvals_dismissed", _("approvals were dismissed")
    PUSH_FAILED = "push_failed", _("a push to PAI failed")
    PUSH_CONFLICT = "push_conflict", _("a push found a conflict")
    SYNC_FAILED = "sync_failed", _("a sync failed")
    REVIEW_OVERDUE = "review_overdue", _("a review is overdue")
    TEST = "test", _("a test message")


class ChannelType(models.TextChoices):
    WEBHOOK = "webhook", _("HTTPS webhook (Standard Webhooks)")
    DINGTALK = "dingtalk", _("DingTalk custom robot")
    WECOM = "wecom", _("WeCom group robot")
    LARK = "lark", _("Lark / Feishu custom bot")


class DeliveryState(models.Model):
    """One destination's delivery: a lease (one delivery in flight), its backoff and its failing streak."""

    lease_owner = models.CharField(max_length=64, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)

    class Meta:
        abstract = True


class NotificationChannel(DeliveryState):
    """A workspace's chat robot or webhook, configured by staff; its URL and secret are stored encrypted."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    name = models.CharField(_("name"), max_length=100)
    channel_type = models.CharField(_("type"), max_length=16, choices=ChannelType.choices)
    # Fernet tokens (approvals/services/secret_box.py): a database dump alone reveals neither.
    url_ciphertext = models.TextField(editable=False)
    secret_ciphertext = models.TextField(blank=True, editable=False)
    # What pages may show: the URL with its tokens masked.
    url_shown = models.CharField(_("URL"), max_length=300, editable=False)
    events = models.JSONField(_("events"), default=list, help_text=_("The kinds of event this channel is told."))
    language = models.CharField(
        _("language"), max_length=8, choices=[("en", "English"), ("zh-hans", "简体中文")], default="en"
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True, editable=False)
    paused_reason = models.TextField(_("paused because"), blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="unique_channel_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_channel_type_display()}, {self.workspace.workspace_id})"


class AuditStreamSink(DeliveryState):
    """The delivery state of one configured audit stream sink (AUDIT_STREAM_URL, AUDIT_SYSLOG_ADDRESS)."""

    name = models.CharField(max_length=16, unique=True)

    def __str__(self) -> str:
        return f"audit stream {self.name}"


class OutboxState(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"


class OutboxMessage(models.Model):
    """One message owed to one destination (a channel, or an audit stream sink by name).

    Its id is the message id receivers deduplicate by ("msg_<id>"); rows gathered into
    one digest share `digest_id` (the id of the first of them), kept across retries so a
    digest resent is the same message.
    """

    # No database constraint: nothing may reference the append-only log (its triggers alone guard it).
    event = models.ForeignKey(AuditEvent, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    seq = models.PositiveBigIntegerField(help_text="The audit event's seq: the stream's order.")
    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    sink = models.CharField(max_length=16, blank=True)
    kind = models.CharField(max_length=32)
    details = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=16, choices=OutboxState.choices, default=OutboxState.PENDING)
    digest_id = models.PositiveBigIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["channel", "state", "id"], name="outbox_channel_idx"),
            models.Index(fields=["sink", "state", "seq"], name="outbox_sink_idx"),
        ]

    def __str__(self) -> str:
        return f"msg_{self.pk} {self.kind} {self.state}"

    @property
    def message_id(self) -> str:
        return f"msg_{self.pk}"


class DeliveryAttempt(models.Model):
    """Every attempt to deliver, successful or not: when, the answer, the (redacted) error, how long."""

    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, null=True, blank=True, related_name="attempts"
    )
    sink = models.CharField(max_length=16, blank=True)
    message_id = models.CharField(max_length=40, help_text="msg_<id> of the message, or of the digest's first.")
    messages = models.PositiveIntegerField(default=1, help_text="How many outbox rows it carried.")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    ok = models.BooleanField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    retry_in = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds until the next attempt.")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.message_id} {'ok' if self.ok else 'failed'} {self.status_code or ''}"
