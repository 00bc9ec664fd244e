"""Roles: Django groups named after what their members may do; staff administer.

This issue only reads (any signed-in user) and exports the audit log (auditors
and staff). The next one adds editing and deciding on top of the same helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

VIEWER = "viewer"


EDITOR = "editor"


APPROVER = "approver"


AUDITOR = "auditor"


ROLE_GROUPS = (VIEWER, EDITOR, APPROVER, AUDITOR)


View = Callable[..., HttpResponse]


def user_in_group(user: Any, group_name: str) -> bool:
    """True when a signed-in user belongs to the group (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return False
    # One query per request at most, however many times a page asks.
    cache = getattr(user, "_role_names", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._role_names = cache
    return group_name in cache


def has_role(user: Any, group_name: str) -> bool:
    """Member of the group, or staff (administrators may do everything)."""
    return bool(getattr(user, "is_staff", False) and user.is_active) or user_in_group(user, group_name)


def can_export_audit(user: Any) -> bool:
    return has_role(user, AUDITOR)


def role_required(group_name: str) -> Callable[[View], View]:
    """Anonymous users go to the login page; signed-in users without the role get 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, group_name):
                raise PermissionDenied(_("This needs the %(role)s role.") % {"role": group_name})
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def groups_required(*group_names: str) -> Callable[..., Any]:
    """Members of any of the groups only; staff are not implied, as the services do not imply them."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not any(user_in_group(request.user, name) for name in group_names):
                raise PermissionDenied(_("This needs the %(roles)s role.") % {"roles": " or ".join(group_names)})
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator
