"""Local passwords, and the switch that turns them off for everyone but the break-glass accounts.

With LOCAL_LOGIN=0 people sign in through the identity provider only; the accounts named in
LOCAL_LOGIN_BREAK_GLASS_USERS keep their password for when the provider is down. The switch
sits in the authentication backend, so the login page, the admin's login and any other
caller of authenticate() are refused alike, and axes still counts the failures.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

REFUSAL_ATTRIBUTE = "sign_in_refusal"
LOCAL_LOGIN_OFF = "local passwords are off for this account (LOCAL_LOGIN=0)"


def password_allowed(username: Any) -> bool:
    return settings.LOCAL_LOGIN or (isinstance(username, str) and username in settings.LOCAL_LOGIN_BREAK_GLASS_USERS)


class LocalPasswordBackend(ModelBackend):
    def authenticate(self, request: Any, username: Any = None, password: Any = None, **kwargs: Any) -> Any:
        if username is None or password is None:
            return None  # not a password sign-in (the provider's callback)
        if not password_allowed(username):
            if request is not None:
                setattr(request, REFUSAL_ATTRIBUTE, LOCAL_LOGIN_OFF)
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def sign_in_options() -> dict[str, Any]:
    """What the login page offers: the provider's button, and whether the password form is for everyone."""
    return {
        "sso_enabled": settings.OIDC_ENABLED,
        "sso_provider_name": settings.OIDC_PROVIDER_NAME,
        "local_login": settings.LOCAL_LOGIN,
    }
