"""The pages' URLs. The API's are in approvals/api/urls.py."""

from __future__ import annotations

from django.urls import path

from approvals.web.views import (
    audit,
    compare,
    decide,
    edit,
    gates,
    inbox,
    live,
    model,
    push,
    queue,
    reviews,
    tokens,
    version,
    versions,
)

VERSION = "models/<str:model_id>/versions/<str:version_name>"

urlpatterns = [
    path("", queue.review_queue, name="home"),
    path("versions/", versions.version_list, name="version_list"),
    path("models/<str:model_id>/", model.model_detail, name="model_detail"),
    path("models/<str:model_id>/versions/<str:version_name>/", version.version_detail, name="version_detail"),
    path("models/<str:model_id>/versions/<str:version_name>/edit/", edit.version_edit, name="version_edit"),
    path("models/<str:model_id>/versions/<str:version_name>/decide/", decide.version_decide, name="version_decide"),
    path(
        "models/<str:model_id>/versions/<str:version_name>/gates/<int:gate_id>/waive/",
        gates.gate_waive_view,
        name="version_gate_waive",
    ),
    path(
        "models/<str:model_id>/versions/<str:version_name>/resolve/",
        push.version_resolve_conflict,
        name="version_resolve_conflict",
    ),
    path(
        "models/<str:model_id>/versions/<str:version_name>/retry-push/",
        push.version_retry_push,
        name="version_retry_push",
    ),
    path(
        "models/<str:model_id>/versions/<str:version_name>/push-state/",
        push.version_push_state,
        name="version_push_state",
    ),
    path(
        "models/<str:model_id>/versions/<str:version_name>/compare/",
        compare.version_compare,
        name="version_compare",
    ),
    path(f"{VERSION}/comments/", reviews.version_comment, name="version_comment"),
    path(
        f"{VERSION}/comments/<int:comment_id>/retract/", reviews.version_comment_retract, name="version_comment_retract"
    ),
    path(f"{VERSION}/request-changes/", reviews.version_request_changes, name="version_request_changes"),
    path(f"{VERSION}/assign/", reviews.version_assign, name="version_assign"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:notification_id>/read/", inbox.inbox_mark_read, name="inbox_mark_read"),
    path("inbox/read-all/", inbox.inbox_mark_all_read, name="inbox_mark_all_read"),
    path("inbox/preferences/", inbox.notification_preferences, name="notification_preferences"),
    path("live/status-counts/", live.status_counts, name="live_status_counts"),
    path("live/sync-states/", live.sync_states, name="live_sync_states"),
    path("live/queue-rows/", live.queue_rows, name="live_queue_rows"),
    path("audit/", audit.audit_log, name="audit_log"),
    path("audit/export.csv", audit.audit_export, name="audit_export"),
    path("tokens/", tokens.token_list, name="token_list"),
    path("tokens/<int:token_id>/revoke/", tokens.token_revoke, name="token_revoke"),
]
