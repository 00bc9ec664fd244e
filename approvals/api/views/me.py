"""GET /api/me/: who the caller is and which roles they hold where."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.api import serializers
from approvals.api.schema import HEADERS, errors
from approvals.permissions import memberships_of


class MeApi(APIView):
    @extend_schema(
        operation_id="me_read",
        tags=["me"],
        summary="The caller's username and memberships: each role with its workspace (null: every workspace)",
        parameters=[*HEADERS],
        responses={200: serializers.MeOutput, **errors()},
    )
    def get(self, request: Request) -> Response:
        user = request.user
        data = {"username": user.get_username(), "memberships": memberships_of(user), "is_staff": user.is_staff}
        return Response(serializers.MeOutput(data).data)
