"""Walk the audit hash chain: `OK <n> events`, or the first problem and exit 1."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from approvals.services.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit 1 naming the first edited, removed or reordered event."

    def handle(self, *args, **options) -> None:
        report = verify_chain()
        if not report.ok:
            extra = len(report.problems) - 1
            more = f" ({extra} more problem{'s' if extra != 1 else ''} after it)" if extra else ""
            # CommandError prints to stderr and exits 1.
            raise CommandError(f"FAILED after checking {report.checked} events: {report.problems[0]}{more}")
        self.stdout.write(f"OK {report.checked} events")
