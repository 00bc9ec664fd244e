"""The versions listing: filters, search and sort in the query string, a page at a time."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from approvals import selectors
from approvals.display.list_rows import version_list_rows
from approvals.permissions import readable
from approvals.web.forms.filters import VersionFilterForm
from approvals.web.helpers import status_for


@login_required
def version_list(request: HttpRequest) -> HttpResponse:
    scope = readable(request.user)
    # The workspace filter offers only the readable ones; another WorkspaceId is an invalid choice.
    workspaces = selectors.workspaces(scope=scope)
    form = VersionFilterForm(request.GET, workspaces=workspaces, user=request.user)
    valid = form.is_valid()
    page = None
    if valid:
        page = selectors.version_page(form.filters(), scope=scope, page=form.page_number, page_size=form.page_size)
    rows = version_list_rows(page.items) if page else []
    context = {"form": form, "page": page, "rows": rows, "workspaces": workspaces}
    return render(request, "approvals/version_list.html", context, status=status_for(valid))
