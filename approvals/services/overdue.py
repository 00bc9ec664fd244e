"""Reviews past their due time: recorded once per version (review.overdue), which tells the
assignee, or the workspace's approvers when nobody is assigned (services/recipients.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from approvals.models import ModelVersion
from approvals.selectors.reviews import overdue_condition, review_hours
from approvals.services import audit_events

BATCH = 500


def overdue_reviews_record(*, now: datetime | None = None) -> int:
    """Record review.overdue for every Pending version past due that has none yet; how many."""
    now = now or timezone.now()
    hours, default = review_hours()
    ids = list(
        ModelVersion.objects.filter(overdue_condition(now), overdue_recorded_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    recorded = 0
    for pk in ids:
        with transaction.atomic():
            # The conditional UPDATE is the claim: a second beat finds it taken.
            if not ModelVersion.objects.filter(pk=pk, overdue_recorded_at__isnull=True).update(overdue_recorded_at=now):
                continue
            version = ModelVersion.objects.select_related("model", "workspace").get(pk=pk)
            due = version.pending_since + timedelta(hours=hours.get(version.workspace_id, default))
            audit_events.review_overdue(version, due_at=due)
            recorded += 1
    return recorded
