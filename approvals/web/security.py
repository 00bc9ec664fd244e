"""Sign-in hardening: session expiry, the lockout page, the client address.

Sessions end after SESSION_IDLE_TIMEOUT_SECONDS without a request from the person
and SESSION_COOKIE_AGE after sign-in at the latest. The pages' background polls
(fetch() with `X-Requested-With: fetch`, see static/js) do not count as activity,
so a tab left open on the queue does not keep a session alive forever.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from approvals.web.local_login import sign_in_options

STARTED_KEY = "_session_started"


SEEN_KEY = "_session_seen"


# Writing the session on every request would make each page view a database write.
SEEN_GRANULARITY_SECONDS = 60


POLL_HEADER_VALUE = "fetch"


@receiver(user_logged_in)
def stamp_new_session(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Start the clocks at sign-in, so no page view afterwards has to write the session."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[STARTED_KEY] = now
        request.session[SEEN_KEY] = now


class SessionExpiryMiddleware:
    """Signs out a session that was idle or has lived too long; after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        session = request.session
        now = int(time.time())
        started = session.get(STARTED_KEY)
        seen = session.get(SEEN_KEY)
        if started is None or seen is None:
            # A session from before this middleware: start its clocks now.
            session[STARTED_KEY] = started or now
            session[SEEN_KEY] = now
            return
        if now - seen > settings.SESSION_IDLE_TIMEOUT_SECONDS or now - started > settings.SESSION_COOKIE_AGE:
            # logout() flushes the session row and the user: the view sees an anonymous
            # request, so pages redirect to the login page and the API answers 401/403.
            logout(request)
            return
        is_poll = request.headers.get("X-Requested-With") == POLL_HEADER_VALUE
        if not is_poll and now - seen >= SEEN_GRANULARITY_SECONDS:
            session[SEEN_KEY] = now


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The login page again, saying why and for how long (axes' AXES_LOCKOUT_CALLABLE)."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    message = _(
        "Too many failed sign-ins for this username from your address. "
        "Sign-in is paused for %(minutes)s minutes; try again after that."
    ) % {"minutes": minutes}
    context = {
        "form": AuthenticationForm(request),
        "locked_out": message,
        "next": request.POST.get("next", ""),
        **sign_in_options(),
    }
    return render(request, "registration/login.html", context, status=429)


# axes keeps the attempted username in a 255-character column; the login form does not
# bound what it passes on, and PostgreSQL refuses longer values (a 500). No real username
# is longer than the User model allows, so the cut merges only names nobody has.
USERNAME_KEPT_CHARS = 150


def attempted_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The username a sign-in attempt names, as axes counts it (AXES_USERNAME_CALLABLE)."""
    source = credentials if credentials else getattr(request, "data", request.POST)
    username = source.get("username") if source else None
    return username[:USERNAME_KEPT_CHARS] if isinstance(username, str) else username


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the
    address the outermost proxy saw (X-Forwarded-For entries left of it are the client's say)."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:  # a proxy that passes junk on: keep the address we know
        return remote


def not_a_password_attempt(request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
    """axes counts and locks password sign-ins only (AXES_WHITELIST_CALLABLE). The provider's
    callback also runs authenticate(), without a username: counted per address, a few refused
    people behind one office NAT would lock everyone's single sign-on out."""
    return credentials is not None and "username" not in credentials
