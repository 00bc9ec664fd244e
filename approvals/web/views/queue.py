"""The review queue (the home page): Pending versions, oldest first, with live counts per status."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from approvals import selectors
from approvals.web.forms.filters import PageForm
from approvals.web.helpers import status_for


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    form = PageForm(request.GET)
    valid = form.is_valid()
    page = selectors.review_queue(page=form.page_number) if valid else None
    context = {"form": form, "page": page, "counts": selectors.status_counts(), "workspaces": selectors.workspaces()}
    return render(request, "approvals/queue.html", context, status=status_for(valid))
