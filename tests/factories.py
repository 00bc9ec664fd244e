"""Small helpers that create workspaces, models, versions, events and role users in tests."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from approvals.models import (
    Approval,
    ApprovalStatus,
    AuditEvent,
    Change,
    DatasetName,
    GateWaiver,
    Membership,
    MetricGate,
    ModelVersion,
    RegisteredModel,
    Workspace,
)
from approvals.pai.labels import canonical
from approvals.permissions import ROLES
from approvals.services.audit import append_event
from approvals.services.comments import comment_create
from approvals.services.label_index import labels_index
from approvals.services.reviews import review_request_changes

_counter = itertools.count(1)
BASE_TIME = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def make_workspace(**fields: Any) -> Workspace:
    n = next(_counter)
    defaults = {"name": f"Workspace {n}", "workspace_id": f"ws-{n}"}
    return Workspace.objects.create(**{**defaults, **fields})


def make_model(workspace: Workspace | None = None, **fields: Any) -> RegisteredModel:
    n = next(_counter)
    workspace = workspace or make_workspace()
    defaults = {"model_id": f"model-{n}", "name": f"model {n}", "gmt_create_time": BASE_TIME}
    return RegisteredModel.objects.create(workspace=workspace, **{**defaults, **fields})


def version_fields(model: RegisteredModel, **fields: Any) -> dict[str, Any]:
    n = next(_counter)
    defaults = {
        "version_name": f"1.0.{n}",
        "gmt_create_time": BASE_TIME + dt.timedelta(minutes=n),
        "gmt_modified_time": BASE_TIME + dt.timedelta(minutes=n),
    }
    return {"model": model, "workspace_id": model.workspace_id, **defaults, **fields}


def make_version(model: RegisteredModel | None = None, **fields: Any) -> ModelVersion:
    model = model or make_model()
    if "labels" in fields:
        # Stored as the sync stores them, with the label filter's index rows.
        fields["labels"] = canonical(fields["labels"])
    version = ModelVersion.objects.create(**version_fields(model, **fields))
    if version.labels:
        labels_index({version.pk: version.labels})
    return version


def make_versions(model: RegisteredModel, count: int, **fields: Any) -> list[ModelVersion]:
    """Many versions in one INSERT (for the query-count and size tests)."""
    return ModelVersion.objects.bulk_create(
        [ModelVersion(**version_fields(model, version_name=f"2.{i}.0", **fields)) for i in range(count)]
    )


def results_metrics(*datasets: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """Metrics in PAI's documented Results shape."""
    return {"Results": [{"Dataset": {"DatasetId": ds}, "Metrics": values} for ds, values in datasets]}


def make_event(version: ModelVersion | None = None, **fields: Any) -> AuditEvent:
    if version is not None:
        fields = {
            "workspace_id": version.workspace.workspace_id,
            "model_id": version.model.model_id,
            "model_name": version.model.name,
            "version_name": version.version_name,
            **fields,
        }
    return append_event(**{"actor": "PAI", "action": "pai_changed", **fields})


def grant(user: Any, role: str, workspace: Workspace | None = None) -> Any:
    """Give `user` the role in `workspace` (None: in every workspace)."""
    Membership.objects.get_or_create(user=user, role=role, workspace=workspace)
    user.__dict__.pop("_role_grants", None)
    return user


def make_user(
    username: str, *, group: str | None = None, staff: bool = False, workspace: Workspace | None = None
) -> Any:
    """A user holding the role `group` in `workspace` (None: every workspace)."""
    # No password: hashing one costs ~0.1 s and tests sign in with force_login.
    user = get_user_model().objects.create_user(username=username, password=None, is_staff=staff, is_superuser=staff)
    if group:
        grant(user, group, workspace)
    return user


def make_role_users() -> dict[str, Any]:
    """One user per role, plus staff and a user with no group at all."""
    users = {role: make_user(role, group=role) for role in ROLES}
    users["staff"] = make_user("staff", staff=True)
    users["nobody"] = make_user("nobody")
    return users


def at(minutes: int) -> dt.datetime:
    return BASE_TIME + dt.timedelta(minutes=minutes)


def now() -> dt.datetime:
    return timezone.now()


def write_state(version: ModelVersion) -> dict[str, Any]:
    """Everything a write could have touched: compare before and after a refused request."""
    version.refresh_from_db()
    return {
        "revision": version.revision,
        "fields": version.pai_values(),
        "push_state": version.push_state,
        "push_error": version.push_error,
        "conflict": version.conflict,
        "changes": Change.objects.filter(version=version).count(),
        "approvals": Approval.objects.filter(version=version).count(),
        "audit_events": AuditEvent.objects.count(),
    }


def make_rich_version(comments: int, events: int, extra_versions: int, model_id: str = "m-rich") -> tuple[Any, Any]:
    """A Pending version with all the version page shows, and an approver to read it: `extra_versions`
    older versions, a latest Approved and a previous one, two named datasets, two gates (one waived),
    an approval, `comments` comments mentioning the approver, changes requested, `events` edits.

    For tests/test_version_page_queries.py and bench/render_version.py."""
    model = make_model(model_id=model_id, name="rich")
    ws = model.workspace
    make_versions(model, extra_versions, metrics=results_metrics(("d-1", {"cer": 0.25, "acc": 0.75})))
    make_version(
        model, approval_status=ApprovalStatus.APPROVED, metrics=results_metrics(("d-1", {"cer": 0.2, "acc": 0.8}))
    )
    make_version(model, metrics=results_metrics(("d-1", {"cer": 0.21, "acc": 0.79})))
    version = make_version(model, metrics=results_metrics(("d-1", {"cer": 0.19, "acc": 0.81}), ("d-2", {"cer": 0.3})))
    make_version(model)  # waiting after it
    for ds in ("d-1", "d-2"):
        DatasetName.objects.get_or_create(dataset_id=ds, defaults={"name": f"set {ds}", "fetched_at": timezone.now()})
    MetricGate.objects.create(workspace=ws, metric="cer", higher_is_better=False, max_regression=0.05)
    acc = MetricGate.objects.create(workspace=ws, metric="acc", dataset="d-1", max_regression=0.05)
    approver = make_user("approver", group="approver")
    other = make_user("other", group="approver")
    GateWaiver.objects.create(version=version, gate=acc, waived_by=other, reason="the acc set was relabelled")
    Approval.objects.create(version=version, approver=other, revision=version.revision)
    for i in range(comments):
        comment_create(version_id=version.pk, user=other, text=f"comment {i} @approver")
    review_request_changes(version_id=version.pk, user=other, reason="please fix the labels")
    for i in range(events):
        make_event(version, action="pai_changed", payload={"fields": {"VersionDescription": [f"a{i}", f"b{i}"]}})
    version.refresh_from_db()
    return version, approver
