"""Small HTML fragments that static/js/live.js polls: the queue's counts and the workspaces' sync state."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from approvals import selectors
from approvals.permissions import readable


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
