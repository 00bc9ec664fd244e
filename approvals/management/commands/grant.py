"""`python manage.py grant USERNAME ROLE [--workspace WORKSPACE_ID]`: give a role, audited."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from approvals.management.commands._memberships import add_membership_arguments, membership_target, where
from approvals.services.memberships import membership_grant


class Command(BaseCommand):
    help = "Give USERNAME the ROLE in one workspace (--workspace) or, without it, in every workspace."

    def add_arguments(self, parser: CommandParser) -> None:
        add_membership_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        user, role, workspace = membership_target(options)
        membership_grant(user=user, role=role, workspace=workspace, by="manage.py grant")
        self.stdout.write(f"{user.get_username()} is {role} in {where(workspace)}.")
