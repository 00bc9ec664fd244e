"""A dashboard mirrored from the test's emulator, and people to act on it."""

from __future__ import annotations

import pytest

from approvals.models import ModelVersion, Workspace
from approvals.sync import sync_workspace
from tests.factories import make_user

DEMO_WORKSPACE = "118493"


@pytest.fixture
def synced_workspace(pai_settings) -> Workspace:
    workspace = Workspace.objects.create(name="NLP", workspace_id=DEMO_WORKSPACE)
    sync_workspace(workspace=workspace)
    return workspace


@pytest.fixture
def pending_version(synced_workspace) -> ModelVersion:
    return ModelVersion.objects.filter(workspace=synced_workspace, approval_status="Pending").order_by("pk").first()


@pytest.fixture
def editor():
    return make_user("edna", group="editor")


@pytest.fixture
def approver():
    return make_user("abe", group="approver")
