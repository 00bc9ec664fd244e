"""Demo users for `make run` and trying things out: two teams with their own approvers, and
people who read, edit and audit every workspace, with known passwords.

Idempotent: a second run finds the users, gives them exactly their demo memberships
(through the audited membership services) and resets their passwords to the printed
ones; it creates nothing twice.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from approvals.models import Membership, Workspace
from approvals.pai.emulator.seed import WORKSPACES
from approvals.permissions import APPROVER, AUDITOR, EDITOR, VIEWER
from approvals.services.memberships import membership_grant, membership_revoke

# The emulator's workspaces by name, as `make run` creates them.
DEMO_WORKSPACE_NAMES = dict(zip(WORKSPACES, ("Search & NLP", "Vision", "Speech & Recsys"), strict=True))
NLP, VISION = WORKSPACES[0], WORKSPACES[1]

# username -> (role, WorkspaceId or None for every workspace, is staff and superuser)
DEMO_USERS: dict[str, tuple[str | None, str | None, bool]] = {
    "reviewer": (APPROVER, NLP, False),
    "reviewer2": (APPROVER, NLP, False),
    "vision-reviewer": (APPROVER, VISION, False),
    "vision-viewer": (VIEWER, VISION, False),
    "editor": (EDITOR, None, False),
    "auditor": (AUDITOR, None, False),
    "viewer": (VIEWER, None, False),
    "admin": (None, None, True),
}
BY = "create_demo_users"


def demo_password(username: str) -> str:
    return f"demo-{username}-pass"


def demo_role(username: str) -> str:
    """What the login tables print: "approver of 118493 (Search & NLP)", "editor of every workspace"."""
    role, workspace_id, is_admin = DEMO_USERS[username]
    if is_admin:
        return "administrator (staff)"
    if workspace_id is None:
        return f"{role} of every workspace"
    return f"{role} of {workspace_id} ({DEMO_WORKSPACE_NAMES[workspace_id]})"


def _set_membership(user: Any, role: str | None, workspace: Workspace | None) -> None:
    """Exactly this one membership (or none): others a previous run or a person gave are revoked."""
    for other in Membership.objects.filter(user=user).select_related("workspace"):
        if (other.role, other.workspace_id) != (role, workspace.pk if workspace else None):
            membership_revoke(user=user, role=other.role, workspace=other.workspace, source=other.source, by=BY)
    if role:
        membership_grant(user=user, role=role, workspace=workspace, by=BY)


class Command(BaseCommand):
    help = "Create (or reset) the demo users, two teams and readers of everything, and print their passwords."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="Use this password for every demo user instead of demo-<name>-pass.")

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        rows = []
        with transaction.atomic():
            for username, (role, workspace_id, is_admin) in DEMO_USERS.items():
                user, created = user_model.objects.get_or_create(username=username)
                password = options.get("password") or demo_password(username)
                user.set_password(password)
                user.is_active = True
                user.is_staff = user.is_superuser = is_admin
                # An address for the notification mails (without EMAIL_HOST they are printed to var/worker.log).
                user.email = user.email or f"{username}@example.com"
                user.save()
                workspace = None
                if workspace_id is not None:
                    name = DEMO_WORKSPACE_NAMES[workspace_id]
                    workspace, _ = Workspace.objects.get_or_create(workspace_id=workspace_id, defaults={"name": name})
                _set_membership(user, role, workspace)
                rows.append((username, demo_role(username), password, "created" if created else "updated"))
        self.stdout.write("Demo users (for a local demo only):")
        for username, role, password, state in rows:
            self.stdout.write(f"  {username:<16} {password:<28} {role}  ({state})")
