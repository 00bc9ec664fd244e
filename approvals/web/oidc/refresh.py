"""Ends a session signed in through the provider at the first request after the provider
refuses to renew it.

Every OIDC_RENEW_SECONDS (sooner if the access token lives less) the middleware asks the
provider's token endpoint for new tokens with the session's refresh token, on the server,
so it works for page views, form posts and the API alike (mozilla-django-oidc's
SessionRefresh redirects the browser instead, which only a GET can follow). A refusal
(the person was disabled or signed out there, or their grant revoked) signs the session
out, audited; with OIDC_REFUSAL_DEACTIVATES the account is deactivated too. When the
provider cannot be reached the session goes on and is checked again a minute later: an
outage of the provider does not sign everybody out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import requests
from django.conf import settings
from django.contrib.auth import logout
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from requests.auth import HTTPBasicAuth

from approvals.services.identity import provider_session_refused
from approvals.web.oidc.discovery import ProviderUnavailable, provider_endpoints
from approvals.web.oidc.session import REFRESH_TOKEN_KEY, RENEW_AT_KEY, store_provider_tokens
from approvals.web.security import client_ip

logger = logging.getLogger(__name__)

RETRY_AFTER_OUTAGE_SECONDS = 60
RENEWAL_LOCK_SECONDS = 30


class ProviderSessionRefreshMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and request.session.get(RENEW_AT_KEY, float("inf")) <= time.time():
            # One renewal per session at a time: a page and its polls arrive together, and a
            # provider that rotates refresh tokens refuses the second use of the same one.
            lock = f"oidc-renew:{request.session.session_key}"
            if cache.add(lock, 1, timeout=RENEWAL_LOCK_SECONDS):
                try:
                    self._renew(request)
                finally:
                    cache.delete(lock)
        return self.get_response(request)

    def _renew(self, request: HttpRequest) -> None:
        session = request.session
        refresh_token = session.get(REFRESH_TOKEN_KEY)
        if not refresh_token:
            # The provider gave no refresh token (ask for offline_access): the session lives to its
            # maximum age, SESSION_MAX_AGE_SECONDS, with nothing to renew in between.
            del session[RENEW_AT_KEY]
            return None
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": settings.OIDC_RP_CLIENT_ID}
        auth = None
        if settings.OIDC_TOKEN_USE_BASIC_AUTH:
            auth = HTTPBasicAuth(settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET)
        else:
            data["client_secret"] = settings.OIDC_RP_CLIENT_SECRET
        try:
            token_endpoint = provider_endpoints().token
            response = requests.post(token_endpoint, data=data, auth=auth, timeout=settings.OIDC_TIMEOUT)
        except (requests.RequestException, ProviderUnavailable) as exc:
            logger.warning("session renewal: provider unavailable: %s", exc)
            session[RENEW_AT_KEY] = int(time.time()) + RETRY_AFTER_OUTAGE_SECONDS
            return None
        if 400 <= response.status_code < 500:
            try:
                body = response.json()
            except ValueError:
                body = {}
            error = str(body.get("error", ""))[:100] if isinstance(body, dict) else ""
            return self._refused(request, f"the provider refused to renew the session ({response.status_code} {error})")
        if response.status_code != 200:
            logger.warning("session renewal: provider answered %s", response.status_code)
            session[RENEW_AT_KEY] = int(time.time()) + RETRY_AFTER_OUTAGE_SECONDS
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("access_token"):
            return self._refused(request, "the provider's renewal answer had no access token")
        store_provider_tokens(session, body)
        return None

    @staticmethod
    def _refused(request: HttpRequest, reason: str) -> None:
        provider_session_refused(user=request.user, reason=reason, client_ip=client_ip(request))
        # logout() flushes the session and makes the request anonymous: the page sends the
        # person to sign in, the API answers 401/403.
        logout(request)
