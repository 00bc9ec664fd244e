"""A sync whose listing PAI answered before one of our pushes landed must not undo
that push in the dashboard (found by the chaos run: the dashboard went back to the
old description while PAI held the new one, with a `pai.changed` nobody made)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals import services
from approvals.models import AuditEvent, ModelVersion
from approvals.pai.client import PaiClient
from approvals.pai_clients import client_for
from approvals.services import push
from approvals.sync import sync_workspace

pytestmark = pytest.mark.django_db(transaction=True)


def edit(version, user, **values):
    version.refresh_from_db()
    return services.version_edit(version_id=version.pk, user=user, values=values, base_revision=version.revision)


@pytest.fixture
def push_lands_after_the_listing(monkeypatch):
    """Make the next listing of versions answer first, then let `version`'s push land."""
    original = PaiClient.list_model_versions_page
    owed: list[ModelVersion] = []

    def listing_then_push(self, model_id, **kwargs):
        page = original(self, model_id, **kwargs)
        while owed:
            push.push_version(version_id=owed.pop().pk)
        return page

    monkeypatch.setattr(PaiClient, "list_model_versions_page", listing_then_push)
    return owed


def test_a_push_that_lands_while_sync_lists_is_not_undone(
    pending_version, synced_workspace, editor, push_lands_after_the_listing
):
    version = pending_version
    # An earlier push moves PAI's GmtModifiedTime, so the next listing shows the version as changed.
    edit(version, editor, Options='{"earlier": 1}')
    push.push_version(version_id=version.pk)
    edit(version, editor, VersionDescription="pushed while sync listed")
    push_lands_after_the_listing.append(version)

    sync_workspace(workspace=synced_workspace)

    version.refresh_from_db()
    assert (version.pushed_revision, version.revision) == (2, 2)
    remote = client_for().get_model_version(version.model.model_id, version.version_name)
    assert remote["VersionDescription"] == version.version_description == "pushed while sync listed"
    assert not AuditEvent.objects.filter(action="pai.changed", version_name=version.version_name).exists()


def test_the_next_sync_takes_in_a_console_change_to_a_version_pushed_long_before(
    pending_version, synced_workspace, editor
):
    version = pending_version
    edit(version, editor, VersionDescription="ours")
    push.push_version(version_id=version.pk)
    ModelVersion.objects.filter(pk=version.pk).update(pushed_at=timezone.now() - timedelta(minutes=5))
    client_for().update_model_version(version.model.model_id, version.version_name, {"VersionDescription": "console"})

    sync_workspace(workspace=synced_workspace)

    version.refresh_from_db()
    assert version.version_description == "console"
    assert AuditEvent.objects.filter(action="pai.changed", version_name=version.version_name).exists()


def test_pai_holding_an_earlier_value_of_ours_is_not_reported_as_a_change_made_elsewhere(
    pending_version, synced_workspace, editor
):
    version = pending_version
    edit(version, editor, VersionDescription="first of ours")
    # That push was applied, then timed out: PAI has it, the dashboard does not know.
    client_for().update_model_version(
        version.model.model_id, version.version_name, {"VersionDescription": "first of ours"}
    )
    edit(version, editor, VersionDescription="second of ours")

    sync_workspace(workspace=synced_workspace)

    version.refresh_from_db()
    assert version.version_description == "second of ours"
    assert not AuditEvent.objects.filter(action="pai.changed", version_name=version.version_name).exists()
