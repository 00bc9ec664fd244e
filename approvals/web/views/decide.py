"""The decision page: what is being decided, the confirmation, and the POST that decides.

The rules are approvals.services'; what the page disables is only a courtesy."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from approvals import services
from approvals.display.json_text import shown
from approvals.display.labels import field_label
from approvals.display.metrics import compare_metrics, parse_metrics
from approvals.errors import ApplicationError, StaleEdit
from approvals.fields import EDITABLE, Kind
from approvals.models import Approval, ApprovalStatus, Change, ModelVersion
from approvals.permissions import APPROVER, role_required, scope_of_role
from approvals.selectors.policies import policy_of
from approvals.selectors.review_page import dataset_names, next_waiting
from approvals.services.unpushed import unpushed_changes
from approvals.web.forms.decision import DecisionForm
from approvals.web.helpers import show_error, to_detail, version_or_404
from approvals.web.security import client_ip
from approvals.web.version_context import version_actions_context

# What a reviewer reads besides the metrics before deciding, in PAI's order.
SPEC_NAMES = tuple(f.name for f in EDITABLE if f.is_spec or f.kind == Kind.JSON_TEXT)


def _pending_changes(version: ModelVersion) -> list[dict[str, Any]]:
    """Accepted changes PAI does not hold yet: they reach PAI with the decision or before it."""
    return [
        {
            "change": change,
            "rows": [
                {"field": f, "label": field_label(f), "before": shown(b), "after": shown(a)}
                for f, (b, a) in change.fields.items()
            ],
        }
        for change in unpushed_changes(version)
    ]


@role_required(APPROVER)
@require_http_methods(["GET", "POST"])
def version_decide(request: HttpRequest, model_id: str, version_name: str) -> HttpResponse:
    """GET ?status=Approved|Rejected: what is being decided, and the confirmation. POST: decide."""
    version = version_or_404(model_id, version_name, user=request.user, roles=(APPROVER,))
    status_code = 200
    stale: list[dict[str, str]] = []
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            try:
                outcome = services.version_decide(
                    version_id=version.pk,
                    user=request.user,
                    status=form.cleaned_data["status"],
                    revision=form.cleaned_data["revision"],
                    reason=form.cleaned_data["reason"],
                    client_ip=client_ip(request),
                )
            except StaleEdit as exc:
                form.add_error(None, exc.message)
                stale = [
                    {"field": f, "label": field_label(f), "before": shown(b), "after": shown(a)}
                    for f, (b, a) in exc.changed.items()
                ]
                version.refresh_from_db()
            except ApplicationError as exc:
                show_error(form, exc, DecisionForm.SERVICE_FIELDS.get(exc.field or ""))
                version.refresh_from_db()
            else:
                return _after_decision(request, version, outcome, form.cleaned_data["status"])
        status_code = 400
        status = form.data.get("status", "")
    else:
        status = request.GET.get("status", "")
        form = DecisionForm(initial={"status": status})
    if status not in (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED):
        status, status_code = "", 400
    metrics = parse_metrics(version.metrics)
    context = {
        **version_actions_context(request, version),
        "model": version.model,
        "form": form,
        "status": status,
        "metric_rows": compare_metrics(metrics, [], dataset_names=dataset_names(metrics.datasets)),
        # (label, value, held as JSON text) in PAI's order; Options is the one JSON-in-a-string field.
        "specs": [
            (field_label(name), value, name == "Options")
            for name, value in version.pai_values().items()
            if name in SPEC_NAMES
        ],
        "pending": _pending_changes(version),
        # A decision sent for an older revision: what changed since the page was opened.
        "stale": stale,
        # Where the reviewer lands after deciding (the buttons say "and next" when there is one).
        "following": next_waiting(version, scope=scope_of_role(request.user, APPROVER)),
    }
    return render(request, "approvals/version_decide.html", context, status=status_code)


def _after_decision(
    request: HttpRequest, version: ModelVersion, outcome: Change | Approval, status: str
) -> HttpResponse:
    """Say what was decided, and go on to the next version waiting (the queue when none is)."""
    names = {"model": version.model.name, "version": version.version_name}
    if isinstance(outcome, Approval):
        count = version.approvals.filter(dismissed_at__isnull=True).count()
        done = _(
            "Your approval of %(model)s %(version)s is recorded (%(count)s of %(required)s). "
            "It waits for a second approver; nothing goes to PAI until then."
        ) % {**names, "count": count, "required": policy_of(version.workspace).required_approvers}
    elif status == ApprovalStatus.APPROVED:
        done = _("Approved %(model)s %(version)s. Pushing to PAI…") % names
    else:
        done = _("Rejected %(model)s %(version)s. Pushing to PAI…") % names
    following = next_waiting(version, scope=scope_of_role(request.user, APPROVER))
    if following is None:
        messages.success(request, done + " " + _("Nothing else is waiting for review."))
        return redirect("home")
    messages.success(request, done + " " + _("This is the next version waiting."))
    return to_detail(following)
