"""Django admin: workspaces (with "Sync now"), models and versions; the audit log read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from . import admin_policies  # noqa: F401  (registers the policy, gate and waiver admins)
from .models import AuditEvent, ModelVersion, RegisteredModel, Workspace
from .services.workspaces import sync_request
from .web.security import client_ip


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace_id", "region", "sync_state", "last_synced_at")
    list_filter = ("sync_state", "region")
    search_fields = ("name", "workspace_id")
    readonly_fields = ("sync_state", "sync_started_at", "last_synced_at", "sync_error", "sync_progress")
    actions = ("sync_now",)

    @admin.action(description="Sync now")
    def sync_now(self, request: HttpRequest, queryset: QuerySet[Workspace]) -> None:
        # The same service as the API's sync: audited, queued once the event is committed.
        for workspace in queryset:
            sync_request(user=request.user, workspace_id=workspace.workspace_id, client_ip=client_ip(request))
        self.message_user(request, f"Sync queued for {queryset.count()} workspace(s).", messages.SUCCESS)


@admin.register(RegisteredModel)
class RegisteredModelAdmin(admin.ModelAdmin):
    list_display = ("name", "model_id", "workspace", "task", "gone", "gmt_modified_time")
    list_filter = ("gone", "workspace")
    list_select_related = ("workspace",)
    search_fields = ("name", "model_id")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = (
        "model",
        "version_name",
        "approval_status",
        "source_type",
        "framework_type",
        "format_type",
        "push_state",
        "gmt_create_time",
        "gone",
    )
    list_filter = ("approval_status", "push_state", "source_type", "framework_type", "format_type", "gone", "workspace")
    list_select_related = ("model", "workspace")
    search_fields = ("model__name", "version_name", "version_description")
    raw_id_fields = ("model", "workspace")
    date_hierarchy = "gmt_create_time"
    # The changelist shows none of the large JSON columns.
    show_full_result_count = False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The log is append-only: admin shows it and nothing else."""

    list_display = ("seq", "created_at", "actor", "action", "model_name", "version_name", "workspace_id")
    list_filter = ("action",)
    search_fields = ("actor", "model_id", "model_name", "version_name")
    ordering = ("-seq",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
