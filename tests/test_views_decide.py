"""Approve and reject: the confirmation page, every rule for every role, direct POSTs included."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from approvals import services
from approvals.models import Approval, AuditEvent, Change, ChangeKind, PushState
from tests.factories import grant, make_model, make_role_users, make_user, make_version, results_metrics, write_state

pytestmark = pytest.mark.django_db

ROLES_WITHOUT_APPROVER = ["viewer", "editor", "auditor", "staff", "nobody"]


@pytest.fixture
def users():
    return make_role_users()


@pytest.fixture
def version():
    return make_version(
        make_model(model_id="m-asr", name="speech-asr"),
        version_name="1.0.0",
        version_description="candidate",
        metrics=results_metrics(("d-test", {"cer": 0.175})),
        inference_spec={"processor": "pytorch"},
    )


def decide_url(version, status: str | None = None) -> str:
    url = reverse("version_decide", args=[version.model.model_id, version.version_name])
    return f"{url}?status={status}" if status else url


def detail_url(version) -> str:
    return reverse("version_detail", args=[version.model.model_id, version.version_name])


def decide(client, version, status: str, reason: str = "", revision: int | None = None):
    """POST the decision as the page does: with the revision it showed (the current one unless told)."""
    if revision is None:
        version.refresh_from_db()
        revision = version.revision
    return client.post(decide_url(version), {"status": status, "reason": reason, "revision": revision})


def reason_error(page: str) -> str:
    match = re.search(r'<div class="error" id="id_reason_error" role="alert">(.*?)</div>', page, re.S)
    return html.unescape(match.group(1)) if match else ""


def top_error(page: str) -> str:
    match = re.search(r'<div class="error card" role="alert">(.*?)</div>', page, re.S)
    return html.unescape(match.group(1)).strip() if match else ""


def edit(version, user, **values):
    version.refresh_from_db()
    return services.version_edit(version_id=version.pk, user=user, values=values, base_revision=version.revision)


# --- the confirmation page ------------------------------------------------------


def test_the_confirmation_shows_what_is_approved_and_that_it_cannot_be_undone(
    client, users, version, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        edit(version, users["editor"], VersionDescription="candidate, re-evaluated")
    client.force_login(users["approver"])

    page = client.get(decide_url(version, "Approved")).content.decode()

    assert "This cannot be undone" in page
    assert "PAI will not let an approval decision be changed" in page
    assert "EventBridge" in page and "EAS" in page
    assert '<th scope="row">cer</th><td class="num">0.175</td>' in page
    assert "&quot;processor&quot;: &quot;pytorch&quot;" in page
    pending = page.split("Pending edits PAI does not hold yet", 1)[1]
    assert "Revision 1" in pending and "by editor" in pending
    assert "<pre>candidate</pre></td><td><pre>candidate, re-evaluated</pre>" in pending
    assert '<label for="id_reason">Reason (optional)</label>' in page
    assert "Approve this version" in page


def test_the_rejection_page_asks_for_a_required_reason(client, users, version):
    client.force_login(users["approver"])

    page = client.get(decide_url(version, "Rejected")).content.decode()

    assert '<label for="id_reason">Reason (required)</label>' in page
    assert "Reject this version" in page
    assert "EventBridge" not in page


def test_a_confirmation_page_without_a_decision_offers_both_and_no_form(client, users, version):
    client.force_login(users["approver"])

    response = client.get(decide_url(version, "Pending"))

    assert response.status_code == 400
    assert 'name="reason"' not in response.content.decode()


def test_the_version_page_shows_approve_and_reject_to_approvers_only(client, users, version):
    for role in ["approver", *ROLES_WITHOUT_APPROVER]:
        client.force_login(users[role])
        page = client.get(detail_url(version)).content.decode()
        assert (html.escape(decide_url(version, "Approved")) in page) is (role == "approver"), role
        assert (html.escape(decide_url(version, "Rejected")) in page) is (role == "approver"), role


# --- roles ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES_WITHOUT_APPROVER)
def test_everyone_but_approvers_is_refused_the_page_and_the_decision(client, users, version, role):
    client.force_login(users[role])
    before = write_state(version)

    assert client.get(decide_url(version, "Approved")).status_code == 403
    assert decide(client, version, "Approved", "looks fine").status_code == 403
    assert decide(client, version, "Rejected", "bad").status_code == 403

    assert write_state(version) == before
    assert before["fields"]["ApprovalStatus"] == "Pending"


def test_anonymous_visitors_are_sent_to_login_and_nothing_is_decided(client, version):
    before = write_state(version)

    response = decide(client, version, "Approved")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert write_state(version) == before


# --- deciding -------------------------------------------------------------------


def test_an_approver_approves_without_a_reason(client, users, version, django_capture_on_commit_callbacks):
    client.force_login(users["approver"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = decide(client, version, "Approved")

    assert response.status_code == 302
    assert response["Location"] == reverse("home")  # nothing else waits: back to the queue
    version.refresh_from_db()
    assert (version.approval_status, version.revision, version.push_state) == ("Approved", 1, PushState.QUEUED)
    change = Change.objects.get()
    assert (change.kind, change.author, change.reason) == (ChangeKind.DECISION, users["approver"], "")
    assert change.fields == {"ApprovalStatus": ["Pending", "Approved"]}
    event = AuditEvent.objects.get()
    assert (event.actor, event.action) == ("approver", "version.approved")
    assert "reason" not in event.payload
    assert len(callbacks) == 1
    assert (
        f"Approved {version.model.name} {version.version_name}. Pushing to PAI…"
        in client.get(response["Location"]).content.decode()
    )


def test_an_approval_reason_is_kept_in_the_change_and_the_audit_log(
    client, users, version, django_capture_on_commit_callbacks
):
    client.force_login(users["approver"])

    with django_capture_on_commit_callbacks(execute=False):
        decide(client, version, "Approved", "CER improved on 双语 test set")

    assert Change.objects.get().reason == "CER improved on 双语 test set"
    assert AuditEvent.objects.get().payload["reason"] == "CER improved on 双语 test set"


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_a_rejection_without_a_reason_is_refused_at_the_reason_field(client, users, version, reason):
    client.force_login(users["approver"])
    before = write_state(version)

    response = decide(client, version, "Rejected", reason)

    assert response.status_code == 400
    assert reason_error(response.content.decode()) == "A rejection needs a reason."
    assert write_state(version) == before


def test_a_rejection_with_a_reason_decides_and_is_audited(client, users, version, django_capture_on_commit_callbacks):
    client.force_login(users["approver"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decide(client, version, "Rejected", "CER regressed")

    version.refresh_from_db()
    assert version.approval_status == "Rejected"
    event = AuditEvent.objects.get()
    assert (event.action, event.payload["reason"]) == ("version.rejected", "CER regressed")
    assert len(callbacks) == 1


def test_a_decision_other_than_approve_or_reject_is_refused(client, users, version):
    client.force_login(users["approver"])
    before = write_state(version)

    response = decide(client, version, "Pending", "why not")

    assert response.status_code == 400
    assert top_error(response.content.decode()) == "The decision must be Approved or Rejected."
    assert write_state(version) == before


# --- separation of duties -------------------------------------------------------


@pytest.fixture
def editing_approver():
    user = make_user("both", group="approver")
    grant(user, "editor")
    return user


def test_an_approver_who_edited_the_version_cannot_approve_it(
    client, editing_approver, version, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        edit(version, editing_approver, VersionDescription="tuned by me")
    client.force_login(editing_approver)
    before = write_state(version)

    detail = client.get(detail_url(version)).content.decode()
    confirm = client.get(decide_url(version, "Approved")).content.decode()
    response = decide(client, version, "Approved", "fine")

    assert "You edited this version; another approver has to approve it." in detail
    assert html.escape(decide_url(version, "Approved")) not in detail
    assert html.escape(decide_url(version, "Rejected")) in detail  # rejecting one's own work is allowed
    assert 'name="reason"' not in confirm
    assert response.status_code == 400
    assert top_error(response.content.decode()) == "You edited this version; another approver has to approve it."
    assert write_state(version) == before


def test_with_separation_of_duties_off_an_editing_approver_may_approve(
    client, settings, editing_approver, version, django_capture_on_commit_callbacks
):
    settings.APPROVALS_SEPARATION_OF_DUTIES = False
    with django_capture_on_commit_callbacks(execute=False):
        edit(version, editing_approver, VersionDescription="tuned by me")
        client.force_login(editing_approver)
        response = decide(client, version, "Approved")

    assert response.status_code == 302
    version.refresh_from_db()
    assert version.approval_status == "Approved"


# --- two approvers --------------------------------------------------------------


def test_with_two_required_approvers_the_first_approval_waits_and_the_second_decides(
    client, settings, users, version, django_capture_on_commit_callbacks
):
    settings.APPROVALS_REQUIRED_APPROVERS = 2
    second = make_user("second", group="approver")
    client.force_login(users["approver"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = decide(client, version, "Approved", "first look")

    version.refresh_from_db()
    assert (version.approval_status, version.revision) == ("Pending", 0)
    assert list(Approval.objects.values_list("approver__username", "reason")) == [("approver", "first look")]
    assert not Change.objects.exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.payload["approvals"], event.payload["required"]) == ("version.approval_recorded", 1, 2)
    assert callbacks == []
    page = client.get(response["Location"]).content.decode()
    assert "is recorded (1 of 2). It waits for a second approver" in page
    page = client.get(detail_url(version)).content.decode()
    assert "1 of 2 approvals" in page and "approver (" in page
    assert html.escape(decide_url(version, "Approved")) not in page  # they already approved

    before = write_state(version)
    again = decide(client, version, "Approved")
    assert top_error(again.content.decode()) == "You already approved this version; it waits for another approver."
    assert write_state(version) == before

    client.force_login(second)
    second_page = client.get(detail_url(version)).content.decode()
    assert html.escape(decide_url(version, "Approved")) in second_page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decide(client, version, "Approved")

    version.refresh_from_db()
    assert version.approval_status == "Approved"
    assert Approval.objects.count() == 2
    assert Change.objects.get().author == second
    assert len(callbacks) == 1


def test_with_two_required_approvers_a_rejection_decides_at_once(
    client, settings, users, version, django_capture_on_commit_callbacks
):
    settings.APPROVALS_REQUIRED_APPROVERS = 2
    client.force_login(users["approver"])
    with django_capture_on_commit_callbacks(execute=False):
        decide(client, version, "Approved")
        client.force_login(make_user("second", group="approver"))
        decide(client, version, "Rejected", "not yet")

    version.refresh_from_db()
    assert version.approval_status == "Rejected"
    assert Change.objects.get().fields == {"ApprovalStatus": ["Pending", "Rejected"]}


# --- blocked decisions ----------------------------------------------------------


@pytest.mark.parametrize("status", ["Approved", "Rejected"])
def test_a_decided_version_shows_no_buttons_and_a_direct_post_is_refused(client, users, version, status):
    version.approval_status = status
    version.save()
    client.force_login(users["approver"])
    before = write_state(version)

    detail = client.get(detail_url(version)).content.decode()
    confirm = client.get(decide_url(version, "Rejected")).content.decode()
    response = decide(client, version, "Rejected", "changed my mind")

    assert f"This version is {status}; PAI does not allow another decision." in detail
    assert html.escape(decide_url(version, "Approved")) not in detail
    assert html.escape(decide_url(version, "Rejected")) not in detail
    assert 'name="reason"' not in confirm
    assert response.status_code == 400
    assert top_error(response.content.decode()) == f"This version is already {status}; PAI does not allow a change."
    assert write_state(version) == before


@pytest.mark.parametrize("state", [PushState.FAILED, PushState.CONFLICT])
def test_a_failed_or_conflicted_push_blocks_decisions_until_resolved(client, users, version, state):
    version.push_state = state
    version.conflict = {"VersionDescription": {"base": "a", "theirs": "b", "yours": "c"}} if state == "conflict" else {}
    version.save()
    client.force_login(users["approver"])
    before = write_state(version)

    detail = client.get(detail_url(version)).content.decode()
    response = decide(client, version, "Approved")

    assert f"The push is {state}; resolve that before deciding." in detail
    assert html.escape(decide_url(version, "Approved")) not in detail
    assert top_error(response.content.decode()) == f"The version's push is {state}; resolve that before deciding."
    assert write_state(version) == before


def test_a_version_pai_no_longer_lists_cannot_be_decided(client, users, version):
    version.gone = True
    version.save()
    client.force_login(users["approver"])
    before = write_state(version)

    response = decide(client, version, "Approved")

    assert top_error(response.content.decode()) == "PAI no longer lists this version; it cannot be decided."
    assert write_state(version) == before


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'])
def test_values_on_the_confirmation_page_render_escaped(client, users, version, payload):
    version.version_description = payload
    version.metrics = results_metrics((payload, {payload: 1}))
    version.save()
    client.force_login(users["approver"])

    page = client.get(decide_url(version, "Approved")).content.decode()

    assert "<script>alert" not in page and "<img src=x" not in page
    assert html.escape(payload) in page


def test_a_decision_posted_from_a_page_of_an_older_revision_decides_nothing_and_shows_the_change(
    client, version, users
):
    client.force_login(users["approver"])
    shown = version.revision
    services.version_edit(
        version_id=version.pk,
        user=users["editor"],
        values={"VersionDescription": "edited meanwhile"},
        base_revision=shown,
    )
    before = write_state(version)
    response = decide(client, version, "Approved", "looked fine", revision=shown)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was decided: the version changed after you opened it" in page
    assert "edited meanwhile" in page
    assert write_state(version) == before


def test_a_decision_without_the_revision_it_was_made_on_is_refused(client, version, users):
    client.force_login(users["approver"])
    before = write_state(version)
    response = client.post(decide_url(version), {"status": "Approved", "reason": ""})
    assert response.status_code == 400
    assert write_state(version) == before


# --- "and next" -------------------------------------------------------------------


def test_with_another_version_waiting_the_buttons_say_and_next_and_name_it(client, users, version):
    following = make_version(make_model(name="text-ocr"), version_name="2.0.0")
    client.force_login(users["approver"])

    approve = client.get(decide_url(version, "Approved")).content.decode()
    reject = client.get(decide_url(version, "Rejected")).content.decode()

    assert re.search(
        r'<button type="submit" class="approve" aria-describedby="next-version">Approve and next</button>', approve
    )
    assert re.search(
        r'<button type="submit" class="reject" aria-describedby="next-version">Reject and next</button>', reject
    )
    for page in (approve, reject):
        assert "this version</button>" not in page
        assert f"Then on to the next version waiting: text-ocr {following.version_name}." in page


def test_with_nothing_else_waiting_the_buttons_decide_this_version_only(client, users, version):
    make_version(make_model(name="done"), version_name="0.9.0", approval_status="Approved")
    client.force_login(users["approver"])

    approve = client.get(decide_url(version, "Approved")).content.decode()
    reject = client.get(decide_url(version, "Rejected")).content.decode()

    assert ">Approve this version</button>" in approve and "and next" not in approve
    assert ">Reject this version</button>" in reject and "and next" not in reject
    assert "Then on to the next version waiting" not in approve + reject


def test_approving_and_next_lands_on_the_version_the_page_named(client, users, version):
    following = make_version(make_model(name="text-ocr"), version_name="2.0.0")
    client.force_login(users["approver"])
    assert f"text-ocr {following.version_name}." in client.get(decide_url(version, "Approved")).content.decode()

    response = decide(client, version, "Approved")

    assert response.status_code == 302
    assert response["Location"] == detail_url(following)
    landed = client.get(response["Location"]).content.decode()
    assert f"Approved {version.model.name} {version.version_name}. Pushing to PAI…" in landed
    assert "This is the next version waiting." in landed


def test_and_next_in_chinese(client, users, version):
    make_version(make_model(name="text-ocr"), version_name="2.0.0")
    client.force_login(users["approver"])
    client.cookies["django_language"] = "zh-hans"

    approve = client.get(decide_url(version, "Approved")).content.decode()
    reject = client.get(decide_url(version, "Rejected")).content.decode()

    assert "批准并转到下一个</button>" in approve
    assert "拒绝并转到下一个</button>" in reject
    assert "随后转到下一个待审批的版本：text-ocr 2.0.0。" in approve
