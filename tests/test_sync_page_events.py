"""A sync audits what a page of models creates in one `pai.created` event, and still tells per model.

The event names its models in the payload ({"models": {ModelId: ...}}); the audit log's model
filter finds a model inside it, people get one notification per model with versions waiting,
channels one message per model, and the statements a page costs do not grow with its models.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import sync
from approvals.display.channel_messages import message_for
from approvals.display.created import created_models
from approvals.display.notifications import headline
from approvals.models import (
    AuditEvent,
    DatasetName,
    ModelVersion,
    Notification,
    NotificationKind,
    OutboxMessage,
    Workspace,
)
from approvals.pai.errors import PaiServerError
from approvals.selectors.audit import AuditFilters, AuditReader, audit_events, version_history
from approvals.services.audit import verify_chain
from approvals.services.mail import notification_path
from approvals.sync import sync_workspace
from tests.factories import make_user
from tests.fixtures_receivers import WEBHOOK_SECRET
from tests.notify_helpers import make_channel
from tests.test_sync import FakePai

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages_of_four(monkeypatch):
    monkeypatch.setattr(sync.fetch, "PAGE_SIZE", 4)


def registry(models: int, versions: int = 2, *, first: int = 0) -> dict[str, list[str]]:
    return {f"m-{n:03d}": [f"1.0.{i}" for i in range(versions)] for n in range(first, first + models)}


def created_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="pai.created").order_by("seq"))


def test_a_first_sync_writes_one_created_event_per_page_of_models(pages_of_four):
    workspace = Workspace.objects.create(name="Unit", workspace_id="ws-unit")
    result = sync_workspace(workspace=workspace, client=FakePai(registry(10, 3)))

    assert result.created == 30
    events = created_events()
    assert len(events) == 3  # pages of 4, 4 and 2 models, not 10 events
    assert [len(created_models(e)) for e in events] == [4, 4, 2]
    assert all(e.model_id == "" and e.actor == "PAI" and e.workspace_id == "ws-unit" for e in events)
    named = {m.model_id: sorted(m.versions) for e in events for m in created_models(e)}
    assert named == {m: sorted(vs) for m, vs in registry(10, 3).items()}
    assert all(m.new_model for e in events for m in created_models(e))
    assert [e.payload["count"] for e in events] == [12, 12, 6]
    assert verify_chain().ok


def test_a_re_sync_that_finds_versions_of_one_model_writes_the_event_of_one_model(pages_of_four):
    workspace = Workspace.objects.create(name="Unit", workspace_id="ws-unit")
    fake = FakePai(registry(6))
    sync_workspace(workspace=workspace, client=fake)
    fake.versions["m-004"].append(fake.version("2.0.0"))

    sync_workspace(workspace=workspace, client=fake)

    last = created_events()[-1]
    assert (last.model_id, last.model_name, last.version_name) == ("m-004", "m-004", "2.0.0")
    assert last.payload == {"versions": ["2.0.0"], "new_model": False}


def test_the_audit_log_model_filter_finds_a_model_inside_a_pages_event(pages_of_four, client):
    workspace = Workspace.objects.create(name="Unit", workspace_id="ws-unit")
    sync_workspace(workspace=workspace, client=FakePai(registry(6)))
    reader = AuditReader.of(make_user("root", staff=True))
    first_page, second_page = created_events()

    def found(text: str) -> list[int]:
        return [e.seq for e in audit_events(AuditFilters(model_id=text), reader=reader)]

    assert found("m-001") == [first_page.seq]  # by id
    assert found("m-005") == [second_page.seq]
    assert found("M-005") == [second_page.seq]  # by the model's name, in any case (FakePai names it by its id)
    assert found("m-999") == []
    # A filter on the action still applies.
    assert [e.seq for e in audit_events(AuditFilters(model_id="m-001", action="pai.gone"), reader=reader)] == []

    client.force_login(make_user("ann", staff=True))
    page = client.get(reverse("audit_log"), {"model": "m-005"}).content.decode()
    assert f'<th scope="row">{second_page.seq}</th>' in page
    assert f'<th scope="row">{first_page.seq}</th>' not in page
    assert "2 models" in page  # the model column of an event about a page of models


def test_a_versions_history_keeps_the_event_about_its_model_alone(pages_of_four):
    workspace = Workspace.objects.create(name="Unit", workspace_id="ws-unit")
    fake = FakePai(registry(2))
    sync_workspace(workspace=workspace, client=fake)
    fake.versions["m-001"].append(fake.version("3.0.0"))
    sync_workspace(workspace=workspace, client=fake)

    version = ModelVersion.objects.get(model__model_id="m-001", version_name="3.0.0")
    history = version_history(version, reader=AuditReader.of(make_user("root", staff=True)))
    assert [e.action for e in history] == ["pai.created"]
    assert version.first_seen_at is not None  # what the page's "First seen" says


def test_people_and_channels_are_told_once_per_model_with_versions_waiting(pages_of_four, settings):
    settings.DASHBOARD_URL = "https://dash.example.com"
    workspace = Workspace.objects.create(name="Unit", workspace_id="ws-unit")
    rita = make_user("rita", group="approver", workspace=workspace)
    make_user("eve", group="editor", workspace=workspace)
    channel = make_channel(workspace, "https://hooks.example.com/x", secret=WEBHOOK_SECRET, events=["version.pending"])
    fake = FakePai(registry(4))
    # m-002's versions are already decided in PAI: nothing of it waits for review.
    fake.versions["m-002"] = [fake.version(n, ApprovalStatus="Approved") for n in ("1.0.0", "1.0.1")]
    fake.versions["m-003"] = [fake.version("1.0.0")]

    sync_workspace(workspace=workspace, client=fake)

    (event,) = created_events()
    told = Notification.objects.filter(event=event).order_by("model_id")
    assert [(n.user, n.kind, n.model_id) for n in told] == [
        (rita, NotificationKind.NEW_PENDING, m) for m in ("m-000", "m-001", "m-003")
    ]
    by_model = {n.model_id: n for n in told}
    assert headline(NotificationKind.NEW_PENDING, event, "m-000") == (
        "2 new versions of model m-000 in workspace ws-unit wait for review."
    )
    assert notification_path(by_model["m-000"]) == reverse("model_detail", args=["m-000"])
    assert headline(NotificationKind.NEW_PENDING, event, "m-003") == (
        "A new version waits for review: m-003 version 1.0.0 in workspace ws-unit."
    )
    assert notification_path(by_model["m-003"]) == reverse("version_detail", args=["m-003", "1.0.0"])

    rows = OutboxMessage.objects.filter(channel=channel).order_by("id")
    assert [(r.kind, r.details["model_id"], r.details["versions"]) for r in rows] == [
        ("version.pending", "m-000", ["1.0.0", "1.0.1"]),
        ("version.pending", "m-001", ["1.0.0", "1.0.1"]),
        ("version.pending", "m-003", ["1.0.0"]),
    ]
    message = message_for(rows[2].event, rows[2].kind, rows[2].details, workspace="Unit", language="en")
    assert message.text == "New version waiting for review: m-003 1.0.0 in Unit"
    assert message.url == "https://dash.example.com/models/m-003/versions/1.0.0/"


def test_the_statements_of_a_page_do_not_grow_with_its_models(monkeypatch):
    """A first sync's page costs the same statements for 3 models as for 12 (with people and a channel
    to tell, so the recipients and the outbox are computed): nothing is done per model."""
    monkeypatch.setattr(sync.fetch, "PAGE_SIZE", 100)

    def first_sync(models: int, workspace_id: str) -> list[str]:
        workspace = Workspace.objects.create(name=workspace_id, workspace_id=workspace_id)
        make_user(f"rita-{workspace_id}", group="approver", workspace=workspace)
        make_channel(workspace, "https://hooks.example.com/x", secret=WEBHOOK_SECRET, events=["version.pending"])
        fake = FakePai({f"{workspace_id}-{m}": names for m, names in registry(models, 3).items()})
        with CaptureQueriesContext(connection) as queries:
            sync_workspace(workspace=workspace, client=fake)
        return [q["sql"] for q in queries.captured_queries]

    few, many = first_sync(3, "ws-few"), first_sync(12, "ws-many")

    assert len(few) == len(many), (len(few), len(many))
    audit = [q for q in many if "approvals_auditevent" in q and q.lstrip().upper().startswith("INSERT")]
    assert len(audit) == 1
    told = [q for q in many if q.lstrip().upper().startswith("INSERT") and "approvals_notification" in q]
    assert len(told) == 1  # the twelve notifications in one statement
    assert Notification.objects.filter(user__username="rita-ws-many").count() == 12


class DatasetPai(FakePai):
    """FakePai whose versions name datasets, answering GetDataset and noting the thread that asked."""

    def __init__(self, versions: dict[str, list[str]], datasets: dict[str, list[str]]) -> None:
        super().__init__(versions)
        for model_id, ids in datasets.items():
            for version in self.versions[model_id]:
                version["Metrics"] = {"Results": [{"Dataset": {"DatasetId": d}, "Metrics": {"cer": 0.1}} for d in ids]}
        self.asked: list[tuple[str, str]] = []

    def get_dataset(self, dataset_id: str) -> dict | None:
        self.asked.append((dataset_id, threading.current_thread().name))
        if dataset_id == "d-broken":
            raise PaiServerError("The service is busy.", status=503, code="ServiceUnavailable", request_id="R")
        return None if dataset_id == "d-gone" else {"Name": f"name of {dataset_id}", "Uri": f"oss://b/{dataset_id}"}


def test_the_fetch_thread_names_each_pages_datasets_and_the_page_stores_them(pages_of_four):
    workspace = Workspace.objects.create(name="Unit", workspace_id="ws-unit")
    fake = DatasetPai(registry(6), {"m-000": ["d-1", "d-gone"], "m-001": ["d-1"], "m-005": ["d-2"]})

    sync_workspace(workspace=workspace, client=fake)

    assert sorted(d for d, _thread in fake.asked) == ["d-1", "d-2", "d-gone"]  # each once
    assert all(thread.startswith("pai-sync-fetch") for _d, thread in fake.asked)
    stored = {row.dataset_id: (row.name, row.found) for row in DatasetName.objects.all()}
    assert stored == {"d-1": ("name of d-1", True), "d-2": ("name of d-2", True), "d-gone": ("", False)}

    fake.asked.clear()
    sync_workspace(workspace=workspace, client=fake)
    assert fake.asked == []  # named less than a day ago


def test_a_failing_get_dataset_leaves_the_rest_for_the_next_sync_and_the_sync_goes_on(pages_of_four):
    workspace = Workspace.objects.create(name="Unit", workspace_id="ws-unit")
    fake = DatasetPai(registry(6), {"m-000": ["d-broken", "d-later"], "m-005": ["d-2"]})

    result = sync_workspace(workspace=workspace, client=fake)

    assert result.ok and result.created == 12
    assert [d for d, _thread in fake.asked] == ["d-broken"]  # PAI failed once: no more lookups this sync
    assert not DatasetName.objects.exists()
