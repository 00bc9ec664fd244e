"""Write a signed checkpoint of the audit log's newest event to every configured sink, now."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from approvals.errors import ApplicationError
from approvals.services.audit_checkpoints import checkpoint_write
from approvals.services.audit_sinks import configured_sinks


class Command(BaseCommand):
    help = "Sign the audit log's newest seq and hash into a checkpoint in AUDIT_CHECKPOINT_DIR and/or the S3 bucket."

    def handle(self, *args, **options) -> None:
        sinks = configured_sinks()
        if not sinks:
            raise CommandError(
                "No checkpoint sink is configured: set AUDIT_CHECKPOINT_DIR or AUDIT_CHECKPOINT_S3_BUCKET."
            )
        try:
            written = checkpoint_write(sinks=sinks)
        except (ApplicationError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from None
        if not written:
            self.stdout.write("The audit log is empty: there is nothing to checkpoint yet.")
        for location in written:
            self.stdout.write(f"Checkpoint written: {location}")
