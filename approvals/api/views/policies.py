"""A workspace's approval policy: read it and replace it (staff, GET and PUT /api/workspaces/<id>/policy)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.api.policy_serializers import PolicyInput, PolicyOutput
from approvals.api.schema import HEADERS, errors
from approvals.models import Workspace
from approvals.permissions import EVERYTHING, STAFF, has_role
from approvals.selectors import registry as queries
from approvals.selectors.policies import policy_values
from approvals.services.policies import RULES, policy_update
from approvals.web.security import client_ip

# GET's answer may be sent back whole: these read-only keys are dropped, not refused.
READ_ONLY = ("WorkspaceId", "required_approvers_in_force", "review_hours_in_force")
WORKSPACE = OpenApiParameter("WorkspaceId", str, OpenApiParameter.PATH, description="PAI's WorkspaceId.")
EXAMPLE = {
    "required_approvers": 2,
    "separation_of_duties": True,
    "reason_required_on_approval": True,
    "editable_after_decision": ["VersionDescription"],
    "gates": [{"metric": "cer", "dataset": "d-test", "higher_is_better": False, "max_regression": 0.01}],
}


class StaffOnly(BasePermission):
    message = "Only administrators (staff) can read or change a workspace's policy."

    def has_permission(self, request: Any, view: Any) -> bool:
        return has_role(request.user, STAFF)


def _workspace(workspace_id: str) -> Workspace:
    if "\x00" in workspace_id:
        raise Http404
    try:
        return queries.workspace_by_id(workspace_id, scope=EVERYTHING)  # staff only: they read every workspace
    except Workspace.DoesNotExist:
        raise Http404 from None


def _answer(workspace: Workspace) -> dict[str, Any]:
    values = policy_values(workspace)
    in_force = values["required_approvers"] or settings.APPROVALS_REQUIRED_APPROVERS
    hours = values["review_hours"] or settings.APPROVALS_REVIEW_HOURS
    answer = {"WorkspaceId": workspace.workspace_id, "required_approvers_in_force": in_force, **values}
    return PolicyOutput({**answer, "review_hours_in_force": hours}).data


class WorkspacePolicyApi(APIView):
    permission_classes = [*APIView.permission_classes, StaffOnly]

    @extend_schema(
        operation_id="workspace_policy_read",
        tags=["policies"],
        summary="A workspace's approval policy and metric gates (staff)",
        parameters=[WORKSPACE, *HEADERS],
        responses={200: PolicyOutput, **errors(404)},
    )
    def get(self, request: Request, WorkspaceId: str) -> Response:
        return Response(_answer(_workspace(WorkspaceId)))

    @extend_schema(
        operation_id="workspace_policy_replace",
        tags=["policies"],
        summary="Replace a workspace's approval policy and metric gates (staff; audited)",
        description="Every rule is required; `gates` replaces the workspace's gates. A bad value is a 400 naming "
        "it in `fields` (e.g. `required_approvers`, `gates.0.max_regression`). GET's answer may be sent back "
        "as it is: its read-only fields are ignored.",
        request=PolicyInput,
        parameters=[WORKSPACE, *HEADERS],
        responses={200: PolicyOutput, **errors(400, 404, 413, 415)},
        examples=[OpenApiExample("Two approvers and a gate on CER", value=EXAMPLE, request_only=True)],
    )
    def put(self, request: Request, WorkspaceId: str) -> Response:
        workspace = _workspace(WorkspaceId)
        body = request.data
        if not isinstance(body, dict):
            raise ValidationError({"non_field_errors": ["The body must be a JSON object."]})
        values = {name: value for name, value in body.items() if name not in READ_ONLY}
        missing = [name for name in (*RULES, "gates") if name not in values]
        if missing:
            raise ValidationError({name: ["This field is required."] for name in missing})
        policy_update(workspace=workspace, user=request.user, values=values, client_ip=client_ip(request))
        return Response(_answer(workspace))
