"""What people and PAI did to versions: accepted changes, approvals, and the append-only audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from approvals.models.registry import ModelVersion


class AuditEventQuerySet(models.QuerySet):
    """The audit log is append-only: bulk updates and deletes are refused too."""

    def update(self, **kwargs):
        raise PermissionError("Audit events cannot be changed.")

    def delete(self):
        raise PermissionError("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit log (see approvals/services/audit.py).

    It names what it concerns by PAI's identifiers, not foreign keys, so the log
    stands on its own and nothing that happens to other tables can alter it.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=150, db_index=True, help_text="A username, or PAI, or system.")
    action = models.CharField(max_length=64, db_index=True)
    workspace_id = models.CharField(max_length=64, blank=True, db_index=True)
    model_id = models.CharField(max_length=128, blank=True, db_index=True)
    model_name = models.CharField(max_length=255, blank=True)
    version_name = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # The HMAC key the hash was made with; "" for events from before the chain was keyed.
    key_id = models.CharField(max_length=32, blank=True, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["model_id", "version_name", "seq"], name="audit_version_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events cannot be deleted.")


class ChangeKind(models.TextChoices):
    EDIT = "edit"
    DECISION = "decision"
    RESOLUTION = "resolution", "conflict resolution"
    PAI = "pai", "change made in PAI"  # found by a sync; PAI already holds it
    WITHDRAWAL = "withdrawal", "decision withdrawn"  # PAI's content differed from what was approved


class Change(models.Model):
    """One accepted change of a version: what it changed from what, and whether PAI has it.

    Every change of content bumps the version's revision, so a page, a decision and
    an approval can say exactly which content they saw (docs/architecture.md, invariant 8).
    """

    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="changes")
    revision = models.PositiveIntegerField(help_text="The version's revision once this change was accepted.")
    kind = models.CharField(max_length=16, choices=ChangeKind.choices)
    # None for what PAI or the system did.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    authored = models.BooleanField(
        default=False,
        help_text="The author put content of their own into the version (an edit, or a resolution that applied "
        "their value): separation of duties keeps them from approving it.",
    )
    fields = models.JSONField(help_text="{PAI field: [base, new]}")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    push_request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-revision"]
        constraints = [models.UniqueConstraint(fields=["version", "revision"], name="unique_change_revision")]

    def __str__(self) -> str:
        return f"{self.version} r{self.revision} {self.kind}"


class Approval(models.Model):
    """An approver's agreement with one revision of a version, kept while more approvers are awaited.

    Any later change of the content dismisses it (visibly, with an audit event):
    an approval covers exactly the revision its approver saw.
    """

    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="approvals")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField(default=0, help_text="The revision the approver approved.")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "approver"],
                condition=models.Q(dismissed_at__isnull=True),
                name="one_live_approval_per_approver",
            )
        ]

    def __str__(self) -> str:
        return f"{self.approver} approves {self.version} r{self.revision}"
