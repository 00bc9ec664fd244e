"""Changing a workspace's approval rules and waiving a metric gate: staff only, audited.

Every door (the API's PUT, Django admin) goes through `policy_update`, so the rules
are checked once and each change is one `policy.changed` event with the rules
before and after. Gates are replaced as a list; a gate kept (same metric and
dataset) keeps its waivers, a gate dropped takes its waivers with it.
"""

from __future__ import annotations

import math
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from approvals.display.gates import failing
from approvals.display.text import visible_text
from approvals.errors import ApplicationError
from approvals.fields import EDITABLE_NAMES
from approvals.models import ApprovalStatus, GateWaiver, MetricGate, Workspace, WorkspacePolicy
from approvals.pai.labels import key_problem as label_key_problem
from approvals.permissions import STAFF, has_role
from approvals.selectors.policies import gate_results, policy_of, policy_values
from approvals.services import audit_events
from approvals.services.versions import _locked

RULES = ("required_approvers", "separation_of_duties", "reason_required_on_approval", "editable_after_decision")
# Rules a body may leave out (kept as they are): added after clients were written against RULES.
OPTIONAL_RULES = ("protected_label_keys", "review_hours")
ALL_RULES = (*RULES, *OPTIONAL_RULES)
MAX_PROTECTED_KEYS = 50
REVIEW_HOURS_MAX = 24 * 90
GATE_KEYS = ("metric", "dataset", "higher_is_better", "max_regression")
REASON_MAX = 4000


def _staff_only(user: Any, refusal: str) -> None:
    if not has_role(user, STAFF):
        raise ApplicationError(refusal)


def _bool(values: dict[str, Any], name: str, field: str) -> bool:
    value = values[name]
    if not isinstance(value, bool):
        raise ApplicationError(_("Must be true or false."), field=field)
    return value


def _storable(text: str) -> bool:
    # PostgreSQL's text refuses NUL, and no database keeps a lone surrogate.
    return "\x00" not in text and not any("\ud800" <= ch <= "\udfff" for ch in text)


def _gate(raw: Any, index: int) -> dict[str, Any]:
    at = f"gates.{index}"
    if not isinstance(raw, dict):
        raise ApplicationError(
            _("Each gate must be an object with metric, dataset, higher_is_better and max_regression."), field=at
        )
    unknown = sorted(set(raw) - set(GATE_KEYS))
    if unknown:
        raise ApplicationError(_("Unknown field %(name)s.") % {"name": unknown[0]}, field=f"{at}.{unknown[0]}")
    metric, dataset = raw.get("metric"), raw.get("dataset", "")
    if not isinstance(metric, str) or not bool(visible_text(metric)) or len(metric) > 128 or not _storable(metric):
        raise ApplicationError(_("Name the metric (at most 128 characters)."), field=f"{at}.metric")
    if not isinstance(dataset, str) or len(dataset) > 256 or not _storable(dataset):
        raise ApplicationError(
            _("The dataset must be text of at most 256 characters (empty: any dataset)."), field=f"{at}.dataset"
        )
    gate = {"metric": metric.strip(), "dataset": dataset.strip() if bool(visible_text(dataset)) else ""}
    gate["higher_is_better"] = _bool({"h": raw.get("higher_is_better", True)}, "h", f"{at}.higher_is_better")
    regression = raw.get("max_regression", 0.0)
    if isinstance(regression, bool) or not isinstance(regression, int | float) or not math.isfinite(regression):
        raise ApplicationError(
            _("The largest regression allowed must be a finite number."), field=f"{at}.max_regression"
        )
    if regression < 0:
        raise ApplicationError(_("The largest regression allowed cannot be negative."), field=f"{at}.max_regression")
    gate["max_regression"] = float(regression)
    return gate


def _protected_keys(keys: Any) -> list[str]:
    field = "protected_label_keys"
    if not isinstance(keys, list | tuple) or not all(isinstance(k, str) for k in keys):
        raise ApplicationError(_("Must be a list of label keys."), field=field)
    if any(not k.strip() for k in keys):
        raise ApplicationError(_("A protected label key cannot be empty."), field=field)
    clean = sorted({k.strip() for k in keys})
    if len(clean) > MAX_PROTECTED_KEYS:
        raise ApplicationError(_("At most %(max)s protected label keys.") % {"max": MAX_PROTECTED_KEYS}, field=field)
    for key in clean:
        if label_key_problem(key) or not _storable(key):
            raise ApplicationError(
                _("%(key)s cannot be a label key: at most 128 bytes, with no '=', ',' or control character.")
                % {"key": key[:60]},
                field=field,
            )
    return clean


def policy_check(values: dict[str, Any]) -> dict[str, Any]:
    """The given rules, checked and normalized; the first bad one raises ApplicationError naming it.

    Keys left out are left as they are; `gates`, when given, is the whole new list.
    """
    if not isinstance(values, dict):
        raise ApplicationError(_("The policy must be a JSON object."))
    unknown = sorted(set(values) - {*ALL_RULES, "gates"})
    if unknown:
        raise ApplicationError(_("Unknown field %(name)s.") % {"name": unknown[0]}, field=unknown[0])
    clean: dict[str, Any] = {}
    if "required_approvers" in values:
        count = values["required_approvers"]
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 3):
            raise ApplicationError(
                _("Required approvers must be 1, 2 or 3 (or empty for the installation's default)."),
                field="required_approvers",
            )
        clean["required_approvers"] = count
    if "review_hours" in values:
        hours = values["review_hours"]
        if hours is not None and (
            isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= REVIEW_HOURS_MAX
        ):
            raise ApplicationError(
                _("The review time must be a whole number of hours from 1 to %(max)s (or empty for the default).")
                % {"max": REVIEW_HOURS_MAX},
                field="review_hours",
            )
        clean["review_hours"] = hours
    for name in ("separation_of_duties", "reason_required_on_approval"):
        if name in values:
            clean[name] = _bool(values, name, name)
    if "editable_after_decision" in values:
        names = values["editable_after_decision"]
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
            raise ApplicationError(_("Must be a list of PAI field names."), field="editable_after_decision")
        wrong = [n for n in names if n not in EDITABLE_NAMES]
        if wrong:
            raise ApplicationError(
                _("%(name)s is not an editable field; choose among %(fields)s.")
                % {"name": wrong[0], "fields": ", ".join(EDITABLE_NAMES)},
                field="editable_after_decision",
            )
        clean["editable_after_decision"] = [n for n in EDITABLE_NAMES if n in names]  # PAI's order, once each
    if "protected_label_keys" in values:
        clean["protected_label_keys"] = _protected_keys(values["protected_label_keys"])
    if "gates" in values:
        if not isinstance(values["gates"], list | tuple):
            raise ApplicationError(_("Must be a list of gates."), field="gates")
        gates = [_gate(raw, index) for index, raw in enumerate(values["gates"])]
        seen: set[tuple[str, str]] = set()
        for index, gate in enumerate(gates):
            key = (gate["metric"], gate["dataset"])
            if key in seen:
                raise ApplicationError(
                    _("This metric already has a gate on that dataset."), field=f"gates.{index}.metric"
                )
            seen.add(key)
        clean["gates"] = gates
    return clean


def _replace_gates(workspace: Workspace, gates: list[dict[str, Any]]) -> None:
    existing = {(g.metric, g.dataset): g for g in MetricGate.objects.filter(workspace=workspace)}
    wanted = {(g["metric"], g["dataset"]): g for g in gates}
    MetricGate.objects.filter(pk__in=[g.pk for key, g in existing.items() if key not in wanted]).delete()
    for key, values in wanted.items():
        gate = existing.get(key)
        if gate is None:
            MetricGate.objects.create(workspace=workspace, **values)
        elif (gate.higher_is_better, gate.max_regression) != (values["higher_is_better"], values["max_regression"]):
            gate.higher_is_better, gate.max_regression = values["higher_is_better"], values["max_regression"]
            gate.save(update_fields=["higher_is_better", "max_regression"])


def policy_update(
    *, workspace: Workspace, user: Any, values: dict[str, Any], client_ip: str | None = None
) -> WorkspacePolicy:
    """Set the workspace's rules given in `values` (and, with `gates`, replace its gates); audited.

    A change that changes nothing writes no event.
    """
    _staff_only(user, _("Only administrators (staff) can change a workspace's policy."))
    clean = policy_check(values)
    with transaction.atomic():
        # One writer per workspace at a time: the event's "before" is what this change replaced.
        workspace = Workspace.objects.select_for_update().get(pk=workspace.pk)
        before = policy_values(workspace)
        row, _created = WorkspacePolicy.objects.get_or_create(
            workspace=workspace, defaults={name: before[name] for name in ALL_RULES}
        )
        rules = {name: clean[name] for name in ALL_RULES if name in clean}
        if rules:
            for name, value in rules.items():
                setattr(row, name, value)
            row.save()
        if "gates" in clean:
            _replace_gates(workspace, clean["gates"])
        after = policy_values(workspace)
        if after != before:
            audit_events.policy_changed(user=user, workspace=workspace, before=before, after=after, client_ip=client_ip)
    return row


def gate_waive(*, version_id: int, gate_id: int, user: Any, reason: str, client_ip: str | None = None) -> GateWaiver:
    """Let one version pass one failing gate of its workspace, with a reason (audited)."""
    _staff_only(user, _("Only administrators (staff) can waive a metric gate."))
    if not isinstance(reason, str) or not bool(visible_text(reason)):
        raise ApplicationError(_("Say why this gate is waived."), field="reason")
    reason = reason.strip()
    if len(reason) > REASON_MAX or not _storable(reason):
        raise ApplicationError(
            _("At most %(max)s characters, with no NUL character.") % {"max": REASON_MAX}, field="reason"
        )
    with transaction.atomic():
        version = _locked(version_id)
        gate = MetricGate.objects.filter(pk=gate_id, workspace=version.workspace).first()
        if gate is None:
            raise ApplicationError(_("This version's workspace has no such gate."), field="gate")
        if version.approval_status != ApprovalStatus.PENDING:
            raise ApplicationError(_("The version is already decided; there is nothing to waive."))
        result = next((r for r in gate_results(version, policy_of(version.workspace)) if r.gate.pk == gate.pk), None)
        if result is not None and result.waiver is not None:
            raise ApplicationError(_("This gate is already waived for this version."))
        if result is None or not failing([result]):
            raise ApplicationError(_("This gate passes; there is nothing to waive."))
        waiver = GateWaiver.objects.create(version=version, gate=gate, waived_by=user, reason=reason)
        audit_events.gate_waived(version, user=user, gate=str(gate), reason=reason, client_ip=client_ip)
    return waiver
