"""What `grant` and `revoke` share: reading USERNAME ROLE [--workspace WORKSPACE_ID] into objects."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser

from approvals.models import Role, Workspace


def add_membership_arguments(parser: CommandParser) -> None:
    parser.add_argument("username")
    parser.add_argument("role", help=f"One of {', '.join(Role.values)}.")
    parser.add_argument(
        "--workspace", metavar="WORKSPACE_ID", default=None, help="PAI's WorkspaceId; without it: every workspace."
    )


def membership_target(options: dict[str, Any]) -> tuple[Any, str, Workspace | None]:
    """(user, role, workspace or None), or CommandError saying what is unknown."""
    username, role, workspace_id = options["username"], options["role"], options["workspace"]
    try:
        user = get_user_model().objects.get_by_natural_key(username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"There is no user {username!r}.") from None
    if role not in Role.values:
        raise CommandError(f"{role!r} is not a role; the roles are {', '.join(Role.values)}.")
    workspace = None
    if workspace_id is not None:
        workspace = Workspace.objects.filter(workspace_id=workspace_id).first()
        if workspace is None:
            known = ", ".join(Workspace.objects.order_by("workspace_id").values_list("workspace_id", flat=True)[:20])
            raise CommandError(f"There is no workspace {workspace_id!r}; known: {known or 'none yet (sync first)'}.")
    return user, role, workspace


def where(workspace: Workspace | None) -> str:
    return f"workspace {workspace.workspace_id}" if workspace else "every workspace"
