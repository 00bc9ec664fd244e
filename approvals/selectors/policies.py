"""A workspace's approval rules in force, and how a version fares against its metric gates."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F, FilteredRelation, Q

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


def policy_of(workspace: Workspace, *, waivers_of: ModelVersion | None = None) -> Policy:
    """Two queries: the policy row (if any) and the gates; one when the row came with the workspace.

    `waivers_of`: each gate comes with that version's waiver of it, or None, as `gate.version_waiver`
    (in the gates' query: a LEFT JOIN)."""
    row = policy_row(workspace)
    query = MetricGate.objects.filter(workspace=workspace).order_by("metric", "dataset", "pk")
    gates = tuple(query if waivers_of is None else gates_with_waivers(query, waivers_of))
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


_WAIVER = "waiver_"
_WAIVED_BY = "waiver_by_"


def gates_with_waivers(gates: Any, version: ModelVersion) -> list[MetricGate]:
    """The gates, each with the version's waiver of it and who waived it (`gate.version_waiver`, or
    None), in the gates' one query. A waiver is one per gate and version, so the join adds no rows."""
    user_model = get_user_model()
    waiver_fields = [f.attname for f in GateWaiver._meta.concrete_fields]
    user_fields = [f.attname for f in user_model._meta.concrete_fields]
    joined = gates.annotate(version_waiver_row=FilteredRelation("waivers", condition=Q(waivers__version=version)))
    joined = joined.annotate(
        **{_WAIVER + name: F(f"version_waiver_row__{name}") for name in waiver_fields},
        **{_WAIVED_BY + name: F(f"version_waiver_row__waived_by__{name}") for name in user_fields},
    )
    found = list(joined)
    for gate in found:
        waiver = None
        if getattr(gate, _WAIVER + "id") is not None:
            db = gate._state.db
            waiver = GateWaiver.from_db(db, waiver_fields, [getattr(gate, _WAIVER + n) for n in waiver_fields])
            waiver.gate = gate
            waiver.waived_by = user_model.from_db(db, user_fields, [getattr(gate, _WAIVED_BY + n) for n in user_fields])
        gate.version_waiver = waiver
    return found


def gate_baseline(version: ModelVersion) -> ModelVersion | None:
    """The model's latest Approved version other than this one: what a gate compares against."""
    # The version's own model, so its workspace: whoever reads the version reads the baseline.
    return latest_approved_version(version, scope=EVERYTHING)


def gate_results(
    version: ModelVersion, policy: Policy, *, baseline: ModelVersion | bool | None = False, waivers_read: bool = False
) -> list[GateResult]:
    """Each of the policy's gates for the version: both values and pass or fail (waivers count).

    `baseline`: the gate_baseline the caller already read (False: read it here).
    `waivers_read`: the policy's gates came with this version's waivers (policy_of(waivers_of=version)).
    """
    if not policy.gates:
        return []
    if baseline is False:
        baseline = gate_baseline(version)
    if waivers_read:
        waivers: Any = [g.version_waiver for g in policy.gates if g.version_waiver is not None]
    else:
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
