"""Labels through the push pipeline and the sync, against the live emulator over HTTP:
what the official SDK reads back, delete-then-create, conflicts, a push cut in half,
and a label changed in PAI coming back as a `PAI` audit event."""

from __future__ import annotations

import pytest
from alibabacloud_aiworkspace20210204 import models as pai_models
from django.urls import reverse

from approvals import services
from approvals.models import AuditEvent, ModelVersion, PushState, VersionLabel
from approvals.services import push
from approvals.sync import sync_workspace
from tests.test_sdk_conformance import sdk

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(pending_version):
    return pending_version


def edit(version, user, **values):
    version.refresh_from_db()
    return services.version_edit(version_id=version.pk, user=user, values=values, base_revision=version.revision)


def sdk_labels(server, version) -> dict[str, str]:
    """The version's labels as Alibaba's own SDK reads them from the emulator."""
    body = (
        sdk(server)
        .get_model_version(version.model.model_id, version.version_name, pai_models.GetModelVersionRequest())
        .body
    )
    return {label.key: label.value for label in body.labels or []}


def calls(server, action: str) -> int:
    return server.injector.stats()["requests"].get(action, 0)


def stored(server, version):
    return server.store.get_version(version.model.model_id, version.version_name)["Labels"]


def test_a_label_edited_in_the_dashboard_is_in_pai_as_the_official_sdk_reads_it(version, editor, pai_emulator):
    assert sdk_labels(pai_emulator, version) == {"stage": version.labels[0]["Value"]}
    edit(version, editor, Labels=[{"Key": "stage", "Value": "prod"}, {"Key": "team", "Value": "语音"}])

    outcome = push.push_version(version_id=version.pk)

    assert outcome.state == PushState.DONE
    assert sdk_labels(pai_emulator, version) == {"stage": "prod", "team": "语音"}
    version.refresh_from_db()
    assert (version.push_state, version.pushed_revision) == (PushState.DONE, version.revision)
    event = AuditEvent.objects.filter(action="push.done", version_name=version.version_name).get()
    assert event.payload["request_id"] == version.last_request_id != ""


def test_a_changed_value_is_deleted_then_created_and_update_model_version_is_not_called(version, editor, pai_emulator):
    edit(version, editor, Labels=[{"Key": "stage", "Value": "prod"}])
    before = {a: calls(pai_emulator, a) for a in ("DeleteModelVersionLabels", "CreateModelVersionLabels")}
    updates = calls(pai_emulator, "UpdateModelVersion")

    push.push_version(version_id=version.pk)

    assert calls(pai_emulator, "DeleteModelVersionLabels") - before["DeleteModelVersionLabels"] == 1
    assert calls(pai_emulator, "CreateModelVersionLabels") - before["CreateModelVersionLabels"] == 1
    assert calls(pai_emulator, "UpdateModelVersion") == updates
    assert stored(pai_emulator, version) == [{"Key": "stage", "Value": "prod"}]


def test_removing_every_label_only_deletes(version, editor, pai_emulator):
    edit(version, editor, Labels=[])
    creates = calls(pai_emulator, "CreateModelVersionLabels")
    push.push_version(version_id=version.pk)
    assert stored(pai_emulator, version) == []
    assert calls(pai_emulator, "CreateModelVersionLabels") == creates


def test_labels_and_other_fields_edited_together_all_arrive(version, editor, pai_emulator):
    edit(version, editor, Labels=[*version.labels, {"Key": "owner", "Value": "alice"}])
    edit(version, editor, VersionDescription="with an owner")
    push.push_version(version_id=version.pk)
    held = pai_emulator.store.get_version(version.model.model_id, version.version_name)
    assert held["VersionDescription"] == "with an owner"
    assert sdk_labels(pai_emulator, version)["owner"] == "alice"


def test_two_label_edits_arrive_as_the_later_one(version, editor, pai_emulator):
    edit(version, editor, Labels=[{"Key": "stage", "Value": "first"}])
    edit(version, editor, Labels=[{"Key": "stage", "Value": "second"}, {"Key": "x", "Value": "1"}])
    push.push_version(version_id=version.pk)
    assert sdk_labels(pai_emulator, version) == {"stage": "second", "x": "1"}


def test_labels_changed_in_pai_since_the_edit_put_the_version_in_conflict(version, editor, pai_emulator):
    base = list(version.labels)
    edit(version, editor, Labels=[{"Key": "stage", "Value": "ours"}])
    pai_emulator.store.create_labels(
        version.model.model_id, version.version_name, {"Labels": [{"Key": "reviewed", "Value": "console"}]}
    )

    outcome = push.push_version(version_id=version.pk)

    assert outcome.state == PushState.CONFLICT
    version.refresh_from_db()
    assert version.conflict == {
        "Labels": {
            "base": base,
            "theirs": sorted([*base, {"Key": "reviewed", "Value": "console"}], key=lambda lb: lb["Key"]),
            "yours": [{"Key": "stage", "Value": "ours"}],
        }
    }
    assert {lb["Key"] for lb in stored(pai_emulator, version)} == {"stage", "reviewed"}  # nothing sent
    assert AuditEvent.objects.filter(action="push.conflict").count() == 1


def test_keeping_yours_after_a_label_conflict_sends_yours(version, editor, pai_emulator):
    edit(version, editor, Labels=[{"Key": "stage", "Value": "ours"}])
    pai_emulator.store.create_labels(version.model.model_id, version.version_name, {"Labels": [{"Key": "x"}]})
    push.push_version(version_id=version.pk)
    services.version_resolve_conflict(version_id=version.pk, user=editor, keep={"Labels": "yours"})
    assert push.push_version(version_id=version.pk).state == PushState.DONE
    assert sdk_labels(pai_emulator, version) == {"stage": "ours"}


def test_a_push_cut_between_delete_and_create_is_finished_by_the_next_not_taken_for_a_conflict(
    version, editor, pai_emulator
):
    edit(version, editor, Labels=[{"Key": "stage", "Value": "prod"}])
    # What an earlier attempt leaves when the worker dies after DeleteModelVersionLabels.
    pai_emulator.store.delete_labels(version.model.model_id, version.version_name, "stage")

    assert push.push_version(version_id=version.pk).state == PushState.DONE
    assert sdk_labels(pai_emulator, version) == {"stage": "prod"}


def test_pai_holding_our_labels_in_another_order_is_our_push_landed(version, editor, pai_emulator):
    wanted = [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    edit(version, editor, Labels=wanted)
    key = (version.model.model_id, version.version_name)
    pai_emulator.store.delete_labels(*key, "stage")
    pai_emulator.store.create_labels(*key, {"Labels": list(reversed(wanted))})
    writes = calls(pai_emulator, "CreateModelVersionLabels")

    assert push.push_version(version_id=version.pk).state == PushState.DONE
    assert calls(pai_emulator, "CreateModelVersionLabels") == writes  # nothing left to send


def test_a_decision_with_a_label_edit_sends_the_labels_then_the_decision(version, editor, approver, pai_emulator):
    edit(version, editor, Labels=[{"Key": "stage", "Value": "release"}])
    version.refresh_from_db()
    services.version_decide(version_id=version.pk, user=approver, status="Approved", reason="good")

    assert push.push_version(version_id=version.pk).state == PushState.DONE
    body = (
        sdk(pai_emulator)
        .get_model_version(version.model.model_id, version.version_name, pai_models.GetModelVersionRequest())
        .body
    )
    assert body.approval_status == "Approved"
    assert {lb.key: lb.value for lb in body.labels} == {"stage": "release"}


# --- the sync --------------------------------------------------------------------------


def test_a_label_changed_in_pai_shows_up_after_a_sync_as_a_pai_event_and_in_the_filter_index(
    version, synced_workspace, pai_emulator
):
    key = (version.model.model_id, version.version_name)
    old = list(version.labels)
    pai_emulator.store.create_labels(*key, {"Labels": [{"Key": "stage", "Value": "console-set"}]})

    sync_workspace(workspace=synced_workspace)

    version.refresh_from_db()
    assert version.labels == [{"Key": "stage", "Value": "console-set"}]
    event = AuditEvent.objects.filter(action="pai.changed", version_name=version.version_name).get()
    assert event.actor == "PAI"
    assert event.payload["fields"]["Labels"] == [old, [{"Key": "stage", "Value": "console-set"}]]
    assert list(VersionLabel.objects.filter(version=version).values_list("key", "value")) == [("stage", "console-set")]


def test_the_first_sync_indexes_every_version_s_labels(synced_workspace):
    versions = ModelVersion.objects.filter(workspace=synced_workspace)
    expected = sorted((v.pk, lb["Key"], lb["Value"]) for v in versions for lb in v.labels)
    rows = sorted(VersionLabel.objects.values_list("version_id", "key", "value"))
    assert rows == expected and len(rows) > 10


def test_a_sync_keeps_unpushed_label_edits_and_reports_what_pai_did(version, editor, synced_workspace, pai_emulator):
    edit(version, editor, Labels=[{"Key": "stage", "Value": "ours"}])
    pai_emulator.store.create_labels(
        version.model.model_id, version.version_name, {"Labels": [{"Key": "stage", "Value": "theirs"}]}
    )
    sync_workspace(workspace=synced_workspace)
    version.refresh_from_db()
    assert version.labels == [{"Key": "stage", "Value": "ours"}]  # the pipeline owns it until pushed
    assert AuditEvent.objects.filter(action="pai.changed", version_name=version.version_name).exists()


def test_the_conflict_page_shows_base_theirs_and_yours_of_the_labels(client, version, editor, pai_emulator):
    edit(version, editor, Labels=[{"Key": "stage", "Value": "ours-value"}])
    pai_emulator.store.create_labels(
        version.model.model_id, version.version_name, {"Labels": [{"Key": "stage", "Value": "theirs-value"}]}
    )
    push.push_version(version_id=version.pk)
    client.force_login(editor)
    for name in ("version_detail", "version_resolve_conflict"):
        page = client.get(reverse(name, args=[version.model.model_id, version.version_name]))
        assert page.status_code == 200
        text = page.content.decode()
        assert "ours-value" in text and "theirs-value" in text


def test_a_changed_value_ends_right_even_if_pai_adds_a_second_entry_for_an_existing_key(
    version, editor, pai_emulator, monkeypatch
):
    """PAI does not document what creating an existing key does; here it keeps both entries."""
    store = pai_emulator.store

    def create_appending(model_id, version_name, body):
        with store._lock:
            current = store._version(model_id, version_name)
            generation = store._set_labels(model_id, current, [*(current.get("Labels") or []), *body["Labels"]])
        store.wait_durable(generation)

    monkeypatch.setattr(store, "create_labels", create_appending)
    edit(version, editor, Labels=[{"Key": "stage", "Value": "prod"}])

    assert push.push_version(version_id=version.pk).state == PushState.DONE
    assert stored(pai_emulator, version) == [{"Key": "stage", "Value": "prod"}]  # one entry: deleted first
