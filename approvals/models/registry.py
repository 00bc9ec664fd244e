"""What the dashboard knows of PAI: workspaces, models and versions, with the push state."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext

from approvals.fields import APPROVAL_STATUSES, SOURCE_TYPES, WRITABLE_ATTRS
from approvals.pai.endpoints import endpoint_allowed

# PAI's values (approvals/fields.py), as choices; a member per value, e.g. ApprovalStatus.PENDING.
ApprovalStatus = models.TextChoices("ApprovalStatus", [(v.upper(), (v, v)) for v in APPROVAL_STATUSES])


SourceType = models.TextChoices("SourceType", [(v.upper(), (v, v)) for v in SOURCE_TYPES])


class SyncState(models.TextChoices):
    NEVER = "never", "never synced"
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"


# A sync that started longer ago than this is presumed dead (killed worker) and may be replaced.
SYNC_STALE_AFTER = timedelta(minutes=15)


class PushState(models.TextChoices):
    DONE = "done"  # PAI holds every accepted change (pushed_revision == revision)
    QUEUED = "queued"
    PUSHING = "pushing"
    RETRYING = "retrying"
    FAILED = "failed"
    CONFLICT = "conflict"


def endpoint_refusal(endpoint: str) -> str | None:
    """Why signed requests may not go to `endpoint` (a message for a person), or None."""
    if endpoint_allowed(endpoint, settings.PAI_ALLOWED_ENDPOINTS):
        return None
    return gettext(
        "Use HTTPS on an Alibaba Cloud PAI host, e.g. https://aiworkspace.cn-hangzhou.aliyuncs.com; "
        "any other address must be listed in the PAI_ALLOWED_ENDPOINTS setting."
    )


class Workspace(models.Model):
    name = models.CharField(max_length=200)
    workspace_id = models.CharField("PAI workspace id", max_length=64, unique=True)
    region = models.CharField(max_length=64, default="cn-hangzhou")
    endpoint = models.CharField(
        max_length=255,
        blank=True,
        help_text="HTTPS on a PAI host, e.g. https://aiworkspace.cn-hangzhou.aliyuncs.com. "
        "Leave empty to use the PAI_ENDPOINT setting.",
    )
    sync_state = models.CharField(max_length=16, choices=SyncState.choices, default=SyncState.NEVER)
    sync_started_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    sync_error = models.TextField(blank=True)
    sync_progress = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.workspace_id})"

    def clean(self) -> None:
        super().clean()
        # Admin shows this at the field; approvals.pai_clients refuses such an endpoint too.
        problem = endpoint_refusal(self.endpoint) if self.endpoint else None
        if problem:
            raise ValidationError({"endpoint": problem})


class RegisteredModel(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="models")
    model_id = models.CharField("ModelId", max_length=128, unique=True)
    name = models.CharField("ModelName", max_length=255, db_index=True)
    description = models.TextField("ModelDescription", blank=True)
    domain = models.CharField(max_length=64, blank=True)
    task = models.CharField(max_length=128, blank=True)
    model_type = models.CharField(max_length=64, blank=True)
    origin = models.CharField(max_length=64, blank=True)
    provider = models.CharField(max_length=128, blank=True)
    accessibility = models.CharField(max_length=16, blank=True)
    labels = models.JSONField(default=list, blank=True)
    extra_info = models.JSONField(default=dict, blank=True)
    gmt_create_time = models.DateTimeField(null=True, blank=True)
    gmt_modified_time = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    # When a sync last listed this model's versions: every version PAI still lists was seen then.
    # Kept here, not on each version, so a sync that changes nothing writes no version row.
    versions_seen_at = models.DateTimeField(null=True, blank=True)
    gone = models.BooleanField(default=False, help_text="PAI no longer lists it.")

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["workspace", "name"])]

    def __str__(self) -> str:
        return self.name


class ReviewState(models.TextChoices):
    """The dashboard's own review state of a Pending version; PAI knows nothing of it."""

    READY = "ready", "ready for review"
    CHANGES_REQUESTED = "changes_requested", "changes requested"


class ModelVersion(models.Model):
    """One PAI model version: PAI's fields as last known, plus the push state.

    `revision` counts accepted local changes; `pushed_revision` is the newest
    revision PAI is known to hold. The gap is what the push pipeline owes PAI.
    """

    # The foreign keys' own indexes would repeat the first column of wider ones below
    # (unique_version_per_model, version_ws_status_idx, version_assignee_idx): every index is
    # written by each insert of a first sync, so these are left out.
    model = models.ForeignKey(RegisteredModel, on_delete=models.PROTECT, related_name="versions", db_index=False)
    # Denormalized so the list's workspace filter and the queue use one index.
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="versions", db_index=False)
    version_name = models.CharField("VersionName", max_length=64)
    version_description = models.TextField("Version description", blank=True)
    approval_status = models.CharField(
        "Approval status", max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    metrics = models.JSONField("Metrics", default=dict, blank=True)
    training_spec = models.JSONField("Training spec", default=dict, blank=True)
    inference_spec = models.JSONField("Inference spec", default=dict, blank=True)
    evaluation_spec = models.JSONField("Evaluation spec", default=dict, blank=True)
    compression_spec = models.JSONField("Compression spec", default=dict, blank=True)
    distillation_spec = models.JSONField("Distillation spec", default=dict, blank=True)
    extra_info = models.JSONField("Extra info", default=dict, blank=True)
    options = models.TextField("Options", blank=True)
    source_type = models.CharField("Source type", max_length=32, choices=SourceType.choices, default=SourceType.CUSTOM)
    source_id = models.CharField("Source ID", max_length=512, blank=True)
    uri = models.CharField("Uri", max_length=1024, blank=True)
    format_type = models.CharField("Format type", max_length=32, blank=True)
    framework_type = models.CharField("Framework type", max_length=32, blank=True)
    labels = models.JSONField(default=list, blank=True)
    owner_id = models.CharField(max_length=64, blank=True)
    user_id = models.CharField(max_length=64, blank=True)
    gmt_create_time = models.DateTimeField(null=True, blank=True)
    gmt_modified_time = models.DateTimeField("PAI GmtModifiedTime", null=True, blank=True)
    # What the last sync read of it, as PAI sent it: GmtModifiedTime and, when there are any, the
    # Labels (sync/mapping.pai_stamp). A re-sync compares these strings and skips an equal one.
    pai_stamp = models.TextField(blank=True, default="", editable=False)
    # When a sync last listed it, stored only as it goes gone; while PAI lists it, its model's
    # versions_seen_at says. Read `synced_at`, which picks the right one.
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # When a sync first saw the version (None: before the dashboard kept it).
    first_seen_at = models.DateTimeField(null=True, blank=True)
    gone = models.BooleanField(default=False, help_text="PAI no longer lists it.")

    # The push pipeline (docs/architecture.md, invariants 1 to 4).
    revision = models.PositiveIntegerField(default=0)
    pushed_revision = models.PositiveIntegerField(default=0)
    revision_changed_at = models.DateTimeField(null=True, blank=True)
    push_state = models.CharField(max_length=16, choices=PushState.choices, default=PushState.DONE)
    push_error = models.TextField(blank=True)
    push_attempts = models.PositiveIntegerField(default=0)
    last_request_id = models.CharField(max_length=64, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # In `conflict`: {field: {"base": ..., "theirs": ..., "yours": ...}} for the page to show.
    conflict = models.JSONField(default=dict, blank=True)

    # The review (services/reviews.py): changes requested, who reviews it, and since when it waits.
    review_state = models.CharField(max_length=24, choices=ReviewState.choices, default=ReviewState.READY)
    review_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    review_reason = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True, db_index=False
    )
    # When the dashboard first saw it Pending; its due time is this plus the workspace's review time.
    pending_since = models.DateTimeField(null=True, blank=True)
    overdue_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-gmt_create_time", "-id"]
        constraints = [models.UniqueConstraint(fields=["model", "version_name"], name="unique_version_per_model")]
        indexes = [
            models.Index(fields=["approval_status", "gmt_create_time"], name="version_queue_idx"),
            models.Index(fields=["workspace", "approval_status", "gmt_create_time"], name="version_ws_status_idx"),
            # A model's versions newest first (its page, its charts, the versions list filtered by
            # model, the previous version): the index gives them in order, whatever the table holds.
            models.Index(fields=["model", "gmt_create_time", "id"], name="version_model_order_idx"),
            # The review queue walks Pending versions in age order and stops after a page
            # (selectors/queue.py); overdue ones are found by when they became Pending; whether
            # a newer version of the model was approved is one probe per row.
            models.Index(fields=["approval_status", "gone", "gmt_create_time", "id"], name="version_queue_order_idx"),
            models.Index(fields=["approval_status", "gone", "pending_since"], name="version_pending_since_idx"),
            models.Index(fields=["model", "approval_status", "gmt_create_time"], name="version_model_status_idx"),
            models.Index(fields=["gmt_create_time", "id"], name="version_created_idx"),
            models.Index(fields=["gmt_modified_time", "id"], name="version_modified_idx"),
            models.Index(fields=["source_type"], name="version_source_idx"),
            models.Index(fields=["framework_type"], name="version_framework_idx"),
            models.Index(fields=["format_type"], name="version_format_idx"),
            models.Index(fields=["push_state"], name="version_push_state_idx"),
            models.Index(fields=["assignee", "approval_status"], name="version_assignee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.model.name} {self.version_name}"

    @property
    def synced_at(self) -> datetime | None:
        """When a sync last saw the version in PAI's listing (needs the model; load it with the row)."""
        if self.gone:
            return self.last_seen_at
        return self.model.versions_seen_at or self.last_seen_at

    def pai_values(self) -> dict[str, object]:
        """The fields the dashboard writes to PAI (UpdateModelVersion's and Labels), as PAI names them."""
        return {name: getattr(self, attr) for name, attr in WRITABLE_ATTRS.items()}

    @property
    def has_unpushed_changes(self) -> bool:
        return self.revision > self.pushed_revision
