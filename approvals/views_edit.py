"""The write side of the dashboard: edit and decide (the push's own views are in
views_push.py).

Each view checks the role (403 otherwise, POSTs included), validates with a
form, calls one service and shows its ApplicationError at the field it names or
on top. The rules themselves live in approvals.services; what the pages hide or
disable here is only a courtesy, the services refuse the same things.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .errors import ApplicationError
from .forms_edit import (
    EDIT_FIELDS,
    FIELD_LABELS,
    DecisionForm,
    VersionEditForm,
    rebase_edit_data,
)
from .metrics import compare_metrics, parse_metrics
from .models import Approval, ApprovalStatus, Change, ChangeKind, ModelVersion
from .permissions import APPROVER, EDITOR, user_in_group
from .security import client_ip
from .view_helpers import groups_required, show_error, shown, to_detail, version_or_404
from .views_push import push_state_context

# What a reviewer reads besides the metrics before deciding, in PAI's order.
SPEC_NAMES = tuple(
    name for name, _ in EDIT_FIELDS if name not in ("VersionDescription", "Metrics", "SourceType", "SourceId")
)


# --- what the version page shows about acting on it ---------------------------


def decision_blocker(version: ModelVersion) -> str:
    """Why no decision can be made now, or "".

    Display only: mirrors the service's rules so nobody clicks into a refusal;
    version_decide enforces them whatever the page showed.
    """
    if version.gone:
        return _("PAI no longer lists this version.")
    if version.approval_status != ApprovalStatus.PENDING:
        return _("This version is %(status)s; PAI does not allow another decision.") % {
            "status": version.approval_status
        }
    if version.push_state in services.BLOCKING_PUSH_STATES:
        return _("The push is %(state)s; resolve that before deciding.") % {"state": version.push_state}
    return ""


def approve_blocker(version: ModelVersion, user: Any, approvals: list[Approval]) -> str:
    """Why this user may reject but not approve, or "" (display only, as above)."""
    if any(a.approver_id == user.pk for a in approvals):
        return _("You approved this version; it waits for another approver.")
    if settings.APPROVALS_SEPARATION_OF_DUTIES and version.changes.filter(author=user, kind=ChangeKind.EDIT).exists():
        return _("You edited this version; another approver has to approve it.")
    return ""


def version_actions_context(request: HttpRequest, version: ModelVersion) -> dict[str, Any]:
    """The version page's write side: Edit link, decision buttons, approvals so far, push state."""
    user = request.user
    is_approver = user_in_group(user, APPROVER)
    approvals = list(version.approvals.select_related("approver").order_by("created_at"))
    blocker = decision_blocker(version) if is_approver else ""
    return {
        **push_state_context(request, version),
        "is_approver": is_approver,
        "decision_blocker": blocker,
        "approve_blocker": approve_blocker(version, user, approvals) if is_approver and not blocker else "",
        "approvals": approvals,
        "required_approvers": settings.APPROVALS_REQUIRED_APPROVERS,
    }


# --- edit ---------------------------------------------------------------------


def _diff_rows(form: VersionEditForm) -> list[dict[str, str]]:
    return [
        {
            "field": name,
            "label": FIELD_LABELS[name],
            "before": shown(form.current[name]),
            "after": shown(value),
        }
        for name, value in form.changed_values().items()
    ]


def _stale(
    request: HttpRequest, context: dict[str, Any], version: ModelVersion, changed: dict[str, list[Any]]
) -> HttpResponse:
    """The edit page again, on the fresh values, with what changed meanwhile; nothing is saved."""
    fresh = version.pai_values()
    data, both = rebase_edit_data(request.POST, changed=changed, current=fresh, revision=version.revision)
    context["form"] = VersionEditForm(data, current=fresh, revision=version.revision)
    context["stale"] = {
        "rows": [
            {"field": f, "label": FIELD_LABELS.get(f, f), "before": shown(b), "after": shown(a)}
            for f, (b, a) in changed.items()
        ],
        "both": [FIELD_LABELS.get(f, f) for f in both],
    }
    return render(request, "approvals/version_edit.html", context, status=409)


@groups_required(EDITOR)
@require_http_methods(["GET", "POST"])
def version_edit(request: HttpRequest, model_id: str, version_name: str) -> HttpResponse:
    """GET: the form. POST: preview the changes; POST with confirm=1: save them."""
    version = version_or_404(model_id, version_name)
    current, revision = version.pai_values(), version.revision
    context: dict[str, Any] = {"version": version, "model": version.model}
    if request.method == "GET":
        context["form"] = VersionEditForm(current=current, revision=revision)
        return render(request, "approvals/version_edit.html", context)

    form = VersionEditForm(request.POST, current=current, revision=revision)
    context["form"] = form
    if "back" in request.POST:
        # "Change again" from the preview: the same data, back in the form.
        return render(request, "approvals/version_edit.html", context)
    if not form.is_valid():
        return render(request, "approvals/version_edit.html", context, status=400)
    values = form.changed_values()
    if not values:
        form.add_error(None, _("Nothing changed: every field holds what the version already has."))
        return render(request, "approvals/version_edit.html", context, status=400)
    base_revision = form.cleaned_data["base_revision"]
    if request.POST.get("confirm") != "1":
        if base_revision != revision:
            # A preview against newer values would show their change being undone; show it as stale now.
            return _stale(request, context, version, selectors.changed_since(version, base_revision))
        context["diff"] = _diff_rows(form)
        return render(request, "approvals/version_edit_preview.html", context)

    try:
        services.version_edit(
            version_id=version.pk,
            user=request.user,
            values=values,
            base_revision=base_revision,
            client_ip=client_ip(request),
        )
    except services.StaleEdit as exc:
        version.refresh_from_db()
        return _stale(request, context, version, exc.changed)
    except ApplicationError as exc:
        show_error(form, exc, exc.field)
        return render(request, "approvals/version_edit.html", context, status=400)
    messages.success(request, _("Saved. Pushing to PAI…"))
    return to_detail(version)


# --- decide -------------------------------------------------------------------


def _pending_changes(version: ModelVersion) -> list[dict[str, Any]]:
    """Accepted changes PAI does not hold yet: they reach PAI with the decision or before it."""
    changes = (
        Change.objects.filter(version=version, revision__gt=version.pushed_revision)
        .select_related("author")
        .order_by("revision")
    )
    return [
        {
            "change": change,
            "rows": [
                {"field": f, "label": FIELD_LABELS.get(f, f), "before": shown(b), "after": shown(a)}
                for f, (b, a) in change.fields.items()
            ],
        }
        for change in changes
    ]


@groups_required(APPROVER)
@require_http_methods(["GET", "POST"])
def version_decide(request: HttpRequest, model_id: str, version_name: str) -> HttpResponse:
    """GET ?status=Approved|Rejected: what is being decided, and the confirmation. POST: decide."""
    version = version_or_404(model_id, version_name)
    status_code = 200
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            try:
                outcome = services.version_decide(
                    version_id=version.pk,
                    user=request.user,
                    status=form.cleaned_data["status"],
                    reason=form.cleaned_data["reason"],
                    client_ip=client_ip(request),
                )
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
    context = {
        **version_actions_context(request, version),
        "model": version.model,
        "form": form,
        "status": status,
        "metric_rows": compare_metrics(parse_metrics(version.metrics), []),
        # (label, value, held as JSON text) in PAI's order; Options is the one JSON-in-a-string field.
        "specs": [
            (FIELD_LABELS[name], value, name == "Options")
            for name, value in version.pai_values().items()
            if name in SPEC_NAMES
        ],
        "pending": _pending_changes(version),
    }
    return render(request, "approvals/version_decide.html", context, status=status_code)


def _after_decision(
    request: HttpRequest, version: ModelVersion, outcome: Change | Approval, status: str
) -> HttpResponse:
    if isinstance(outcome, Approval):
        count = version.approvals.count()
        messages.success(
            request,
            _(
                "Your approval is recorded (%(count)s of %(required)s). "
                "It waits for a second approver; nothing goes to PAI until then."
            )
            % {"count": count, "required": settings.APPROVALS_REQUIRED_APPROVERS},
        )
    else:
        done = _("Approved. Pushing to PAI…") if status == ApprovalStatus.APPROVED else _("Rejected. Pushing to PAI…")
        messages.success(request, done)
    return to_detail(version)
