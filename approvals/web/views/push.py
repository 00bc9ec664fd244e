"""The push's side of the version page: its state (also as a polled fragment), a
conflict resolved field by field, and a failed push queued again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from approvals import services
from approvals.errors import ApplicationError
from approvals.permissions import APPROVER, EDITOR, role_required
from approvals.web.forms.decision import ConflictForm
from approvals.web.helpers import show_error, to_detail, version_or_404
from approvals.web.security import client_ip
from approvals.web.version_context import conflict_rows, push_state_context


@role_required(EDITOR, APPROVER)
@require_http_methods(["GET", "POST"])
def version_resolve_conflict(request: HttpRequest, model_id: str, version_name: str) -> HttpResponse:
    """Choose per field: keep PAI's value or apply the dashboard's."""
    version = version_or_404(model_id, version_name, user=request.user, roles=(EDITOR, APPROVER))
    form = ConflictForm(request.POST if request.method == "POST" else None, conflict=version.conflict or {})
    status_code = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.version_resolve_conflict(
                    version_id=version.pk,
                    user=request.user,
                    keep=form.keep(),
                    revision=form.cleaned_data.get("revision"),
                    client_ip=client_ip(request),
                )
            except ApplicationError as exc:
                show_error(form, exc, form.field_for(exc.field))
            else:
                messages.success(request, _("Conflict resolved. Pushing to PAI…"))
                return to_detail(version)
        status_code = 400
    context = {
        "version": version,
        "model": version.model,
        "conflict_form": form,
        "conflict_rows": conflict_rows(version, form) if version.conflict else [],
    }
    return render(request, "approvals/version_resolve.html", context, status=status_code)


@role_required(EDITOR, APPROVER)
@require_POST
def version_retry_push(request: HttpRequest, model_id: str, version_name: str) -> HttpResponse:
    version = version_or_404(model_id, version_name, user=request.user, roles=(EDITOR, APPROVER))
    try:
        services.version_retry_push(version_id=version.pk, user=request.user, revision=_shown_revision(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Push queued again."))
    return to_detail(version)


@login_required
def version_push_state(request: HttpRequest, model_id: str, version_name: str) -> HttpResponse:
    """The push-state partial alone (or just the badge, ?part=badge), for the page's polling."""
    version = version_or_404(model_id, version_name, user=request.user)
    if request.GET.get("part") == "badge":
        context = {"version": version, "state": version.push_state, "poll": True}
        return render(request, "approvals/_push_badge.html", context)
    return render(request, "approvals/_push_state.html", push_state_context(request, version))


def _shown_revision(request: HttpRequest) -> int | None:
    """The revision a page's form said it showed, when it says one."""
    raw = request.POST.get("revision", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
