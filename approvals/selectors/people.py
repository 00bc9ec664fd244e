"""Who belongs to a workspace: its members, and those holding one role there (one query each).

A membership without a workspace counts in every workspace; inactive accounts count nowhere."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from approvals.models import Membership, Workspace


def _holders(workspace: Workspace | int, role: str | None) -> QuerySet:
    """The user ids of the memberships there (or in every workspace), of `role` if given."""
    pk = workspace.pk if isinstance(workspace, Workspace) else workspace
    rows = Membership.objects.filter(Q(workspace_id=pk) | Q(workspace__isnull=True))
    return (rows.filter(role=role) if role else rows).values("user_id")


def members(workspace: Workspace | int, *, role: str | None = None) -> QuerySet:
    """Active people holding `role` (None: any role) in the workspace, by username."""
    users = get_user_model().objects.filter(is_active=True)
    return users.filter(pk__in=_holders(workspace, role)).order_by("username")


def members_named(workspace: Workspace | int, usernames: Iterable[str], *, role: str | None = None) -> list[Any]:
    """Those of `usernames` who are members (holding `role`, if given), in one query."""
    names = list(dict.fromkeys(usernames))
    if not names:
        return []
    return list(members(workspace, role=role).filter(username__in=names))


def member_pks(workspace: Workspace | int, pks: Iterable[int]) -> set[int]:
    """Those of the users `pks` who are members of the workspace, in one query."""
    wanted = set(pks)
    if not wanted:
        return set()
    return set(members(workspace).filter(pk__in=wanted).values_list("pk", flat=True))
