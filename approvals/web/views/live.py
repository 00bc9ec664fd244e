"""Small HTML fragments that static/js/live.js polls: the queue's counts and rows, and the workspaces' sync state."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from approvals import selectors
from approvals.permissions import readable
from approvals.web.helpers import status_for
from approvals.web.views.queue import queue_rows_context


@login_required
def status_counts(request: HttpRequest) -> HttpResponse:
    return render(
        request, "approvals/_status_counts.html", {"counts": selectors.status_counts(scope=readable(request.user))}
    )


@login_required
def sync_states(request: HttpRequest) -> HttpResponse:
    return render(
        request, "approvals/_sync_states.html", {"workspaces": selectors.workspaces(scope=readable(request.user))}
    )


@login_required
def queue_rows(request: HttpRequest) -> HttpResponse:
    """The queue's rows under the same filters as the page (its query string), refreshed in place."""
    context, valid = queue_rows_context(request)
    return render(request, "approvals/_queue_rows.html", context, status=status_for(valid))
