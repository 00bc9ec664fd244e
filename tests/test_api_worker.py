"""A PATCH and a decision through the API reach PAI through a real worker, like the form's."""

from __future__ import annotations

import pytest

from approvals.models import AuditEvent, PushState
from approvals.pai_clients import client_for as pai_client_for
from approvals.services.audit import verify_chain
from tests.fixtures_worker import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker_process")]


def settled(version, timeout=30):
    def check():
        version.refresh_from_db()
        return version.push_state == PushState.DONE and version.pushed_revision == version.revision

    wait_for(check, timeout=timeout, what=f"{version} to reach PAI")


def test_a_patch_and_a_decision_through_the_api_reach_pai_through_the_worker(
    pending_version, editor, approver, client_for, fresh_rate_limits
):
    url = f"/api/models/{pending_version.model.model_id}/versions/{pending_version.version_name}"
    metrics = {"Results": [{"Dataset": {"DatasetId": "d-api"}, "Metrics": {"cer": 0.111}}]}
    etag = client_for(editor).get(url)["ETag"]
    response = client_for(editor).patch(
        url, {"Metrics": metrics, "VersionDescription": "由流水线写入"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.content
    settled(pending_version)
    etag = client_for(approver).get(url)["ETag"]
    decision = client_for(approver).post(
        f"{url}/decision", {"ApprovalStatus": "Approved", "Reason": "cer improved"}, format="json", HTTP_IF_MATCH=etag
    )
    assert decision.status_code == 200, decision.content
    settled(pending_version)

    held = pai_client_for().get_model_version(pending_version.model.model_id, pending_version.version_name)
    assert (held["Metrics"], held["VersionDescription"], held["ApprovalStatus"]) == (
        metrics,
        "由流水线写入",
        "Approved",
    )
    actions = list(
        AuditEvent.objects.filter(model_id=pending_version.model.model_id, version_name=pending_version.version_name)
        .order_by("seq")
        .values_list("actor", "action")
    )
    assert ("edna", "version.edited") in actions and ("abe", "version.approved") in actions
    assert sum(action == "push.done" for _, action in actions) == 2
    final = client_for(editor).get(url).json()
    assert (final["push_state"], final["pushed_revision"], final["last_request_id"] != "") == ("done", 2, True)
    assert verify_chain().ok
