"""GET /api/audit/: the audit log with the audit page's filters, as JSON pages or all of it as CSV."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.api import serializers
from approvals.api.errors import valid
from approvals.api.pagination import Ordering, cursor_page
from approvals.api.permissions import AuditExporters
from approvals.api.query import PAGING, checked_query
from approvals.api.schema import CURSOR, HEADERS, PER_PAGE, errors
from approvals.display.audit import comment_ids, shown_events
from approvals.selectors import audit as audit_selectors
from approvals.selectors.reviews import retracted_comment_ids
from approvals.web.exports import csv_lines
from approvals.web.forms.filters import AuditFilterForm, cursor_form

FORMATS = ("json", "csv")


class AuditApi(APIView):
    permission_classes = [*APIView.permission_classes, AuditExporters]

    @extend_schema(
        operation_id="audit_list",
        tags=["audit"],
        summary="The audit log with the audit page's filters: JSON pages (newest first) or all of it as CSV",
        description="The events of the workspaces you may read (and your own); client addresses and token names "
        "only for auditors and staff. The CSV export needs the auditor role (or staff).",
        parameters=[
            OpenApiParameter("workspace", str, description="WorkspaceId."),
            OpenApiParameter("model", str, description="ModelId."),
            OpenApiParameter("version", str, description="VersionName."),
            OpenApiParameter("actor", str, description="A username or a person's name, PAI or system."),
            OpenApiParameter("action", str, description="A code (version.approved) or its words (approved)."),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="From this day (the site's time zone)."),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="To this day, inclusive."),
            OpenApiParameter("format", str, enum=list(FORMATS), description="csv: every match, oldest first."),
            OpenApiParameter("excel", str, enum=["1"], description="With format=csv: UTF-8 with a BOM, for Excel."),
            PER_PAGE,
            CURSOR,
            *HEADERS,
        ],
        responses={
            (200, "application/json"): serializers.AuditEventPage,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="With ?format=csv."),
            **errors(400),
        },
    )
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        names = [name for name in AuditFilterForm.base_fields if name not in ("before", "after")]
        query = checked_query(request, (*names, "format", "excel", *PAGING))
        form = valid(AuditFilterForm(query))
        paging = valid(cursor_form(query))
        output = query.get("format") or "json"
        if output not in FORMATS:
            raise ValidationError({"format": [f"format must be one of {', '.join(FORMATS)}."]})
        excel = query.get("excel")
        if excel not in (None, "1"):
            raise ValidationError({"excel": ["excel must be 1 (or left out)."]})
        if output == "csv":
            lines = csv_lines(form.filters(), user=request.user, bom=excel == "1")
            response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
            return response
        reader = audit_selectors.AuditReader.of(request.user)
        page = cursor_page(
            audit_selectors.audit_events(form.filters(), reader=reader),
            Ordering(paths=("seq",), descending=True),
            request=request,
            cursor=paging.cleaned_data["cursor"],
            page_size=paging.page_size,
        )
        retracted = retracted_comment_ids(comment_ids(page.items))
        shown = list(shown_events(page.items, reveal=reader.sees_who_and_where, retracted=retracted))
        rows = serializers.AuditEventOutput(shown, many=True).data
        return Response({"next": page.next_url, "previous": page.previous_url, "results": rows})
