"""The review's POSTs from the version page: comment, retract, request changes, assign.

Thin: the form checks the input, one service decides; a refusal shows at its field on the page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from approvals.errors import ApplicationError
from approvals.permissions import APPROVER, EDITOR, role_required
from approvals.selectors.people import members
from approvals.services.comments import comment_create, comment_retract
from approvals.services.reviews import review_assign, review_request_changes
from approvals.web.forms.reviews import AssignForm, ChangesRequestedForm, CommentForm
from approvals.web.helpers import show_error, to_detail, version_or_404
from approvals.web.security import client_ip
from approvals.web.views.version import render_version_page


@role_required(EDITOR, APPROVER)
@require_POST
def version_comment(request: HttpRequest, model_id: str, version_name: str) -> HttpResponse:
    version = version_or_404(model_id, version_name, user=request.user, roles=(EDITOR, APPROVER))
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment_create(
                version_id=version.pk, user=request.user, text=form.cleaned_data["text"], client_ip=client_ip(request)
            )
        except ApplicationError as exc:
            show_error(form, exc, exc.field)
        else:
            messages.success(request, _("Your comment is added."))
            return to_detail(version)
    return render_version_page(request, version, status=400, comment_form=form)


@role_required(EDITOR, APPROVER)
@require_POST
def version_comment_retract(request: HttpRequest, model_id: str, version_name: str, comment_id: int) -> HttpResponse:
    version = version_or_404(model_id, version_name, user=request.user, roles=(EDITOR, APPROVER))
    try:
        comment_retract(version_id=version.pk, comment_id=comment_id, user=request.user, client_ip=client_ip(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your comment is retracted; its text is hidden."))
    return to_detail(version)


@role_required(APPROVER)
@require_POST
def version_request_changes(request: HttpRequest, model_id: str, version_name: str) -> HttpResponse:
    version = version_or_404(model_id, version_name, user=request.user, roles=(APPROVER,))
    form = ChangesRequestedForm(request.POST)
    if form.is_valid():
        try:
            review_request_changes(
                version_id=version.pk,
                user=request.user,
                reason=form.cleaned_data["reason"],
                client_ip=client_ip(request),
            )
        except ApplicationError as exc:
            show_error(form, exc, exc.field)
        else:
            messages.success(request, _("Changes are requested; the version's editors are told."))
            return to_detail(version)
    return render_version_page(request, version, status=400, changes_form=form)


@role_required(APPROVER)
@require_POST
def version_assign(request: HttpRequest, model_id: str, version_name: str) -> HttpResponse:
    version = version_or_404(model_id, version_name, user=request.user, roles=(APPROVER,))
    form = AssignForm(request.POST, reviewers=list(members(version.workspace, role=APPROVER)))
    if form.is_valid():
        try:
            review_assign(
                version_id=version.pk,
                user=request.user,
                assignee=form.cleaned_data["assignee"],
                client_ip=client_ip(request),
            )
        except ApplicationError as exc:
            show_error(form, exc, exc.field)
        else:
            messages.success(request, _("The review is assigned."))
            return to_detail(version)
    return render_version_page(request, version, status=400, assign_form=form)
