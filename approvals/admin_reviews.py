"""Admin, read only, for what the review writes: comments and people's notifications (with each
mail's state and last error, so staff see a mail server that refuses)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Comment, Notification


class _Recorded(admin.ModelAdmin):
    """Written only by the services, with their audit events: nothing is added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Comment)
class CommentAdmin(_Recorded):
    list_display = ("id", "version", "author", "created_at", "retracted_at")
    list_select_related = ("version__model", "author")
    exclude = ("text",)  # a retracted comment's text stays hidden here too
    readonly_fields = ("version", "author", "mentions", "created_at", "retracted_at")


@admin.register(Notification)
class NotificationAdmin(_Recorded):
    list_display = ("id", "user", "kind", "created_at", "read_at", "email_state", "emailed_at")
    list_filter = ("kind", "email_state")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    readonly_fields = (
        "user",
        "event",
        "kind",
        "created_at",
        "read_at",
        "email_state",
        "email_claimed_at",
        "emailed_at",
        "email_error",
    )
