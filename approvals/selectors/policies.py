"""A workspace's approval rules in force, and how a version fares against its metric gates."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings

from approvals.display.gates import GateResult, evaluate_all
from approvals.models import GateWaiver, MetricGate, ModelVersion, Workspace, WorkspacePolicy
from approvals.models.policy import DEFAULT_EDITABLE_AFTER_DECISION
from approvals.permissions import EVERYTHING
from approvals.selectors.versions import latest_approved_version


@dataclass(frozen=True)
class Policy:
    """The rules in force for one workspace: its WorkspacePolicy over the settings' defaults."""

    required_approvers: int
    separation_of_duties: bool
    reason_required_on_approval: bool
    editable_after_decision: tuple[str, ...]
    protected_label_keys: tuple[str, ...] = ()
    gates: tuple[MetricGate, ...] = field(default=(), compare=False)

    def summary(self) -> dict[str, object]:
        """What an audit event records of the policy a decision was made under."""
        data = asdict(self)
        data["editable_after_decision"] = list(self.editable_after_decision)
        data["protected_label_keys"] = list(self.protected_label_keys)
        data["gates"] = [str(gate) for gate in self.gates]
        return data


def policy_row(workspace: Workspace) -> WorkspacePolicy | None:
    """The workspace's policy row, or None: no query when it was read with the workspace
    (select_related("workspace__policy"))."""
    relation = Workspace.policy.related
    if relation.is_cached(workspace):
        return relation.get_cached_value(workspace)
    return WorkspacePolicy.objects.filter(workspace=workspace).first()


def policy_of(workspace: Workspace) -> Policy:
    """Two queries: the policy row (if any) and the gates; one when the row came with the workspace."""
    row = policy_row(workspace)
    gates = tuple(MetricGate.objects.filter(workspace=workspace).order_by("metric", "dataset", "pk"))
    if row is None:
        return Policy(
            required_approvers=settings.APPROVALS_REQUIRED_APPROVERS,
            separation_of_duties=settings.APPROVALS_SEPARATION_OF_DUTIES,
            reason_required_on_approval=False,
            editable_after_decision=tuple(DEFAULT_EDITABLE_AFTER_DECISION),
            gates=gates,
        )
    return Policy(
        required_approvers=row.required_approvers or settings.APPROVALS_REQUIRED_APPROVERS,
        separation_of_duties=row.separation_of_duties,
        reason_required_on_approval=row.reason_required_on_approval,
        editable_after_decision=tuple(row.editable_after_decision or ()),
        protected_label_keys=tuple(row.protected_label_keys or ()),
        gates=gates,
    )


def gate_baseline(version: ModelVersion) -> ModelVersion | None:
    """The model's latest Approved version other than this one: what a gate compares against."""
    # The version's own model, so its workspace: whoever reads the version reads the baseline.
    return latest_approved_version(version, scope=EVERYTHING)


def gate_results(
    version: ModelVersion, policy: Policy, *, baseline: ModelVersion | bool | None = False
) -> list[GateResult]:
    """Each of the policy's gates for the version: both values and pass or fail (waivers count).

    `baseline`: the gate_baseline the caller already read (False: read it here).
    """
    if not policy.gates:
        return []
    if baseline is False:
        baseline = gate_baseline(version)
    waivers = GateWaiver.objects.filter(version=version).select_related("waived_by")
    return evaluate_all(policy.gates, version.metrics, baseline.metrics if baseline else None, waivers)


def policy_values(workspace: Workspace) -> dict[str, Any]:
    """The workspace's stored rules as the API and the audit log state them (two queries).

    `required_approvers` is None where the setting decides; no policy row reads as the defaults.
    """
    row = WorkspacePolicy.objects.filter(workspace=workspace).first()
    gates = MetricGate.objects.filter(workspace=workspace).order_by("metric", "dataset", "pk")
    return {
        "required_approvers": row.required_approvers if row else None,
        "separation_of_duties": row.separation_of_duties if row else settings.APPROVALS_SEPARATION_OF_DUTIES,
        "reason_required_on_approval": row.reason_required_on_approval if row else False,
        "review_hours": row.review_hours if row else None,
        "editable_after_decision": list(row.editable_after_decision or ())
        if row
        else list(DEFAULT_EDITABLE_AFTER_DECISION),
        "protected_label_keys": list(row.protected_label_keys or ()) if row else [],
        "gates": [
            {
                "metric": gate.metric,
                "dataset": gate.dataset,
                "higher_is_better": gate.higher_is_better,
                "max_regression": gate.max_regression,
            }
            for gate in gates
        ],
    }
