"""GET /api/models/: models by name, a keyset page at a time. Thin: validate, read, answer."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.api import serializers
from approvals.api.errors import valid
from approvals.api.pagination import Ordering, cursor_page
from approvals.api.query import PAGING, checked_query
from approvals.api.schema import CURSOR, HEADERS, PER_PAGE, errors
from approvals.permissions import readable
from approvals.selectors import registry as queries
from approvals.web.forms.filters import cursor_form


class ModelListApi(APIView):
    @extend_schema(
        operation_id="models_list",
        tags=["models"],
        summary="List models, by name",
        parameters=[OpenApiParameter("workspace", str, description="WorkspaceId."), PER_PAGE, CURSOR, *HEADERS],
        responses={200: serializers.ModelPage, **errors(400)},
    )
    def get(self, request: Request) -> Response:
        paging = valid(cursor_form(checked_query(request, ("workspace", *PAGING)), with_workspace=True))
        page = cursor_page(
            queries.model_list(scope=readable(request.user), workspace_id=paging.cleaned_data["workspace"]),
            Ordering(paths=("name", "id"), descending=False),
            request=request,
            cursor=paging.cleaned_data["cursor"],
            page_size=paging.page_size,
        )
        rows = serializers.ModelOutput(page.items, many=True, context={"request": request}).data
        return Response({"next": page.next_url, "previous": page.previous_url, "results": rows})
