"""The audit log page (filters, keyset pages) and its CSV export (auditors and staff)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.display.audit import comment_ids, shown_events
from approvals.permissions import AUDITOR, STAFF, can_export_audit, role_required
from approvals.selectors import audit as audit_selectors
from approvals.selectors.reviews import retracted_comment_ids
from approvals.web.exports import csv_lines
from approvals.web.forms.filters import AuditFilterForm
from approvals.web.helpers import status_for


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    valid = form.is_valid()
    page = None
    if valid:
        reader = audit_selectors.AuditReader.of(request.user)
        page = audit_selectors.audit_page(
            form.filters(), reader=reader, before=form.cleaned_data.get("before"), after=form.cleaned_data.get("after")
        )
        retracted = retracted_comment_ids(comment_ids(page.events))
        page.events = list(shown_events(page.events, reveal=reader.sees_who_and_where, retracted=retracted))
    context = {"form": form, "page": page, "can_export": can_export_audit(request.user)}
    return render(request, "approvals/audit_log.html", context, status=status_for(valid))


@role_required(AUDITOR, STAFF)
def audit_export(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        return HttpResponse(
            _("Invalid filters: %(problems)s") % {"problems": problems} + "\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    response = StreamingHttpResponse(
        csv_lines(form.filters(), user=request.user), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
