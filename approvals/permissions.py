"""Roles held in workspaces, and the one decorator that checks them (docs/architecture.md, "Who may do what").

A role is what its holders may do: viewers read, editors edit, approvers decide,
auditors export the audit log and see who acted from where. A person holds a
role in named workspaces, or in every workspace (a membership without a
workspace: what the roles' groups used to be). They read only the workspaces
they hold some role in; anything outside them answers 404, as if it did not exist.

Staff (Django's is_staff) administer and read every workspace. Staff is not a
role and implies none: a door lets administrators through only where it names
STAFF among the roles it accepts, so every call site says whether staff pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from approvals.models import Membership, Role, Workspace

VIEWER = Role.VIEWER.value
EDITOR = Role.EDITOR.value
APPROVER = Role.APPROVER.value
AUDITOR = Role.AUDITOR.value
ROLES: tuple[str, ...] = tuple(Role.values)
# Not a role: named where administrators may pass a door without holding one.
STAFF = "staff"

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class Scope:
    """The workspaces a person may read: all of them, or these primary keys (maybe none)."""

    everything: bool
    pks: frozenset[int] = frozenset()

    def allows(self, workspace_pk: int | None) -> bool:
        return self.everything or workspace_pk in self.pks

    def filter(self, queryset: QuerySet, path: str = "workspace") -> QuerySet:
        """Rows of `queryset` inside the scope; `path` leads from a row to its Workspace."""
        return queryset if self.everything else queryset.filter(**{f"{path}__in": self.pks})

    def workspace_ids(self) -> QuerySet | None:
        """PAI's WorkspaceIds inside the scope (for tables that name workspaces by id), None for all."""
        if self.everything:
            return None
        return Workspace.objects.filter(pk__in=self.pks).values_list("workspace_id", flat=True)


EVERYTHING = Scope(everything=True)
NOTHING = Scope(everything=False)


def _grants(user: Any) -> dict[int | None, set[str]]:
    """{workspace pk, or None for every workspace: roles}, read once per request (cached on the user)."""
    cache = getattr(user, "_role_grants", None)
    if cache is None:
        cache = {}
        for workspace_pk, role in Membership.objects.filter(user=user).values_list("workspace_id", "role"):
            cache.setdefault(workspace_pk, set()).add(role)
        user._role_grants = cache
    return cache


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _pk(workspace: Workspace | int | None) -> int | None:
    return workspace.pk if isinstance(workspace, Workspace) else workspace


def has_role(user: Any, role: str, workspace: Workspace | int | None = None) -> bool:
    """Whether the user holds `role` in `workspace` (given: there; None: in every workspace).

    STAFF asks whether the user is staff. No role implies another.
    """
    if not _active(user):
        return False
    if role == STAFF:
        return bool(user.is_staff)
    grants = _grants(user)
    return role in grants.get(None, ()) or (workspace is not None and role in grants.get(_pk(workspace), ()))


def has_role_somewhere(user: Any, role: str) -> bool:
    """Whether the user holds `role` in at least one workspace (or STAFF: is staff)."""
    if not _active(user):
        return False
    if role == STAFF:
        return bool(user.is_staff)
    return any(role in roles for roles in _grants(user).values())


def has_any_role(user: Any, roles: Iterable[str], workspace: Workspace | int | None = None) -> bool:
    return any(has_role(user, role, workspace) for role in roles)


def readable(user: Any) -> Scope:
    """The workspaces the user may read: those they hold any role in (staff: all)."""
    if not _active(user):
        return NOTHING
    grants = _grants(user)
    if user.is_staff or grants.get(None):
        return EVERYTHING
    return Scope(everything=False, pks=frozenset(pk for pk, roles in grants.items() if roles))


def scope_of_role(user: Any, role: str) -> Scope:
    """The workspaces where the user holds `role` (a role held everywhere: all of them)."""
    if not _active(user):
        return NOTHING
    grants = _grants(user)
    if role in grants.get(None, ()):
        return EVERYTHING
    return Scope(
        everything=False, pks=frozenset(pk for pk, roles in grants.items() if pk is not None and role in roles)
    )


def sees_who_and_where(user: Any) -> bool:
    """Client addresses and token names in the audit log: those who may export it (auditors, staff)."""
    return can_export_audit(user)


def can_export_audit(user: Any) -> bool:
    return has_role_somewhere(user, AUDITOR) or has_role(user, STAFF)


def role_required(*roles: str) -> Callable[[View], View]:
    """The view needs one of `roles` in some workspace (STAFF among them lets staff in).

    Anonymous users go to sign in; others without the role get 403. Whether the
    role is held where the object lives is the lookup's and the service's to say.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not any(has_role_somewhere(request.user, role) for role in roles):
                raise PermissionDenied(_("This needs the %(roles)s role.") % {"roles": " or ".join(roles)})
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def memberships_of(user: Any) -> list[dict[str, Any]]:
    """[{"workspace": WorkspaceId or None for all, "role": ..., "source": ...}] for /api/me/ and the admin."""
    # Every-workspace memberships first, on SQLite and PostgreSQL alike (they sort NULLs differently).
    by_workspace = F("workspace__workspace_id").asc(nulls_first=True)
    rows = Membership.objects.filter(user=user).select_related("workspace").order_by(by_workspace, "role")
    return [
        {"workspace": m.workspace.workspace_id if m.workspace else None, "role": m.role, "source": m.source}
        for m in rows
    ]


def forget_grants(user: Any) -> None:
    """Drop the cached grants (after a grant or revoke in the same request)."""
    user.__dict__.pop("_role_grants", None)
