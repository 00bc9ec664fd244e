"""Single sign-on: which account a provider's subject is, and which groups give which roles."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from approvals.models.access import Role
from approvals.models.registry import Workspace


class IdentityLink(models.Model):
    """One account per (issuer, subject): the provider's stable id, not a name it lets people change."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity_links")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)
    # Set when the provider's refusal deactivated the account: its next sign-in there reactivates
    # it. An account staff deactivated stays so, whatever the provider says.
    deactivated_by_provider = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="one_account_per_subject")]

    def __str__(self) -> str:
        return f"{self.user} = {self.subject} at {self.issuer}"


class GroupRoleRule(models.Model):
    """A group of the provider's groups claim gives a role, in one workspace or (none) in all.

    Rules add to the patterns of OIDC_GROUP_ROLES; both are read at every sign-in.
    """

    group = models.CharField(max_length=255, help_text="The group exactly as the provider sends it (name or id).")
    role = models.CharField(max_length=16, choices=Role.choices)
    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="group_role_rules",
        help_text="Empty: every workspace.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "role"], condition=models.Q(workspace__isnull=True), name="one_global_group_rule"
            ),
            models.UniqueConstraint(
                fields=["group", "role", "workspace"],
                condition=models.Q(workspace__isnull=False),
                name="one_workspace_group_rule",
            ),
        ]

    def __str__(self) -> str:
        where = self.workspace.workspace_id if self.workspace_id else "every workspace"
        return f"{self.group} → {self.role} in {where}"
