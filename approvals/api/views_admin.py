"""The audit log (auditors and staff, JSON or CSV), starting a sync (staff) and
watching it (anyone signed in)."""

from __future__ import annotations

from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals import audit_selectors
from approvals.forms import AuditFilterForm
from approvals.models import Workspace
from approvals.views import _csv_lines

from . import queries, serializers
from .pagination import Ordering, cursor_page
from .permissions import AuditReaders, Staff
from .schema import RETRY_AFTER, WWW_AUTHENTICATE, errors
from .sync import sync_request
from .validation import cursor_form, valid
from .views import CURSOR, PER_PAGE, client_ip

HEADERS = [RETRY_AFTER, WWW_AUTHENTICATE]
FORMATS = ("json", "csv")


class AuditApi(APIView):
    permission_classes = [*APIView.permission_classes, AuditReaders]

    @extend_schema(
        operation_id="audit_list",
        tags=["audit"],
        summary="The audit log with the audit page's filters: JSON pages (newest first) or all of it as CSV",
        parameters=[
            OpenApiParameter("workspace", str, description="WorkspaceId."),
            OpenApiParameter("model", str, description="ModelId."),
            OpenApiParameter("version", str, description="VersionName."),
            OpenApiParameter("actor", str, description="A username, PAI or system."),
            OpenApiParameter("action", str, description="e.g. version.edited, version.approved, push.done."),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="From this day (the site's time zone)."),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="To this day, inclusive."),
            OpenApiParameter("format", str, enum=list(FORMATS), description="csv: every match, oldest first."),
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
        form = valid(AuditFilterForm(request.query_params))
        paging = valid(cursor_form(request.query_params))
        output = request.query_params.get("format") or "json"
        if output not in FORMATS:
            raise ValidationError({"format": [f"format must be one of {', '.join(FORMATS)}."]})
        if output == "csv":
            response = StreamingHttpResponse(_csv_lines(form.filters()), content_type="text/csv; charset=utf-8")
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
            return response
        page = cursor_page(
            audit_selectors.audit_events(form.filters()),
            Ordering(paths=("seq",), descending=True),
            request=request,
            cursor=paging.cleaned_data["cursor"],
            page_size=paging.page_size,
        )
        rows = serializers.AuditEventOutput(page.items, many=True).data
        return Response({"next": page.next_url, "previous": page.previous_url, "results": rows})


class SyncApi(APIView):
    permission_classes = [*APIView.permission_classes, Staff]

    @extend_schema(
        operation_id="sync_start",
        tags=["sync"],
        summary="Start a sync from PAI (staff); answers where to watch it",
        request=serializers.SyncInput,
        parameters=[
            OpenApiParameter(
                "Location",
                str,
                OpenApiParameter.HEADER,
                description="The workspace to watch, when one was named.",
                response=[202],
            ),
            *HEADERS,
        ],
        responses={202: serializers.SyncOutput, **errors(400, 413, 415)},
    )
    def post(self, request: Request) -> Response:
        body = serializers.SyncInput(data=request.data if request.data is not None else {})
        body.is_valid(raise_exception=True)
        workspace_id = body.validated_data.get("WorkspaceId", "")
        workspaces = sync_request(user=request.user, workspace_id=workspace_id, client_ip=client_ip(request))
        data = serializers.SyncOutput({"workspaces": workspaces}, context={"request": request}).data
        headers = {"Location": data["workspaces"][0]["url"]} if workspace_id else {}
        return Response(data, status=status.HTTP_202_ACCEPTED, headers=headers)


class WorkspaceDetailApi(APIView):
    @extend_schema(
        operation_id="workspace_read",
        tags=["sync"],
        summary="A workspace and the state of its sync",
        parameters=[OpenApiParameter("WorkspaceId", str, OpenApiParameter.PATH), *HEADERS],
        responses={200: serializers.WorkspaceOutput, **errors(404)},
    )
    def get(self, request: Request, WorkspaceId: str) -> Response:
        if "\x00" in WorkspaceId:
            raise Http404
        try:
            workspace = queries.workspace_by_id(WorkspaceId)
        except Workspace.DoesNotExist:
            raise Http404 from None
        return Response(serializers.WorkspaceOutput(workspace, context={"request": request}).data)
