"""A person's notifications: the inbox page (unread first) and the header's unread count (one query each)."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, IntegerField, Subquery, Value, When
from django.db.models.functions import Coalesce

from approvals.models import Notification, PersonSettings
from approvals.selectors.pagination import DEFAULT_PAGE_SIZE, Page, paginate


def inbox_page(user: Any, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page:
    """The person's notifications with their events, unread first, newest first within each (one query)."""
    unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    rows = (
        Notification.objects.filter(user=user)
        .select_related("event")
        .annotate(unread_first=unread_first)
        .order_by("unread_first", "-created_at", "-id")
    )
    return paginate(rows, page=page, page_size=page_size)


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def unread_count_expression(user: Any) -> Coalesce:
    """unread_count as a subquery, for a page that reads the count with another row (an authenticated user)."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True).order_by().values("user_id")
    count = unread.annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(count, output_field=IntegerField()), Value(0))


def chosen_language(user: Any) -> str:
    """The language the person chose for what is sent to them ("": the one they last used)."""
    row = PersonSettings.objects.filter(user=user).first()
    return row.language if row else ""


def notifications_of(user: Any, *, unread_only: bool = False) -> Any:
    """The person's notifications with their events (for the API's cursor pages, newest first)."""
    rows = Notification.objects.filter(user=user).select_related("event")
    return rows.filter(read_at__isnull=True) if unread_only else rows
