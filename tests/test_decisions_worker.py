"""The decision barrier with a real Celery worker process and the live emulator."""

from __future__ import annotations

import pytest
from django.db import transaction

from approvals.errors import ApplicationError
from approvals.models import PushState
from tests.fixtures_worker import wait_for
from tests.test_decisions_exact import Updates, console_edit, decide, edit, fresh

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker_process")]


def test_an_edit_saved_between_a_decision_and_its_push_reaches_pai_in_a_later_update(
    pending_version, editor, approver, pai_emulator
):
    updates = Updates(pai_emulator)
    try:
        # Both commit before the worker sees either: the edit is saved before the decision's push.
        with transaction.atomic():
            decide(pending_version, approver, reason="as shown")
            edit(pending_version, editor, VersionDescription="after the decision")

        def settled():
            version = fresh(pending_version)
            return version.push_state == PushState.DONE and version.pushed_revision == version.revision

        wait_for(settled, timeout=30, what="both pushes")
        bodies = [body for body, _after in updates.seen]
        assert [body.get("ApprovalStatus") for body in bodies] == ["Approved", None]
        assert "VersionDescription" not in bodies[0] and bodies[1] == {"VersionDescription": "after the decision"}
        [approved] = updates.approvals()
        assert approved["VersionDescription"] != "after the decision"
    finally:
        updates.stop()


def test_a_console_edit_before_the_push_ends_in_conflict_with_nothing_sent(pending_version, approver, pai_emulator):
    updates = Updates(pai_emulator)
    try:
        with transaction.atomic():
            decide(pending_version, approver)
            console_edit(pending_version, Options='{"deployed_by": "console"}')
            updates.seen.clear()  # the console's own update; the push comes after the commit

        wait_for(lambda: fresh(pending_version).push_state == PushState.CONFLICT, timeout=30, what="the conflict")
        assert updates.seen == []
        version = fresh(pending_version)
        assert version.approval_status == "Pending"
        assert version.conflict["Options"]["theirs"] == '{"deployed_by": "console"}'
        with pytest.raises(ApplicationError):
            decide(pending_version, approver)  # a person must resolve and look again first
    finally:
        updates.stop()
