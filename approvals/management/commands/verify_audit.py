"""Verify the audit log: `OK <n> events` and what it was checked against, or the first problem and exit 1."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from approvals.services.audit import verify_chain
from approvals.services.audit_checkpoints import checkpoints_verify
from approvals.services.audit_sinks import configured_sinks

# Beyond these, problems are counted, not listed: one edit breaks every later link.
LISTED_PROBLEMS = 20


class Command(BaseCommand):
    help = (
        "Verify the audit log's HMAC chain and every signed checkpoint in the configured sinks; "
        "exit 1 naming the first edited, removed, reordered or cut-off event, or a rewritten chain."
    )

    def handle(self, *args, **options) -> None:
        try:
            chain = verify_chain()
            sinks = configured_sinks()
            checkpoints = checkpoints_verify(sinks=sinks) if sinks else None
        except ImproperlyConfigured as exc:
            raise CommandError(f"FAILED: {exc}") from None
        problems = chain.problems + (checkpoints.problems if checkpoints else [])
        if problems:
            for problem in problems[1:LISTED_PROBLEMS]:
                self.stderr.write(problem)
            extra = len(problems) - 1
            more = f" ({extra} more problem{'s' if extra != 1 else ''} after it)" if extra else ""
            # CommandError prints to stderr and exits 1.
            raise CommandError(f"FAILED after checking {chain.checked} events: {problems[0]}{more}")
        self.stdout.write(f"OK {chain.checked} events")
        if chain.unkeyed:
            self.stdout.write(
                f"unkeyed: {chain.unkeyed} events (#1 to #{chain.last_unkeyed_seq}) were hashed with plain SHA-256 "
                "before the chain was keyed; their order is checked, but anyone who can write the database could "
                "have recomputed them"
            )
        if checkpoints is None:
            self.stderr.write(
                "warning: no checkpoint sink is configured (AUDIT_CHECKPOINT_DIR, AUDIT_CHECKPOINT_S3_BUCKET): "
                "a cut-off end, or a rewrite by someone who has the HMAC key, cannot be detected"
            )
        elif checkpoints.newest is None:
            self.stderr.write(f"warning: no checkpoint found in {', '.join(checkpoints.sources)}")
        else:
            newest = checkpoints.newest
            self.stdout.write(
                f"checkpoints: {checkpoints.read} match the log ({', '.join(checkpoints.sources)}); "
                f"the newest names event #{newest.seq}, signed {newest.created_at}"
            )
