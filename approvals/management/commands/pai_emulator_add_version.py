"""`python manage.py pai_emulator_add_version --model NAME [--sync]`: a new Pending version in the running
emulator (POST /_emulator/versions, as a training job would register one), then, with --sync, a sync of its
workspace queued for the worker, which tells the workspace's reviewers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from approvals.errors import ApplicationError
from approvals.pai.emulator.control import ControlError, add_version
from approvals.services.workspaces import sync_request

BY = "manage.py pai_emulator_add_version"


class Command(BaseCommand):
    help = (
        "Add a new version (Pending) to a model of the running PAI emulator; with --sync, queue a sync of its "
        "workspace, so the worker finds it and tells the workspace's reviewers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", required=True, metavar="NAME", help="The model's ModelName or ModelId.")
        parser.add_argument("--version-name", metavar="NAME", help="Its VersionName (default: the newest's patch + 1).")
        parser.add_argument("--description", help="Its VersionDescription.")
        parser.add_argument(
            "--emulator", metavar="URL", default=settings.PAI_ENDPOINT, help="The emulator (default: PAI_ENDPOINT)."
        )
        parser.add_argument("--sync", action="store_true", help="Then queue a sync of the model's workspace.")

    def handle(self, *args: Any, **options: Any) -> None:
        body: dict[str, Any] = {"Model": options["model"]}
        if options["version_name"]:
            body["VersionName"] = options["version_name"]
        if options["description"]:
            body["VersionDescription"] = options["description"]
        try:
            version = add_version(options["emulator"], body)
        except ControlError as exc:
            raise CommandError(str(exc)) from None
        workspace_id = version.get("WorkspaceId") or ""
        self.stdout.write(
            f"Added version {version['VersionName']} ({version['ApprovalStatus']}) of {version['ModelName']} "
            f"({version['ModelId']}) in workspace {workspace_id} at {options['emulator']}."
        )
        if not options["sync"]:
            self.stdout.write("The next sync finds it (beat syncs periodically; or pass --sync).")
            return
        try:
            sync_request(user=None, workspace_id=workspace_id, by=BY)
        except ApplicationError as exc:
            raise CommandError(f"The version is added, but no sync was queued: {exc.message}") from None
        self.stdout.write(
            f"Sync of workspace {workspace_id} queued; the worker (make run starts one) finds the version and "
            "tells the workspace's reviewers."
        )
