"""The policy's bodies (GET and PUT /api/workspaces/<WorkspaceId>/policy), for the schema.

The policy is the dashboard's own, so its names are snake_case; the fields named in
`editable_after_decision` are PAI's. The rules are checked by services.policies,
which names the field at fault (`gates.0.max_regression`).
"""

from __future__ import annotations

from rest_framework import serializers

from approvals.fields import EDITABLE_NAMES


class MetricGateInput(serializers.Serializer):
    metric = serializers.CharField(min_length=1, max_length=128, help_text="The metric's name in Metrics.")
    dataset = serializers.CharField(
        max_length=256,
        required=False,
        allow_blank=True,
        default="",
        help_text="The DatasetId (or name) the metric is for; empty or left out: the first dataset that has it.",
    )
    higher_is_better = serializers.BooleanField(required=False, default=True)
    max_regression = serializers.FloatField(
        min_value=0,
        required=False,
        default=0.0,
        help_text="The largest worsening allowed against the model's latest Approved version, in the metric's "
        "units; a finite number, at least 0.",
    )


class PolicyInput(serializers.Serializer):
    """The whole policy: every rule, and the gates (they replace the current ones)."""

    required_approvers = serializers.IntegerField(
        min_value=1,
        max_value=3,
        allow_null=True,
        help_text="Distinct approvers of the same revision before the decision goes to PAI; null: the "
        "installation's APPROVALS_REQUIRED_APPROVERS.",
    )
    separation_of_duties = serializers.BooleanField(help_text="Nobody approves content they changed.")
    reason_required_on_approval = serializers.BooleanField(help_text="An approval needs a reason too.")
    review_hours = serializers.IntegerField(
        min_value=1,
        max_value=24 * 90,
        allow_null=True,
        required=False,
        help_text="Hours a Pending version may wait for review from when the dashboard first saw it; null: the "
        "installation's APPROVALS_REVIEW_HOURS; left out: unchanged.",
    )
    editable_after_decision = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EDITABLE_NAMES)),
        help_text="PAI's names of the fields that stay editable once a version is decided.",
    )
    protected_label_keys = serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=128),
        required=False,
        help_text="Label keys (e.g. stage) that only the workspace's approvers may set, change or remove; "
        "left out: kept as they are.",
    )
    gates = MetricGateInput(
        many=True,
        help_text="Approve is refused while one fails. A gate kept (same metric and dataset) keeps its waivers.",
    )


class MetricGateOutput(serializers.Serializer):
    metric = serializers.CharField()
    dataset = serializers.CharField()
    higher_is_better = serializers.BooleanField()
    max_regression = serializers.FloatField()


class PolicyOutput(serializers.Serializer):
    WorkspaceId = serializers.CharField(help_text="Read only; ignored when sent back.")
    required_approvers = serializers.IntegerField(allow_null=True, help_text="null: the installation's default.")
    required_approvers_in_force = serializers.IntegerField(
        help_text="What applies now (required_approvers or the default). Read only; ignored when sent back."
    )
    separation_of_duties = serializers.BooleanField()
    reason_required_on_approval = serializers.BooleanField()
    review_hours = serializers.IntegerField(allow_null=True, help_text="null: the installation's default.")
    review_hours_in_force = serializers.IntegerField(help_text="What applies now. Read only; ignored when sent back.")
    editable_after_decision = serializers.ListField(child=serializers.CharField())
    protected_label_keys = serializers.ListField(child=serializers.CharField())
    gates = MetricGateOutput(many=True)
