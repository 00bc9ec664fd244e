"""The caller's own notifications: list (newest first, or unread only), mark one or all read.
Another person's notification does not exist for the caller (404)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.api import review_serializers
from approvals.api.errors import valid
from approvals.api.pagination import Ordering, cursor_page
from approvals.api.query import PAGING, checked_query
from approvals.api.schema import CURSOR, HEADERS, PER_PAGE, errors
from approvals.errors import ApplicationError
from approvals.selectors.inbox import notifications_of
from approvals.services.inbox import notification_mark_read, notifications_mark_all_read
from approvals.web.forms.filters import cursor_form


class NotificationListApi(APIView):
    @extend_schema(
        operation_id="notifications_list",
        tags=["notifications"],
        summary="Your notifications, newest first (unread=1: only the unread ones)",
        parameters=[OpenApiParameter("unread", str, enum=["1"]), PER_PAGE, CURSOR, *HEADERS],
        responses={200: review_serializers.NotificationPage, **errors(400)},
    )
    def get(self, request: Request) -> Response:
        query = checked_query(request, ("unread", *PAGING))
        if query.getlist("unread") not in ([], ["1"]):
            # Anything else would answer every notification as if it had filtered.
            raise ValidationError({"unread": ["unread is 1 (only the unread ones), or left out for all."]})
        paging = valid(cursor_form(query))
        page = cursor_page(
            notifications_of(request.user, unread_only=query.get("unread") == "1"),
            Ordering(paths=("id",), descending=True),
            request=request,
            cursor=paging.cleaned_data["cursor"],
            page_size=paging.page_size,
        )
        rows = review_serializers.NotificationOutput(page.items, many=True).data
        return Response({"next": page.next_url, "previous": page.previous_url, "results": rows})


class NotificationReadApi(APIView):
    @extend_schema(
        operation_id="notification_mark_read",
        tags=["notifications"],
        summary="Mark one of your notifications read",
        parameters=[OpenApiParameter("notification_id", int, OpenApiParameter.PATH), *HEADERS],
        request=None,
        responses={200: review_serializers.NotificationOutput, **errors(404)},
    )
    def post(self, request: Request, notification_id: str) -> Response:
        if not (notification_id.isascii() and notification_id.isdigit() and len(notification_id) < 19):
            raise Http404
        try:
            notification = notification_mark_read(user=request.user, notification_id=int(notification_id))
        except ApplicationError:
            raise Http404 from None
        notification.refresh_from_db()
        return Response(review_serializers.NotificationOutput(notification).data)


class NotificationReadAllApi(APIView):
    @extend_schema(
        operation_id="notifications_mark_all_read",
        tags=["notifications"],
        summary="Mark all your notifications read; answers how many were unread",
        parameters=[*HEADERS],
        request=None,
        responses={200: review_serializers.MarkedReadOutput},
    )
    def post(self, request: Request) -> Response:
        return Response({"marked_read": notifications_mark_all_read(user=request.user)})
