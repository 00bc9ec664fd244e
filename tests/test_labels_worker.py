"""A label edited on the dashboard's page reaches PAI through a real Celery worker, as the official SDK reads it."""

from __future__ import annotations

import pytest
from alibabacloud_aiworkspace20210204 import models as pai_models
from django.urls import reverse

from approvals.models import PushState
from tests.fixtures_worker import wait_for
from tests.test_labels_edit import page_post
from tests.test_sdk_conformance import sdk

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker_process")]


def test_a_label_edited_on_the_page_is_in_pai_through_the_worker(client, pending_version, editor, pai_emulator):
    client.force_login(editor)
    response = page_post(client, pending_version, "stage=prod\nteam=语音 nlp", confirm=True)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "version_detail", args=[pending_version.model.model_id, pending_version.version_name]
    )

    def pushed() -> bool:
        pending_version.refresh_from_db()
        return pending_version.push_state == PushState.DONE and pending_version.pushed_revision == 1

    wait_for(pushed, timeout=30, what="the label edit to be pushed")
    body = (
        sdk(pai_emulator)
        .get_model_version(
            pending_version.model.model_id, pending_version.version_name, pai_models.GetModelVersionRequest()
        )
        .body
    )
    assert {label.key: label.value for label in body.labels} == {"stage": "prod", "team": "语音 nlp"}
