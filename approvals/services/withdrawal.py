"""A decision PAI's content no longer matches is withdrawn, never sent (docs/architecture.md, invariant 8).

Just before sending a decision the push reads the version from PAI; when a
content field there differs from the approved revision (a console edit since
the last sync), the approver approved something PAI no longer holds. Nothing is
sent: the version goes back to Pending with a `withdrawal` change, its
approvals are dismissed, and it waits in `conflict` for a person to choose
between PAI's values and the approved ones, and then for a new decision.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from approvals.models import ApprovalStatus, Change, ChangeKind, ModelVersion, PushState
from approvals.services import audit_events
from approvals.services.dismissals import approvals_dismiss

WHY = gettext_noop("PAI's content differed from the approved revision when the decision was about to be sent.")


def withdraw_decision(version: ModelVersion, token: str, differences: dict[str, dict[str, Any]]) -> bool:
    """Under the push's lease: withdraw the owed decision, record the conflict, dismiss the approvals.

    False when the lease was lost meanwhile (another worker's outcome counts).
    """
    with transaction.atomic():
        locked = ModelVersion.objects.select_for_update().select_related("model", "workspace").get(pk=version.pk)
        if locked.lease_owner != token:
            return False
        decided = locked.approval_status
        locked.approval_status = ApprovalStatus.PENDING
        locked.revision += 1
        locked.revision_changed_at = timezone.now()
        locked.lease_owner, locked.lease_expires_at = "", None
        locked.push_state, locked.conflict = PushState.CONFLICT, differences
        locked.push_attempts += 1
        locked.save()
        Change.objects.create(
            version=locked,
            revision=locked.revision,
            kind=ChangeKind.WITHDRAWAL,
            author=None,
            fields={"ApprovalStatus": [decided, ApprovalStatus.PENDING]},
            reason=WHY,
        )
        approvals_dismiss(locked, why=WHY, kind=ChangeKind.WITHDRAWAL, revision=locked.revision, author="system")
        audit_events.decision_withdrawn(locked, decided=decided, differences=differences)
    return True
