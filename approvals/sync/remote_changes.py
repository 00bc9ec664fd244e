"""A change the sync finds in PAI is a change of the version like any other (docs/architecture.md, invariant 8).

It gets a new revision and a Change of kind `pai` (PAI already holds it, so
nothing is owed for it), so that a page, an edit or a decision made on the
content before it is told the content moved; and it dismisses the approvals of
earlier revisions, which covered content PAI no longer holds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_noop

from approvals.fields import CONTENT_NAMES
from approvals.models import Approval, Change, ChangeKind, ModelVersion, RegisteredModel, Workspace
from approvals.services.dismissals import approvals_dismiss

WHY = gettext_noop("The version was changed in PAI after this approval.")
BATCH_SIZE = 500


def record_remote_changes(
    workspace: Workspace,
    model: RegisteredModel,
    changed: list[tuple[ModelVersion, dict[str, list[Any]]]],
    now: datetime,
) -> None:
    """For each locked row and the fields PAI changed that the sync applied: bump, record, dismiss.

    Call before the rows are saved: their revision (and, when nothing else was
    owed to PAI, their pushed revision) move here.
    """
    if not changed:
        return
    rows = []
    for row, applied in changed:
        nothing_owed = row.revision == row.pushed_revision
        row.revision += 1
        if nothing_owed:
            row.pushed_revision = row.revision
        rows.append(
            Change(version=row, revision=row.revision, kind=ChangeKind.PAI, author=None, fields=applied, pushed_at=now)
        )
    Change.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    approved = set(
        Approval.objects.filter(version__in=[row for row, _ in changed], dismissed_at__isnull=True).values_list(
            "version_id", flat=True
        )
    )
    for row, applied in changed:
        if row.pk in approved and any(name in CONTENT_NAMES for name in applied):
            row.model, row.workspace = model, workspace  # the same ones: the audit event needs no query
            approvals_dismiss(row, why=WHY, kind=ChangeKind.PAI, revision=row.revision, author="PAI")
