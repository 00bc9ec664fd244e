"""Django admin: workspaces (with "Sync now"), memberships (granted and revoked through the
audited services); models, versions and the audit log read-only.

No door writes around the services and the audit log (docs/architecture.md, invariant 9):
a model and its versions mirror PAI and carry the push state, so admin only shows them;
edits and decisions go through the dashboard's pages or the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from . import (
    admin_channels,  # noqa: F401  (registers the notification channel admins)
    admin_policies,  # noqa: F401  (registers the policy, gate and waiver admins)
    admin_reviews,  # noqa: F401  (registers the comment and notification admins)
)
from .admin_base import ReadOnlyAdmin
from .models import AuditEvent, GroupRoleRule, IdentityLink, Membership, ModelVersion, RegisteredModel, Workspace
from .services.group_roles import group_rule_create, group_rule_delete
from .services.memberships import membership_grant, membership_revoke
from .services.workspaces import sync_request
from .web.security import client_ip


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace_id", "region", "sync_state", "last_synced_at")
    list_filter = ("sync_state", "region")
    search_fields = ("name", "workspace_id")
    readonly_fields = ("sync_state", "sync_started_at", "last_synced_at", "sync_error", "sync_progress")
    actions = ("sync_now",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The audit log and the memberships name a workspace by its WorkspaceId: it never changes.
        return (*self.readonly_fields, "workspace_id") if obj is not None else self.readonly_fields

    @admin.action(description="Sync now")
    def sync_now(self, request: HttpRequest, queryset: QuerySet[Workspace]) -> None:
        # The same service as the API's sync: audited, queued once the event is committed.
        for workspace in queryset:
            sync_request(user=request.user, workspace_id=workspace.workspace_id, client_ip=client_ip(request))
        self.message_user(request, f"Sync queued for {queryset.count()} workspace(s).", messages.SUCCESS)


@admin.register(RegisteredModel)
class RegisteredModelAdmin(ReadOnlyAdmin):
    list_display = ("name", "model_id", "workspace", "task", "gone", "gmt_modified_time")
    list_filter = ("gone", "workspace")
    list_select_related = ("workspace",)
    search_fields = ("name", "model_id")


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
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
    date_hierarchy = "gmt_create_time"
    # The changelist shows none of the large JSON columns.
    show_full_result_count = False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Who holds which role where. Adding and deleting go through the membership services, audited;
    a membership is never edited in place (revoke it and grant another)."""

    list_display = ("user", "role", "where", "source", "created_at")
    list_filter = ("role", "source", "workspace")
    list_select_related = ("user", "workspace")
    search_fields = ("user__username", "workspace__workspace_id", "workspace__name")
    fields = ("user", "role", "workspace")
    autocomplete_fields = ("user",)

    @admin.display(description="Workspace", ordering="workspace__workspace_id")
    def where(self, membership: Membership) -> str:
        return str(membership.workspace) if membership.workspace_id else "every workspace"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        granted = membership_grant(
            user=obj.user,
            role=obj.role,
            workspace=obj.workspace,
            by=request.user.get_username(),
            client_ip=client_ip(request),
        )
        # The admin logs and redirects to the row the service wrote.
        obj.pk, obj.source, obj.created_at = granted.pk, granted.source, granted.created_at
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        membership_revoke(
            user=obj.user,
            role=obj.role,
            workspace=obj.workspace,
            source=obj.source,
            by=request.user.get_username(),
            client_ip=client_ip(request),
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset.select_related("user", "workspace"):
            self.delete_model(request, membership)


@admin.register(GroupRoleRule)
class GroupRoleRuleAdmin(admin.ModelAdmin):
    """Which group of the identity provider gives which role where (beside OIDC_GROUP_ROLES).
    Created and deleted through the services, audited; applied at each person's next sign-in."""

    list_display = ("group", "role", "where", "created_at")
    list_filter = ("role", "workspace")
    list_select_related = ("workspace",)
    search_fields = ("group",)
    fields = ("group", "role", "workspace")

    @admin.display(description="Workspace", ordering="workspace__workspace_id")
    def where(self, rule: GroupRoleRule) -> str:
        return str(rule.workspace) if rule.workspace_id else "every workspace"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: GroupRoleRule, form: Any, change: bool) -> None:
        saved = group_rule_create(
            group=obj.group,
            role=obj.role,
            workspace=obj.workspace,
            by=request.user.get_username(),
            client_ip=client_ip(request),
        )
        obj.pk, obj.created_at = saved.pk, saved.created_at
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: GroupRoleRule) -> None:
        group_rule_delete(rule=obj, by=request.user.get_username(), client_ip=client_ip(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[GroupRoleRule]) -> None:
        for rule in queryset.select_related("workspace"):
            self.delete_model(request, rule)


@admin.register(IdentityLink)
class IdentityLinkAdmin(ReadOnlyAdmin):
    """Which account each of the provider's subjects signs in as (made at the first sign-in)."""

    list_display = ("user", "issuer", "subject", "last_sign_in_at", "deactivated_by_provider")
    list_select_related = ("user",)
    search_fields = ("user__username", "subject")


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
