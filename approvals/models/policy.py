"""The approval rules each workspace sets: how many approvers, separation of duties, reasons,
what stays editable once decided, and the metric gates an approval must pass."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from approvals.models.registry import ModelVersion, Workspace

DEFAULT_EDITABLE_AFTER_DECISION = ["VersionDescription"]


def default_editable_after_decision() -> list[str]:
    return list(DEFAULT_EDITABLE_AFTER_DECISION)


class WorkspacePolicy(models.Model):
    """A workspace's approval rules. A workspace without a row follows the settings' defaults."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="policy")
    required_approvers = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text="Distinct approvers of the same revision before the decision goes to PAI (1 to 3). "
        "Empty: the APPROVALS_REQUIRED_APPROVERS setting.",
    )
    separation_of_duties = models.BooleanField(
        default=True, help_text="Nobody approves content they changed (edits, and resolutions that applied theirs)."
    )
    reason_required_on_approval = models.BooleanField(
        default=False, help_text="An approval needs a reason too, not only a rejection."
    )
    editable_after_decision = models.JSONField(
        default=default_editable_after_decision,
        blank=True,
        help_text="PAI's names of the fields that stay editable once a version is decided; the specs that "
        "decide what is deployed are frozen by default.",
    )
    protected_label_keys = models.JSONField(
        default=list,
        blank=True,
        help_text="Label keys (e.g. stage) that only approvers of the workspace may set, change or remove.",
    )
    review_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 90)],
        help_text="Hours a Pending version may wait for review from when the dashboard first saw it (1 to 2160). "
        "Empty: the APPROVALS_REVIEW_HOURS setting.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "workspace policies"

    def __str__(self) -> str:
        return f"policy of {self.workspace.workspace_id}"


class MetricGate(models.Model):
    """An approval is refused while the version's metric is worse than the model's latest Approved
    version's by more than `max_regression` (a version without the metric fails; no baseline passes)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="gates")
    metric = models.CharField(max_length=128)
    dataset = models.CharField(
        max_length=256, blank=True, help_text="The dataset (DatasetId or name) the metric is for; empty: any one."
    )
    higher_is_better = models.BooleanField(default=True)
    max_regression = models.FloatField(
        default=0.0, help_text="The largest worsening allowed against the baseline, in the metric's own units."
    )

    class Meta:
        ordering = ["workspace_id", "metric", "dataset"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "metric", "dataset"], name="one_gate_per_metric"),
            models.CheckConstraint(condition=models.Q(max_regression__gte=0), name="gate_regression_not_negative"),
        ]

    def __str__(self) -> str:
        direction = "higher" if self.higher_is_better else "lower"
        where = f" on {self.dataset}" if self.dataset else ""
        return f"{self.metric}{where} ({direction} is better, regression at most {self.max_regression:g})"


class GateWaiver(models.Model):
    """Staff let one version pass one gate, with a reason (audited)."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="gate_waivers")
    gate = models.ForeignKey(MetricGate, on_delete=models.CASCADE, related_name="waivers")
    waived_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "gate"], name="one_waiver_per_gate")]

    def __str__(self) -> str:
        return f"{self.gate} waived for {self.version}"
