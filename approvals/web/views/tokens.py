"""The API tokens page: a signed-in user creates (name → token shown once), lists and
revokes their own tokens. The writes are the services in approvals.services.tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from approvals.errors import ApplicationError
from approvals.services.tokens import api_token_create, api_token_revoke, api_tokens_of
from approvals.web.forms.tokens import TokenCreateForm
from approvals.web.security import client_ip


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """GET: the user's tokens and the form. POST: create one and show it, this once."""
    form = TokenCreateForm(request.POST or None)
    created, raw, status = None, "", 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created, raw = api_token_create(
                    user=request.user, name=form.cleaned_data["name"], client_ip=client_ip(request)
                )
            except ApplicationError as exc:
                form.add_error("name" if exc.field == "name" else None, exc.message)
                status = 400
            else:
                form = TokenCreateForm()
        else:
            status = 400
    context = {
        "form": form,
        "tokens": api_tokens_of(request.user),
        "created": created,
        "raw_token": raw,
        "max_age_days": settings.API_TOKEN_MAX_AGE_DAYS,
    }
    response = render(request, "approvals/tokens.html", context, status=status)
    if raw:
        # The token is on this page only: no cache may keep a copy.
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = api_token_revoke(user=request.user, token_id=token_id, client_ip=client_ip(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Token “%(name)s” revoked; it no longer works.") % {"name": token.name})
    return redirect("token_list")
