"""Who may do what: roles held in workspaces (memberships), and API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from approvals.models.registry import Workspace


class ApiToken(models.Model):
    """A per-user API token. Only a SHA-256 hash of the secret is kept: the token is shown once.

    `prefix` is a public, unique part of the token, so a request finds its row by
    index and compares hashes in constant time.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField("SHA-256 of the token", max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Set at creation from API_TOKEN_MAX_AGE_DAYS; None: the token does not expire.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def valid_until(self) -> datetime | None:
        """When the token stops working: its own expiry, or sooner if API_TOKEN_MAX_AGE_DAYS was lowered since."""
        limits = [self.expires_at] if self.expires_at else []
        if settings.API_TOKEN_MAX_AGE_DAYS and self.created_at:
            limits.append(self.created_at + timedelta(days=settings.API_TOKEN_MAX_AGE_DAYS))
        return min(limits) if limits else None

    @property
    def is_expired(self) -> bool:
        until = self.valid_until
        return until is not None and until <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired


class Role(models.TextChoices):
    VIEWER = "viewer"  # reads
    EDITOR = "editor"  # edits version metadata
    APPROVER = "approver"  # approves and rejects
    AUDITOR = "auditor"  # exports the audit log and sees who did what from where


class MembershipSource(models.TextChoices):
    MANUAL = "manual", "granted by hand"
    IDP = "idp", "from the identity provider"


class Membership(models.Model):
    """A role a person holds in one workspace, or (no workspace) in all of them.

    People read and act only inside the workspaces they hold a role in
    (docs/architecture.md, invariant 9). Memberships from the identity provider
    are replaced at each sign-in; those granted by hand stay.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        help_text="Empty: every workspace.",
    )
    source = models.CharField(max_length=16, choices=MembershipSource.choices, default=MembershipSource.MANUAL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user_id", "workspace_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "source"],
                condition=models.Q(workspace__isnull=True),
                name="one_global_membership",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "workspace", "source"],
                condition=models.Q(workspace__isnull=False),
                name="one_workspace_membership",
            ),
        ]

    def __str__(self) -> str:
        where = self.workspace.workspace_id if self.workspace_id else "all workspaces"
        return f"{self.user} {self.role} in {where}"
