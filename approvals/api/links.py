"""Absolute links to the API's resources, for the answers that point at each other."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework.request import Request


def _absolute(request: Request | None, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


def version_url(request: Request | None, version: Any) -> str:
    return _absolute(request, reverse("api-version", args=[version.model.model_id, version.version_name]))


def model_versions_url(request: Request | None, model: Any) -> str:
    return _absolute(request, reverse("api-versions") + f"?model={model.model_id}")


def workspace_url(request: Request | None, workspace: Any) -> str:
    return _absolute(request, reverse("api-workspace", args=[workspace.workspace_id]))
