"""Reads only the API needs (the web's are in approvals.selectors)."""

from __future__ import annotations

from django.db.models import QuerySet

from approvals.models import RegisteredModel, Workspace


def model_list(*, workspace_id: str = "") -> QuerySet[RegisteredModel]:
    queryset = RegisteredModel.objects.select_related("workspace").defer("extra_info")
    if workspace_id:
        queryset = queryset.filter(workspace__workspace_id=workspace_id)
    return queryset


def workspace_by_id(workspace_id: str) -> Workspace:
    """The workspace, or Workspace.DoesNotExist."""
    return Workspace.objects.get(workspace_id=workspace_id)
