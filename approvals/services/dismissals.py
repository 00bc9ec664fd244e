"""Approvals cover exactly one revision: any later change of the content dismisses them, visibly.

Called in the transaction of the change that dismisses them: an edit, a conflict
resolution, a change a sync brought from PAI, or a push that found PAI's content
differing from what was approved (docs/architecture.md, invariant 8).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from approvals.models import Approval, ModelVersion
from approvals.services import audit_events


def approvals_dismiss(
    version: ModelVersion, *, why: str, kind: str, revision: int, author: str, client_ip: str | None = None
) -> list[Approval]:
    """Dismiss the live approvals of revisions before `revision`; one audit event names them.

    `why` is what a person reads on the version page; `kind`, `revision` and
    `author` say which change dismissed them.
    """
    live = list(
        Approval.objects.select_for_update()
        .filter(version=version, dismissed_at__isnull=True, revision__lt=revision)
        .select_related("approver")
        .order_by("created_at")
    )
    if not live:
        return []
    now = timezone.now()
    Approval.objects.filter(pk__in=[a.pk for a in live]).update(dismissed_at=now, dismissed_reason=why)
    payload: dict[str, Any] = {
        "approvals": [{"approver": a.approver.get_username(), "revision": a.revision} for a in live],
        "why": why,
        "by": {"kind": kind, "revision": revision, "author": author},
    }
    audit_events.approvals_dismissed(version, actor=author, payload=payload, client_ip=client_ip)
    return live
