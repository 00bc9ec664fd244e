"""One demo user per role, with known passwords, for `make run` and trying things out.

Idempotent: a second run finds the users, puts them back in their groups and
resets their passwords to the printed ones; it creates nothing twice.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from approvals.models import Membership
from approvals.permissions import APPROVER, AUDITOR, EDITOR, VIEWER

# username -> (group, is staff and superuser)
DEMO_USERS: dict[str, tuple[str | None, bool]] = {
    "reviewer": (APPROVER, False),
    "reviewer2": (APPROVER, False),
    "editor": (EDITOR, False),
    "auditor": (AUDITOR, False),
    "viewer": (VIEWER, False),
    "admin": (None, True),
}


def demo_password(username: str) -> str:
    return f"demo-{username}-pass"


class Command(BaseCommand):
    help = "Create (or reset) one demo user per role and print their passwords. For demos only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="Use this password for every demo user instead of demo-<name>-pass.")

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        rows = []
        with transaction.atomic():
            for username, (group_name, is_admin) in DEMO_USERS.items():
                user, created = user_model.objects.get_or_create(username=username)
                password = options.get("password") or demo_password(username)
                user.set_password(password)
                user.is_active = True
                user.is_staff = user.is_superuser = is_admin
                user.save()
                if group_name:
                    Membership.objects.get_or_create(user=user, role=group_name, workspace=None)
                rows.append((username, group_name or "staff (admin)", password, "created" if created else "updated"))
        self.stdout.write("Demo users (for a local demo only):")
        for username, role, password, state in rows:
            self.stdout.write(f"  {username:<10} {role:<14} password: {password}  ({state})")
