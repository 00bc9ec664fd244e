"""/api/...: resources without a trailing slash, collections with one; anything else is a JSON 404."""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from approvals.api.views import audit, me, models, notifications, policies, reviews, versions, workspaces

# Path parameters carry PAI's names, as the schema shows them.
VERSION = "models/<str:ModelId>/versions/<str:VersionName>"


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under /api/: a JSON 404 in the API's error shape, not the HTML page."""
    return JsonResponse({"code": "not_found", "message": "Not found.", "fields": {}}, status=404)


urlpatterns = [
    path("me/", me.MeApi.as_view(), name="api-me"),
    path("versions/", versions.VersionListApi.as_view(), name="api-versions"),
    path("models/", models.ModelListApi.as_view(), name="api-models"),
    path(VERSION, versions.VersionDetailApi.as_view(), name="api-version"),
    path(f"{VERSION}/decision", versions.VersionDecisionApi.as_view(), name="api-version-decision"),
    path(f"{VERSION}/history", versions.VersionHistoryApi.as_view(), name="api-version-history"),
    path(f"{VERSION}/comments/", reviews.VersionCommentsApi.as_view(), name="api-version-comments"),
    path(
        # Any text, so a malformed id is the view's JSON 404 rather than the catch-all's.
        f"{VERSION}/comments/<str:comment_id>/retract",
        reviews.VersionCommentRetractApi.as_view(),
        name="api-version-comment-retract",
    ),
    path(f"{VERSION}/changes-requested", reviews.VersionChangesRequestedApi.as_view(), name="api-version-changes"),
    path(f"{VERSION}/assignment", reviews.VersionAssignmentApi.as_view(), name="api-version-assignment"),
    path("audit/", audit.AuditApi.as_view(), name="api-audit"),
    path("notifications/", notifications.NotificationListApi.as_view(), name="api-notifications"),
    path("notifications/read-all", notifications.NotificationReadAllApi.as_view(), name="api-notifications-read-all"),
    path(
        "notifications/<str:notification_id>/read",
        notifications.NotificationReadApi.as_view(),
        name="api-notification-read",
    ),
    path("sync/", workspaces.SyncApi.as_view(), name="api-sync"),
    path("workspaces/<str:WorkspaceId>", workspaces.WorkspaceDetailApi.as_view(), name="api-workspace"),
    path("workspaces/<str:WorkspaceId>/policy", policies.WorkspacePolicyApi.as_view(), name="api-workspace-policy"),
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
