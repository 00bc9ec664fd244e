"""`python manage.py sync_pai [--workspace ID]`: mirror PAI's models and versions, with a progress bar."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from approvals.errors import ApplicationError
from approvals.models import Workspace
from approvals.sync import SyncResult, ensure_configured_workspaces, sync_workspace


class Command(BaseCommand):
    help = "Pull every model and version of the configured PAI workspaces (or one) into the dashboard."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--workspace", metavar="ID", help="PAI workspace id; default: every workspace")

    def handle(self, *args, workspace: str | None = None, **options) -> None:
        ensure_configured_workspaces()
        workspaces = Workspace.objects.order_by("workspace_id")
        if workspace:
            workspaces = workspaces.filter(workspace_id=workspace)
            if not workspaces:
                raise CommandError(
                    f"No workspace {workspace}; add it in admin or to PAI_WORKSPACE_IDS (known: "
                    f"{', '.join(Workspace.objects.values_list('workspace_id', flat=True)) or 'none'})."
                )
        failures = []
        for ws in workspaces:
            try:
                result = self._sync(ws)
            except ApplicationError as exc:
                # Go on with the other workspaces; fail at the end, naming every failure.
                failures.append(exc.message)
                result = getattr(exc, "result", None)
                if result is not None:
                    self.stdout.write(f"{_summary(result)} before it failed")
                continue
            self.stdout.write(self.style.SUCCESS(_summary(result)))
        if failures:
            raise CommandError("\n".join(failures), returncode=1)

    def _sync(self, workspace: Workspace) -> SyncResult:
        with tqdm(desc=workspace.workspace_id, unit="model", file=self.stderr._out, dynamic_ncols=True) as bar:

            def on_progress(result: SyncResult) -> None:
                bar.total = result.models_total
                bar.update(result.models - bar.n)
                bar.set_postfix(versions=result.versions, refresh=False)

            return sync_workspace(workspace=workspace, on_progress=on_progress)


def _summary(result: SyncResult) -> str:
    return (
        f"{result.workspace_id}: {result.models} models, {result.versions} versions, {result.created} created, "
        f"{result.changed} changed, {result.gone} gone ({result.seconds:.1f}s)"
    )
