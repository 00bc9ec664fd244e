"""`python manage.py revoke USERNAME ROLE [--workspace WORKSPACE_ID]`: take a role away, audited."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from approvals.management.commands._memberships import add_membership_arguments, membership_target, where
from approvals.services.memberships import membership_revoke


class Command(BaseCommand):
    help = (
        "Take the ROLE away from USERNAME in one workspace (--workspace) or, without it, the membership for "
        "every workspace. A role held per workspace is revoked per workspace."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_membership_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        user, role, workspace = membership_target(options)
        ended = membership_revoke(user=user, role=role, workspace=workspace, by="manage.py revoke")
        if not ended:
            raise CommandError(f"{user.get_username()} does not hold {role} in {where(workspace)}; nothing changed.")
        self.stdout.write(f"{user.get_username()} is no longer {role} in {where(workspace)}.")
