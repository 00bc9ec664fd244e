"""The versions listing: filters, search and sort in the query string, a page at a time."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from approvals import selectors
from approvals.web.forms.filters import VersionFilterForm
from approvals.web.helpers import status_for


@login_required
def version_list(request: HttpRequest) -> HttpResponse:
    workspaces = selectors.workspaces()
    form = VersionFilterForm(request.GET, workspaces=workspaces)
    valid = form.is_valid()
    page = selectors.version_page(form.filters(), page=form.page_number, page_size=form.page_size) if valid else None
    context = {"form": form, "page": page, "workspaces": workspaces}
    return render(request, "approvals/version_list.html", context, status=status_for(valid))
