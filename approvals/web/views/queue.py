"""The review queue (the home page): Pending versions, overdue first, superseded ones last, else
oldest first; with filters (also by review state and "Assigned to me"), live counts per status and
live rows (web/views/live.py renders the same rows)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from approvals import selectors
from approvals.display.list_rows import queue_rows
from approvals.permissions import readable
from approvals.web.forms.filters import QueueFilterForm
from approvals.web.helpers import status_for


def queue_rows_context(request: HttpRequest) -> tuple[dict[str, Any], bool]:
    """The queue's form and page of rows for the page and for its live fragment; and whether the query was valid."""
    scope = readable(request.user)
    workspaces = selectors.workspaces(scope=scope)
    form = QueueFilterForm(request.GET, workspaces=workspaces, user=request.user)
    valid = form.is_valid()
    page = selectors.review_queue(scope=scope, filters=form.filters(), page=form.page_number) if valid else None
    rows = queue_rows(page.items) if page else []
    return {"form": form, "page": page, "rows": rows, "workspaces": workspaces}, valid


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    context, valid = queue_rows_context(request)
    context["counts"] = selectors.status_counts(scope=readable(request.user))
    return render(request, "approvals/queue.html", context, status=status_for(valid))
