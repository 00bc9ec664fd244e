"""Django admin for workspace policies and metric gates: every save goes through
services.policies.policy_update (checked, audited); waivers are read-only here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .errors import ApplicationError
from .fields import EDITABLE_NAMES
from .models import GateWaiver, MetricGate, WorkspacePolicy
from .selectors.policies import policy_values
from .services.policies import ALL_RULES, GATE_KEYS, policy_check, policy_update
from .web.security import client_ip


def _checked(form: forms.ModelForm, values: dict[str, Any]) -> None:
    """The service's own checks, shown at the form's field (the service names gates' fields "gates.0.metric")."""
    try:
        policy_check(values)
    except ApplicationError as exc:
        field = (exc.field or "").rsplit(".", 1)[-1]
        form.add_error(field if field in form.fields else None, exc.message)


class WorkspacePolicyForm(forms.ModelForm):
    editable_after_decision = forms.MultipleChoiceField(
        choices=[(name, name) for name in EDITABLE_NAMES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="PAI's fields that stay editable once a version is decided.",
    )
    protected_label_keys = forms.CharField(
        required=False,
        help_text="Label keys only the workspace's approvers may set, change or remove, separated by commas "
        "(e.g. stage, release).",
    )

    class Meta:
        model = WorkspacePolicy
        fields = ("workspace", *ALL_RULES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["protected_label_keys"] = ", ".join(self.instance.protected_label_keys or ())

    def clean_protected_label_keys(self) -> list[str]:
        # A comma can never be in a label key, so it separates them.
        return [key.strip() for key in self.cleaned_data["protected_label_keys"].split(",") if key.strip()]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _checked(self, {name: data[name] for name in ALL_RULES if name in data})
        return data


@admin.register(WorkspacePolicy)
class WorkspacePolicyAdmin(admin.ModelAdmin):
    form = WorkspacePolicyForm
    list_display = (
        "workspace",
        "required_approvers",
        "separation_of_duties",
        "reason_required_on_approval",
        "review_hours",
    )
    list_select_related = ("workspace",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("workspace", "updated_at") if obj else ()

    def save_model(self, request: HttpRequest, obj: WorkspacePolicy, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in ALL_RULES}
        row = policy_update(workspace=obj.workspace, user=request.user, values=values, client_ip=client_ip(request))
        obj.pk = row.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Back to the defaults is a change of the rules, made (and audited) by saving them.
        return False


class MetricGateForm(forms.ModelForm):
    class Meta:
        model = MetricGate
        fields = ("workspace", *GATE_KEYS)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if all(name in data for name in GATE_KEYS):
            _checked(self, {"gates": [{name: data[name] for name in GATE_KEYS}]})
        return data


def _gate_values(gate: MetricGate) -> dict[str, Any]:
    return {name: getattr(gate, name) for name in GATE_KEYS}


def _without(gates: list[dict[str, Any]], removed: Iterable[MetricGate]) -> list[dict[str, Any]]:
    keys = {(g.metric, g.dataset) for g in removed}
    return [g for g in gates if (g["metric"], g["dataset"]) not in keys]


@admin.register(MetricGate)
class MetricGateAdmin(admin.ModelAdmin):
    form = MetricGateForm
    list_display = ("workspace", "metric", "dataset", "higher_is_better", "max_regression")
    list_filter = ("workspace",)
    list_select_related = ("workspace",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("workspace",) if obj else ()

    def save_model(self, request: HttpRequest, obj: MetricGate, form: Any, change: bool) -> None:
        gates = policy_values(obj.workspace)["gates"]
        if change:
            gates = _without(gates, [MetricGate.objects.get(pk=obj.pk)])
        values = {"gates": [*gates, _gate_values(obj)]}
        policy_update(workspace=obj.workspace, user=request.user, values=values, client_ip=client_ip(request))
        obj.pk = MetricGate.objects.get(workspace=obj.workspace, metric=obj.metric, dataset=obj.dataset).pk

    def delete_model(self, request: HttpRequest, obj: MetricGate) -> None:
        self.delete_queryset(request, MetricGate.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[MetricGate]) -> None:
        chosen = list(queryset.select_related("workspace"))
        for workspace in {gate.workspace for gate in chosen}:
            gates = _without(policy_values(workspace)["gates"], [g for g in chosen if g.workspace == workspace])
            policy_update(workspace=workspace, user=request.user, values={"gates": gates}, client_ip=client_ip(request))


@admin.register(GateWaiver)
class GateWaiverAdmin(admin.ModelAdmin):
    """Waivers are made on the decision page (audited); admin shows them and nothing else."""

    list_display = ("version", "gate", "waived_by", "created_at")
    list_select_related = ("version__model", "gate__workspace", "waived_by")
    readonly_fields = ("version", "gate", "waived_by", "reason", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
