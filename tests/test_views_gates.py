"""The version page and the decision page say what is being approved: the revision, who approved so
far, dismissed approvals with why and what changed since, each gate in words; staff waive a gate there."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from approvals import services
from approvals.models import AuditEvent, GateWaiver, MetricGate
from approvals.services.policies import policy_update
from tests.factories import grant, make_model, make_user, make_version, results_metrics

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return grant(make_user("root", staff=True), "approver")


@pytest.fixture
def approver():
    return make_user("abe", group="approver")


@pytest.fixture
def model(staff):
    model = make_model(model_id="m-asr", name="speech-asr")
    gates = [{"metric": "cer", "dataset": "d-test", "higher_is_better": False, "max_regression": 0.005}]
    policy_update(workspace=model.workspace, user=staff, values={"required_approvers": 2, "gates": gates})
    make_version(
        model, version_name="0.9", approval_status="Approved", metrics=results_metrics(("d-test", {"cer": 0.175}))
    )
    return model


def candidate(model, cer, name="1.0"):
    return make_version(model, version_name=name, metrics=results_metrics(("d-test", {"cer": cer})))


def decide_url(version, status="Approved"):
    return reverse("version_decide", args=[version.model.model_id, version.version_name]) + f"?status={status}"


def detail_url(version):
    return reverse("version_detail", args=[version.model.model_id, version.version_name])


def text(response) -> str:
    """The page's words, tags dropped and spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", response.content.decode())).split())


def gate_row(page: str) -> str:
    match = re.search(r'<tr id="gate-\d+">(.*?)</tr>', page, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split()) if match else ""


def test_the_decision_page_shows_a_failing_gate_in_words_and_disables_approve_but_not_reject(client, model, approver):
    version = candidate(model, 0.19)
    client.force_login(approver)

    response = client.get(decide_url(version))
    page = response.content.decode()

    assert gate_row(page) == (
        "cer d-test lower 0.19 0.175 0.015 at most 0.005 fail worse than the baseline by more than allowed"
    )
    assert "Baseline (0.9)" in text(response)
    assert "Compared with the model's latest Approved version, 0.9." in text(response)
    assert re.search(r'<button type="button" class="approve" disabled aria-describedby="approve-blocked">', page)
    assert "A metric gate fails, so the version cannot be approved; rejecting is still possible." in text(response)
    assert 'href="?status=Rejected"' in page
    assert "Waive this gate" not in page  # approvers are not staff
    rejecting = client.get(decide_url(version, "Rejected")).content.decode()
    assert '<button type="submit" class="reject">' in rejecting


@pytest.mark.parametrize(
    ("metrics", "row"),
    [
        ({"cer": 0.18}, "cer d-test lower 0.18 0.175 0.005 at most 0.005 pass within the allowed regression"),
        ({"wer": 0.1}, "cer d-test lower missing 0.175 — at most 0.005 fail the version has no value for this metric"),
    ],
    ids=["at-the-edge", "missing"],
)
def test_the_decision_page_shows_passing_and_missing_gates(client, model, approver, metrics, row):
    version = make_version(model, version_name="1.0", metrics=results_metrics(("d-test", metrics)))
    client.force_login(approver)

    assert gate_row(client.get(decide_url(version)).content.decode()) == row


def test_without_an_approved_version_a_gate_passes_with_no_baseline(client, staff, approver):
    model = make_model()
    policy_update(workspace=model.workspace, user=staff, values={"gates": [{"metric": "cer"}]})
    version = make_version(model, metrics=results_metrics(("d", {"cer": 0.3})))
    client.force_login(approver)

    response = client.get(decide_url(version))

    assert gate_row(response.content.decode()) == "cer any higher 0.3 — — at most 0 pass no baseline"
    assert "The model has no Approved version yet: there is no baseline" in text(response)
    assert '<button type="submit" class="approve">' in response.content.decode()


def test_the_pages_show_the_revision_who_approved_and_what_changed_since_a_dismissed_approval(client, model, approver):
    editor = make_user("edna", group="editor")
    second = make_user("bea", group="approver")
    version = candidate(model, 0.17)
    services.version_decide(version_id=version.pk, user=approver, status="Approved", revision=0, reason="looks good")
    services.version_edit(
        version_id=version.pk,
        user=editor,
        values={"Metrics": results_metrics(("d-test", {"cer": 0.172}))},
        base_revision=0,
    )
    services.version_decide(version_id=version.pk, user=second, status="Approved", revision=1)
    client.force_login(second)

    for url in (detail_url(version), decide_url(version, "Rejected")):
        words = text(client.get(url))
        assert "Revision being decided: 1." in words
        assert "1 of 2 approvals: bea (" in words
        assert "Dismissed approvals abe approved revision 0 (“looks good”); dismissed" in words
        assert "The version was edited after this approval." in words
        assert "What changed since abe approved revision 0" in words
        assert '"cer": 0.172' in words and '"cer": 0.17' in words


def test_the_pages_read_in_chinese(client, model, approver):
    editor = make_user("edna", group="editor")
    failing = candidate(model, 0.19)
    passing = candidate(model, 0.17, name="1.1")
    services.version_decide(version_id=passing.pk, user=approver, status="Approved", revision=0)
    services.version_edit(version_id=passing.pk, user=editor, values={"VersionDescription": "new"}, base_revision=0)
    client.force_login(approver)
    client.cookies["django_language"] = "zh-hans"

    decide = text(client.get(decide_url(failing)))
    detail = text(client.get(detail_url(passing)))

    assert "指标门槛" in decide and "未通过" in decide and "比基线差，超出允许范围" in decide
    assert "有指标门槛未通过，无法批准此版本；仍可拒绝。" in decide
    assert "Metric gates" not in decide and "worse than the baseline" not in decide
    assert "已撤销的批准" in detail and "此批准之后版本被编辑过。" in detail
    # (The history below keeps the audit event's payload as recorded, in English.)
    decision = detail.split("审批决定", 1)[1].split("历史", 1)[0]
    assert "Dismissed approvals" not in decision and "The version was edited after this approval." not in decision


# --- waivers ----------------------------------------------------------------------------------


def waive_url(version, gate):
    return reverse("version_gate_waive", args=[version.model.model_id, version.version_name, gate.pk])


def test_staff_see_a_waiver_form_per_failing_gate_and_a_waiver_lets_approve_through(client, model, staff):
    version = candidate(model, 0.19)
    gate = MetricGate.objects.get()
    client.force_login(staff)
    page = client.get(decide_url(version)).content.decode()
    assert f'action="{waive_url(version, gate)}"' in page

    response = client.post(waive_url(version, gate), {"reason": "new test set", "back": "decide"})

    assert response.status_code == 302 and response["Location"] == decide_url(version) + "#h-gates"
    waiver = GateWaiver.objects.get()
    assert (waiver.version, waiver.gate, waiver.waived_by.username, waiver.reason) == (
        version,
        gate,
        "root",
        "new test set",
    )
    assert AuditEvent.objects.get(action="version.gate_waived").payload["reason"] == "new test set"
    after = client.get(response["Location"])
    assert gate_row(after.content.decode()).endswith("pass waived by root: “new test set”")
    assert "The gate is waived for this version; the waiver is in the audit log." in text(after)
    assert '<button type="submit" class="approve">' in after.content.decode()


def test_a_waiver_without_a_reason_is_refused_with_the_reason_shown(client, model, staff):
    version = candidate(model, 0.19)
    client.force_login(staff)

    response = client.post(waive_url(version, MetricGate.objects.get()), {"reason": "  ", "back": "detail"})

    assert response["Location"] == detail_url(version)
    assert "The gate was not waived: Say why this gate is waived." in text(client.get(response["Location"]))
    assert not GateWaiver.objects.exists()
    assert not AuditEvent.objects.filter(action="version.gate_waived").exists()


def test_only_staff_waive_only_by_post_and_only_with_the_csrf_token(client, model, approver, staff):
    version = candidate(model, 0.19)
    url = waive_url(version, MetricGate.objects.get())
    client.force_login(approver)
    assert client.post(url, {"reason": "please"}).status_code == 403

    client.force_login(staff)
    assert client.get(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff)
    assert strict.post(url, {"reason": "no token"}).status_code == 403
    missing = reverse("version_gate_waive", args=[version.model.model_id, "no-such", 1])
    assert client.post(missing, {"reason": "x"}).status_code == 404
    assert not GateWaiver.objects.exists()
