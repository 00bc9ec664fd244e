"""The audit log page (filters, keyset pages) and its CSV export (auditors and staff)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.display.actions import action_choices
from approvals.display.audit import comment_ids, shown_events, with_workspace_names
from approvals.permissions import AUDITOR, STAFF, can_export_audit, role_required
from approvals.selectors import audit as audit_selectors
from approvals.selectors.audit_hints import filter_hints
from approvals.selectors.reviews import retracted_comment_ids
from approvals.web.exports import csv_lines
from approvals.web.forms.filters import AuditFilterForm
from approvals.web.helpers import status_for


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    valid = form.is_valid()
    page, hints = None, []
    reader = audit_selectors.AuditReader.of(request.user)
    workspaces = audit_selectors.readable_workspaces(reader)
    if valid:
        page = audit_selectors.audit_page(
            form.filters(), reader=reader, before=form.cleaned_data.get("before"), after=form.cleaned_data.get("after")
        )
        retracted = retracted_comment_ids(comment_ids(page.events))
        page.events = with_workspace_names(
            shown_events(page.events, reveal=reader.sees_who_and_where, retracted=retracted),
            {w.workspace_id: w.name for w in workspaces},
        )
        if not page.events:
            hints = [
                (hint, _hint_links(request, hint.field, hint.values))
                for hint in filter_hints(form.filters(), reader=reader)
            ]
    context = {
        "form": form,
        "page": page,
        "hints": hints,
        "action_choices": action_choices(),
        "workspace_names": [w.name for w in workspaces],
        "can_export": can_export_audit(request.user),
    }
    return render(request, "approvals/audit_log.html", context, status=status_for(valid))


def _hint_links(request: HttpRequest, field: str, values: list[str]) -> list[tuple[str, str]]:
    """(value, this page's query with `field` set to it) for each suggestion."""
    links = []
    for value in values:
        query = request.GET.copy()
        query[field] = value
        for cursor in ("before", "after"):
            query.pop(cursor, None)
        links.append((value, "?" + query.urlencode()))
    return links


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
        csv_lines(form.filters(), user=request.user, bom=request.GET.get("excel") == "1"),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
