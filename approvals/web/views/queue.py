"""The review queue (the home page): Pending versions, overdue first, with live counts per status;
filtered by review state and "Assigned to me"."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from approvals import selectors
from approvals.permissions import readable
from approvals.web.forms.filters import QueueForm
from approvals.web.helpers import status_for


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    form = QueueForm(request.GET, user=request.user)
    valid = form.is_valid()
    scope = readable(request.user)
    page = None
    if valid:
        page = selectors.review_queue(
            scope=scope,
            page=form.page_number,
            labels=form.labels,
            review=form.review_state,
            assignee_pk=form.assignee_pk,
        )
    context = {
        "form": form,
        "page": page,
        "counts": selectors.status_counts(scope=scope),
        "workspaces": selectors.workspaces(scope=scope),
    }
    return render(request, "approvals/queue.html", context, status=status_for(valid))
