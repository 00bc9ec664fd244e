"""Bodies and answers of the review's endpoints: comments, changes requested, assignment."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from approvals.display.created import named_by
from approvals.display.notifications import headline
from approvals.models import COMMENT_MAX_CHARS
from approvals.services.reviews import REASON_MAX_CHARS

from .fields import PaiString
from .serializers import _ClosedBody


class CommentInput(_ClosedBody):
    # No max_length here: the service's message, with the limit and the count, answers a long one
    # (the body's own limit, API_MAX_BODY_BYTES, bounds what is read).
    text = PaiString(
        help_text=f"Plain text, at most {COMMENT_MAX_CHARS:,} characters; @username mentions a member of the "
        "workspace (any other @name stays plain text).",
    )


class CommentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(source="author.username")
    text = serializers.SerializerMethodField(help_text="null once retracted.")
    mentions = serializers.ListField(child=serializers.CharField(), help_text="The members it mentions.")
    created_at = serializers.DateTimeField()
    retracted_at = serializers.DateTimeField(allow_null=True)

    def get_text(self, comment: Any) -> str | None:
        return None if comment.retracted else comment.text


class ChangesRequestedInput(_ClosedBody):
    reason = PaiString(max_length=REASON_MAX_CHARS, help_text="What should change; required.")


class AssignmentInput(_ClosedBody):
    assignee = PaiString(max_length=150, help_text='An approver\'s username, "me", or "" to take the assignment away.')


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="new_pending, assigned, mentioned, comment, changes_requested, …")
    text = serializers.SerializerMethodField(help_text="What happened, by whom, where; in the caller's language.")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    action = serializers.CharField(source="event.action", help_text="The audit event's action.")
    event_seq = serializers.IntegerField(source="event.seq")
    WorkspaceId = serializers.CharField(source="event.workspace_id")
    ModelId = serializers.SerializerMethodField(help_text='The model it is about, or "".')
    VersionName = serializers.SerializerMethodField(help_text='The version it is about, or "".')

    def get_text(self, notification: Any) -> str:
        return headline(notification.kind, notification.event, notification.model_id)

    def get_ModelId(self, notification: Any) -> str:
        return named_by(notification.event, notification.model_id)[0]

    def get_VersionName(self, notification: Any) -> str:
        return named_by(notification.event, notification.model_id)[2]


NotificationPage = type(
    "NotificationPage",
    (serializers.Serializer,),
    {
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": NotificationOutput(many=True),
    },
)


class MarkedReadOutput(serializers.Serializer):
    marked_read = serializers.IntegerField()
