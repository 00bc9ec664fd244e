"""What people say about a version: comments, append-only (a retraction hides the text and is recorded)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from approvals.models.registry import ModelVersion

# Long enough for a review, short enough for a page and an e-mail.
COMMENT_MAX_CHARS = 10_000


class Comment(models.Model):
    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    # The usernames the text mentions that were members of the workspace when it was written.
    mentions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    retracted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["version", "created_at"], name="comment_version_idx")]

    def __str__(self) -> str:
        return f"comment #{self.pk} on {self.version_id} by {self.author_id}"

    @property
    def retracted(self) -> bool:
        return self.retracted_at is not None
