"""Granting and revoking roles, in a workspace or in all of them; each change is audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from approvals.errors import ApplicationError
from approvals.models import Membership, MembershipSource, Role, Workspace
from approvals.permissions import forget_grants
from approvals.services import audit_events


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ApplicationError(
            _("%(role)s is not a role; the roles are %(roles)s.") % {"role": role, "roles": ", ".join(Role.values)},
            field="role",
        )


def membership_grant(
    *,
    user: Any,
    role: str,
    workspace: Workspace | None = None,
    by: str,
    source: str = MembershipSource.MANUAL,
    client_ip: str | None = None,
) -> Membership:
    """Give `user` the role in `workspace` (None: every workspace); granting twice is harmless."""
    _check_role(role)
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(user=user, role=role, workspace=workspace, source=source)
        if created:
            audit_events.membership_changed(membership, granted=True, by=by, client_ip=client_ip)
    forget_grants(user)
    return membership


def membership_revoke(
    *,
    user: Any,
    role: str,
    workspace: Workspace | None = None,
    by: str,
    source: str | None = None,
    client_ip: str | None = None,
) -> int:
    """Take the role away (of every source, unless one is named); returns how many memberships ended."""
    _check_role(role)
    with transaction.atomic():
        rows = Membership.objects.select_for_update(of=("self",)).filter(user=user, role=role, workspace=workspace)
        if source is not None:
            rows = rows.filter(source=source)
        ended = list(rows.select_related("workspace"))
        for membership in ended:
            audit_events.membership_changed(membership, granted=False, by=by, client_ip=client_ip)
            membership.delete()
    forget_grants(user)
    return len(ended)
