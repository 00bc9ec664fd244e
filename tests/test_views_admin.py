import importlib
import sys
import types

import pytest
from django.urls import reverse

from approvals.models import AuditEvent
from tests.factories import make_event, make_model, make_user, make_version, make_workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(make_user("admin", staff=True))


def test_the_version_changelist_lists_filters_and_searches(client, staff):
    model = make_model(name="speech-asr")
    make_version(model, version_name="1.0.0", approval_status="Approved")
    make_version(make_model(name="ocr"), version_name="2.0.0")

    everything = client.get(reverse("admin:approvals_modelversion_changelist")).content.decode()
    searched = client.get(reverse("admin:approvals_modelversion_changelist"), {"q": "speech"}).content.decode()
    pending = client.get(
        reverse("admin:approvals_modelversion_changelist"), {"approval_status__exact": "Pending"}
    ).content.decode()

    assert "1.0.0" in everything and "2.0.0" in everything
    assert "1.0.0" in searched and "2.0.0" not in searched
    assert "2.0.0" in pending and "1.0.0" not in pending


def test_audit_events_can_be_read_in_admin_but_not_added_changed_or_deleted(client, staff):
    event = make_event(make_version(), actor="PAI", action="pai_changed")

    listing = client.get(reverse("admin:approvals_auditevent_changelist"))
    add = client.get(reverse("admin:approvals_auditevent_add"))
    change = client.post(reverse("admin:approvals_auditevent_change", args=[event.pk]), {"actor": "mallory"})
    delete = client.post(reverse("admin:approvals_auditevent_delete", args=[event.pk]), {"post": "yes"})

    assert "pai_changed" in listing.content.decode()
    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).actor == "PAI"


def test_sync_now_queues_a_sync_for_each_chosen_workspace(
    client, staff, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    try:
        tasks = importlib.import_module("approvals.tasks")
    except ImportError:  # the tasks module lands separately; stand in for it
        tasks = types.ModuleType("approvals.tasks")
        monkeypatch.setitem(sys.modules, "approvals.tasks", tasks)
    monkeypatch.setattr(
        tasks, "sync_workspace_task", types.SimpleNamespace(delay=lambda pk: queued.append(pk)), raising=False
    )
    first, second, _ = make_workspace(), make_workspace(), make_workspace()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:approvals_workspace_changelist"),
            {"action": "sync_now", "_selected_action": [first.pk, second.pk]},
            follow=True,
        )

    assert sorted(queued) == sorted([first.pk, second.pk])
    # The admin's door goes through the same service as the API: the request is audited.
    requested = AuditEvent.objects.filter(action="sync.requested").values_list("workspace_id", flat=True)
    assert sorted(requested) == sorted([first.workspace_id, second.workspace_id])
    assert "Sync queued for 2 workspace(s)." in response.content.decode()


def test_people_who_are_not_staff_cannot_open_admin(client):
    client.force_login(make_user("auditor", group="auditor"))

    response = client.get(reverse("admin:approvals_auditevent_changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
