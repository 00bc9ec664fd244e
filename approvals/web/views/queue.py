"""The review queue (the home page): Pending versions, oldest first, with live counts per status."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from approvals import selectors
from approvals.permissions import readable
from approvals.web.forms.filters import QueueFilterForm
from approvals.web.helpers import status_for


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET)
    valid = form.is_valid()
    scope = readable(request.user)
    page = selectors.review_queue(scope=scope, page=form.page_number, labels=form.labels) if valid else None
    context = {
        "form": form,
        "page": page,
        "counts": selectors.status_counts(scope=scope),
        "workspaces": selectors.workspaces(scope=scope),
    }
    return render(request, "approvals/queue.html", context, status=status_for(valid))
