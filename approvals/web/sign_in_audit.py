"""Every sign-in and every failed sign-in is an audit event (signin.succeeded, signin.failed).

Password sign-ins are recorded from Django's signals, so the login page and the admin's
login are covered alike; the provider's failures are recorded by its callback view, which
knows why (approvals/web/oidc/views.py), and its successes here with the roles it changed.
A login with no request behind it (a session made on the server, as tests and
Client.force_login do) is no sign-in and is not recorded.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from approvals.services.identity import PASSWORD, PROVIDER, sign_in_failure_record, sign_in_record
from approvals.web.local_login import REFUSAL_ATTRIBUTE
from approvals.web.oidc.backend import SIGN_IN_ATTRIBUTE
from approvals.web.security import attempted_username, client_ip

WRONG_CREDENTIALS = "wrong username or password"
LOCKED_OUT = "locked out after too many failures"


@receiver(user_logged_in, dispatch_uid="approvals.sign_in_audit.signed_in")
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None or not request.path:
        return
    outcome = getattr(request, SIGN_IN_ATTRIBUTE, None)
    if outcome is not None and outcome.user == user:
        sign_in_record(user=user, method=PROVIDER, details=outcome.details(), client_ip=client_ip(request))
    else:
        sign_in_record(user=user, method=PASSWORD, client_ip=client_ip(request))


@receiver(user_login_failed, dispatch_uid="approvals.sign_in_audit.sign_in_failed")
def _sign_in_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    if request is None or "username" not in credentials:
        return  # the provider's callback audits its own failures, with the reason
    username = attempted_username(request, credentials) or ""
    if getattr(request, "axes_locked_out", False):
        reason = LOCKED_OUT
    else:
        reason = getattr(request, REFUSAL_ATTRIBUTE, None) or WRONG_CREDENTIALS
    sign_in_failure_record(username=username, method=PASSWORD, reason=reason, client_ip=client_ip(request))
