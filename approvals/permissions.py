"""Roles, and the one decorator that checks them (docs/architecture.md, "Who may do what").

A role is what its holders may do: viewers read, editors edit, approvers decide,
auditors export the audit log. Staff (Django's is_staff) administer; staff is
not a role and implies none: a door lets administrators through only where it
names STAFF among the roles it accepts, so every call site says whether staff pass.
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
ROLES = (VIEWER, EDITOR, APPROVER, AUDITOR)
# Not a role: named where administrators may pass a door without holding one.
STAFF = "staff"

View = Callable[..., HttpResponse]


def _held_roles(user: Any) -> set[str]:
    # One query per request at most, however many times a page asks.
    cache = getattr(user, "_role_names", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._role_names = cache
    return cache


def has_role(user: Any, role: str) -> bool:
    """Whether a signed-in, active user holds `role` (STAFF: is staff). No role implies another."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if role == STAFF:
        return bool(user.is_staff)
    return role in _held_roles(user)


def has_any_role(user: Any, roles: tuple[str, ...]) -> bool:
    return any(has_role(user, role) for role in roles)


def can_export_audit(user: Any) -> bool:
    return has_any_role(user, (AUDITOR, STAFF))


def role_required(*roles: str) -> Callable[[View], View]:
    """The view needs one of `roles` (STAFF among them lets staff in). Anonymous: sign in; others: 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_any_role(request.user, roles):
                raise PermissionDenied(_("This needs the %(roles)s role.") % {"roles": " or ".join(roles)})
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator
