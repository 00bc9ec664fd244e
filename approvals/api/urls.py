"""/api/...: resources without a trailing slash, collections with one (as the issue lists them)."""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path, reverse
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.request import Request

from . import views, views_admin

# Path parameters carry PAI's names, as the schema shows them.
VERSION = "models/<str:ModelId>/versions/<str:VersionName>"


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under /api/: a JSON 404 in the API's error shape, not the HTML page."""
    return JsonResponse({"code": "not_found", "message": "Not found.", "fields": {}}, status=404)


urlpatterns = [
    path("versions/", views.VersionListApi.as_view(), name="api-versions"),
    path("models/", views.ModelListApi.as_view(), name="api-models"),
    path(VERSION, views.VersionDetailApi.as_view(), name="api-version"),
    path(f"{VERSION}/decision", views.VersionDecisionApi.as_view(), name="api-version-decision"),
    path(f"{VERSION}/history", views.VersionHistoryApi.as_view(), name="api-version-history"),
    path("audit/", views_admin.AuditApi.as_view(), name="api-audit"),
    path("sync/", views_admin.SyncApi.as_view(), name="api-sync"),
    path("workspaces/<str:WorkspaceId>", views_admin.WorkspaceDetailApi.as_view(), name="api-workspace"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's script is served from ?script (no inline script, the CSP holds);
    # its own inline styles need style-src 'unsafe-inline' on this one page.
    path(
        "docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    re_path(r"^.*$", not_found, name="api-not-found"),
]


def _absolute(request: Request | None, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


def version_url(request: Request | None, version: Any) -> str:
    return _absolute(request, reverse("api-version", args=[version.model.model_id, version.version_name]))


def model_versions_url(request: Request | None, model: Any) -> str:
    return _absolute(request, reverse("api-versions") + f"?model={model.model_id}")


def workspace_url(request: Request | None, workspace: Any) -> str:
    return _absolute(request, reverse("api-workspace", args=[workspace.workspace_id]))
