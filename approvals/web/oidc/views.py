"""Starting and finishing sign-in through the provider, and its sign-out.

The start (mozilla-django-oidc's view) sends the browser to the provider with a fresh
state, nonce and PKCE challenge (S256), kept in the session. The callback accepts a state
only once; a forged, replayed or unknown state, a provider's refusal, an ID token that
fails a check, and an account that may not sign in all end on the login page with a
message, each audited as signin.failed with its reason.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from approvals.services.identity import PROVIDER, sign_in_failure_record
from approvals.web.local_login import REFUSAL_ATTRIBUTE
from approvals.web.oidc.backend import REFUSED_NAME_ATTRIBUTE
from approvals.web.oidc.discovery import ProviderUnavailable, provider_endpoints
from approvals.web.oidc.session import ID_TOKEN_KEY
from approvals.web.security import client_ip

logger = logging.getLogger(__name__)

# The provider's error and its description, as much as the audit log keeps of them.
PROVIDER_TEXT_MAX = 200


def _unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.warning("identity provider unavailable: %s", exc)
    messages.error(
        request,
        _("%(provider)s cannot be reached just now; try again in a minute.")
        % {"provider": settings.OIDC_PROVIDER_NAME},
    )
    return HttpResponseRedirect(resolve_url("login"))


class SignInStartView(OIDCAuthenticationRequestView):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not the library's __init__: the authorization endpoint comes from discovery, in get().
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_endpoints().authorization
        except ProviderUnavailable as exc:
            return _unavailable(request, exc)
        return super().get(request)


class SignInCallbackView(OIDCAuthenticationCallbackView):
    @property
    def failure_url(self) -> str:
        return resolve_url(settings.LOGIN_REDIRECT_URL_FAILURE)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404
        try:
            return super().get(request)
        except SuspiciousOperation as exc:
            # A state this browser never started (forged, replayed, from another session), or an
            # ID token that failed a check. The state, if it was ours, is spent already.
            return self._refused(str(exc), shown=_("The sign-in could not be verified; please start again."))
        except ProviderUnavailable as exc:
            self._audit(f"provider unavailable: {exc}")
            return _unavailable(request, exc)
        except requests.RequestException as exc:
            # The token endpoint refused the code (used, expired, PKCE verifier wrong) or did not answer.
            return self._refused(f"token request failed: {str(exc)[:PROVIDER_TEXT_MAX]}")

    def login_failure(self) -> HttpResponse:
        error = self.request.GET.get("error")
        if error:
            description = self.request.GET.get("error_description", "")
            reason = f"the provider refused: {error} {description}".strip()[:PROVIDER_TEXT_MAX]
            return self._refused(reason)
        refusal = getattr(self.request, REFUSAL_ATTRIBUTE, None)
        if refusal:
            return self._refused(refusal, shown=refusal)
        user = getattr(self, "user", None)
        if user is not None and not user.is_active:
            return self._refused("account deactivated", shown=_("This account is deactivated; ask an administrator."))
        return self._refused("no sign-in in progress in this browser (state or session missing)")

    def _audit(self, reason: str) -> None:
        # Before the ID token is verified nobody is known: the event's actor is then "anonymous".
        username = getattr(self.request, REFUSED_NAME_ATTRIBUTE, "")
        sign_in_failure_record(username=username, method=PROVIDER, reason=reason, client_ip=client_ip(self.request))

    def _refused(self, reason: str, *, shown: str | None = None) -> HttpResponse:
        self._audit(reason)
        message = shown or _("%(provider)s did not sign you in.") % {"provider": settings.OIDC_PROVIDER_NAME}
        messages.error(self.request, message)
        return HttpResponseRedirect(self.failure_url)


def provider_logout_url(request: HttpRequest) -> str:
    """Where sign-out goes (OIDC_OP_LOGOUT_URL_METHOD): the provider's end-session endpoint for a
    session signed in there, when it offers one; back to the login page otherwise."""
    back = resolve_url(settings.LOGOUT_REDIRECT_URL)
    id_token = request.session.get(ID_TOKEN_KEY)
    if not id_token:
        return back
    try:
        end_session = provider_endpoints().end_session
    except ProviderUnavailable:
        end_session = ""
    if not end_session:
        return back
    query = {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": request.build_absolute_uri(back),
        "client_id": settings.OIDC_RP_CLIENT_ID,
    }
    separator = "&" if "?" in end_session else "?"
    return f"{end_session}{separator}{urlencode(query)}"
