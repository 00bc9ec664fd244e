"""Admin, read only, for what the review writes: comments and people's notifications (with each
mail's state and last error, so staff see a mail server that refuses)."""

from __future__ import annotations

from django.contrib import admin

from .admin_base import ReadOnlyAdmin
from .models import Comment, Notification


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("id", "version", "author", "created_at", "retracted_at")
    list_select_related = ("version__model", "author")
    exclude = ("text",)  # a retracted comment's text stays hidden here too
    readonly_fields = ("version", "author", "mentions", "created_at", "retracted_at")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
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
