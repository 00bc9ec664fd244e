"""`manage.py check` (and migrate, and the server's start) refuse a single sign-on setup that
cannot work or is unsafe, with the setting to fix."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

from approvals.services.group_roles import compile_pattern


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_configuration(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    problems: list[checks.CheckMessage] = []
    if not settings.OIDC_ENABLED:
        if not settings.LOCAL_LOGIN:
            problems.append(
                checks.Warning(
                    "LOCAL_LOGIN=0 without OIDC_ISSUER: only the break-glass accounts can sign in.",
                    id="approvals.W101",
                )
            )
        return problems
    if not settings.OIDC_RP_CLIENT_ID or not settings.OIDC_RP_CLIENT_SECRET:
        problems.append(
            checks.Error("OIDC_ISSUER is set but OIDC_CLIENT_ID or OIDC_CLIENT_SECRET is not.", id="approvals.E101")
        )
    issuer = urlsplit(settings.OIDC_ISSUER)
    if issuer.scheme != "https" and not (settings.DEBUG or _loopback(issuer.hostname or "")):
        problems.append(
            checks.Error(
                f"OIDC_ISSUER must be an https:// URL ({settings.OIDC_ISSUER}); plain HTTP only on loopback.",
                id="approvals.E102",
            )
        )
    for pattern in settings.OIDC_GROUP_ROLES:
        try:
            compile_pattern(pattern)
        except ValueError as exc:
            problems.append(checks.Error(str(exc), id="approvals.E103"))
    if not settings.LOCAL_LOGIN and not settings.LOCAL_LOGIN_BREAK_GLASS_USERS:
        problems.append(
            checks.Warning(
                "LOCAL_LOGIN=0 with no LOCAL_LOGIN_BREAK_GLASS_USERS: nobody can sign in while the provider is down.",
                id="approvals.W102",
            )
        )
    return problems
