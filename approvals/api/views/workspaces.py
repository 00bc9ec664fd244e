"""Starting a sync (staff, POST /api/sync/) and watching a workspace's sync (GET /api/workspaces/<id>)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.api import serializers
from approvals.api.permissions import Staff
from approvals.api.schema import HEADERS, errors
from approvals.models import Workspace
from approvals.permissions import readable
from approvals.selectors import registry as queries
from approvals.services.workspaces import sync_request
from approvals.web.security import client_ip


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
            workspace = queries.workspace_by_id(WorkspaceId, scope=readable(request.user))
        except Workspace.DoesNotExist:
            raise Http404 from None
        return Response(serializers.WorkspaceOutput(workspace, context={"request": request}).data)
