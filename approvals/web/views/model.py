"""A model's page: its versions with their key metrics, and the metric charts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from approvals import selectors
from approvals.display.list_rows import model_version_rows
from approvals.models import RegisteredModel
from approvals.permissions import readable
from approvals.web.forms.filters import PageForm
from approvals.web.helpers import charts_of, status_for


@login_required
def model_detail(request: HttpRequest, model_id: str) -> HttpResponse:
    scope = readable(request.user)
    try:
        model = selectors.model_by_id(model_id, scope=scope)
    except RegisteredModel.DoesNotExist:
        raise Http404(_("No such model.")) from None
    form = PageForm(request.GET)
    valid = form.is_valid()
    listing = selectors.model_versions(model, scope=scope, page=form.page_number) if valid else None
    context = {
        "model": model,
        "form": form,
        "listing": listing,
        "rows": model_version_rows(listing.rows) if listing else [],
        "charts": charts_of(model, scope=scope),
    }
    return render(request, "approvals/model_detail.html", context, status=status_for(valid))
