from django.urls import path

from . import fragments, views, views_compare, views_edit, views_push

urlpatterns = [
    path("", views.review_queue, name="home"),
    path("versions/", views.version_list, name="version_list"),
    path("models/<str:model_id>/", views.model_detail, name="model_detail"),
    path("models/<str:model_id>/versions/<str:version_name>/", views.version_detail, name="version_detail"),
    path("models/<str:model_id>/versions/<str:version_name>/edit/", views_edit.version_edit, name="version_edit"),
    path("models/<str:model_id>/versions/<str:version_name>/decide/", views_edit.version_decide, name="version_decide"),
    path(
        "models/<str:model_id>/versions/<str:version_name>/resolve/",
        views_push.version_resolve_conflict,
        name="version_resolve_conflict",
    ),
    path(
        "models/<str:model_id>/versions/<str:version_name>/retry-push/",
        views_push.version_retry_push,
        name="version_retry_push",
    ),
    path(
        "models/<str:model_id>/versions/<str:version_name>/push-state/",
        views_push.version_push_state,
        name="version_push_state",
    ),
    path(
        "models/<str:model_id>/versions/<str:version_name>/compare/",
        views_compare.version_compare,
        name="version_compare",
    ),
    path("live/status-counts/", fragments.status_counts, name="live_status_counts"),
    path("live/sync-states/", fragments.sync_states, name="live_sync_states"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
