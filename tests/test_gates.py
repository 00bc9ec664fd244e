"""Metric gates: a version's metric against the model's latest Approved version, both directions,
at the tolerance's edge and past it, a missing metric, no baseline, and waivers (staff, audited)."""

from __future__ import annotations

import pytest

from approvals import services
from approvals.display.gates import evaluate
from approvals.errors import ApplicationError
from approvals.models import Approval, AuditEvent, Change, GateWaiver, MetricGate
from approvals.selectors.policies import gate_results, policy_of
from approvals.services.policies import gate_waive, policy_update
from tests.factories import make_model, make_user, make_version, results_metrics, write_state


def gate(metric="cer", *, higher_is_better=False, max_regression=0.005, dataset=""):
    return MetricGate(metric=metric, dataset=dataset, higher_is_better=higher_is_better, max_regression=max_regression)


def metrics(**values):
    return results_metrics(("d-test", values))


# --- evaluation (pure) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "why"),
    [(0.95, "pass"), (0.88, "pass"), (0.8799, "fail"), (0.5, "fail")],
    ids=["better", "exactly-at-the-edge", "just-past-the-edge", "far-worse"],
)
def test_a_higher_is_better_gate_allows_a_drop_up_to_its_tolerance(value, why):
    accuracy = gate("accuracy", higher_is_better=True, max_regression=0.02)

    result = evaluate(accuracy, metrics(accuracy=value), metrics(accuracy=0.90))

    assert (result.why, result.passed) == (why, why == "pass")
    assert (result.value, result.baseline) == (value, 0.90)


@pytest.mark.parametrize(
    ("value", "why"),
    [(0.1, "pass"), (0.18, "pass"), (0.1801, "fail")],
    ids=["better", "exactly-at-the-edge", "just-past-the-edge"],
)
def test_a_lower_is_better_gate_allows_a_rise_up_to_its_tolerance(value, why):
    result = evaluate(gate("cer", max_regression=0.005), metrics(cer=value), metrics(cer=0.175))

    assert result.why == why and result.passed == (why == "pass")


def test_a_gate_with_no_tolerance_passes_an_equal_value_and_fails_any_regression():
    strict = gate("cer", max_regression=0.0)

    assert evaluate(strict, metrics(cer=0.175), metrics(cer=0.175)).passed
    assert not evaluate(strict, metrics(cer=0.17500001), metrics(cer=0.175)).passed


def test_a_version_without_the_metric_fails_even_without_a_baseline():
    with_baseline = evaluate(gate("cer"), metrics(wer=0.1), metrics(cer=0.175))
    without = evaluate(gate("cer"), metrics(wer=0.1), None)

    assert (with_baseline.why, with_baseline.passed, with_baseline.value) == ("missing", False, None)
    assert (without.why, without.passed) == ("missing", False)


def test_a_model_without_an_approved_version_passes_with_no_baseline():
    result = evaluate(gate("cer"), metrics(cer=0.9), None)

    assert (result.why, result.passed, result.baseline) == ("no baseline", True, None)


def test_a_gate_on_a_dataset_reads_only_that_dataset():
    on_dev = gate("cer", dataset="d-dev", max_regression=0.0)
    current = results_metrics(("d-test", {"cer": 0.1}), ("d-dev", {"cer": 0.3}))

    result = evaluate(on_dev, current, results_metrics(("d-dev", {"cer": 0.2})))

    assert (result.value, result.baseline, result.why) == (0.3, 0.2, "fail")


# --- the service and the baseline ----------------------------------------------------


@pytest.fixture
def staff(db):
    return make_user("root", staff=True)


@pytest.fixture
def approver(db):
    return make_user("abe", group="approver")


@pytest.fixture
def model(db):
    return make_model(model_id="m-asr", name="speech-asr")


@pytest.fixture
def cer_gate(model, staff):
    gates = [{"metric": "cer", "higher_is_better": False, "max_regression": 0.005}]
    policy_update(workspace=model.workspace, user=staff, values={"gates": gates})
    return MetricGate.objects.get(workspace=model.workspace)


def candidate(model, cer):
    return make_version(model, version_name=f"cand-{cer}", metrics=metrics(cer=cer))


@pytest.mark.django_db
def test_the_baseline_is_the_models_latest_approved_version(model, cer_gate):
    make_version(model, version_name="0.1", approval_status="Approved", metrics=metrics(cer=0.30))
    make_version(model, version_name="0.2", approval_status="Approved", metrics=metrics(cer=0.175))
    make_version(model, version_name="0.3", approval_status="Rejected", metrics=metrics(cer=0.50))
    version = candidate(model, 0.18)

    [result] = gate_results(version, policy_of(model.workspace))

    assert (result.baseline, result.why) == (0.175, "pass")


@pytest.mark.django_db
def test_approve_is_refused_while_a_gate_fails_and_reject_still_works(model, cer_gate, approver):
    make_version(model, version_name="0.9", approval_status="Approved", metrics=metrics(cer=0.175))
    version = candidate(model, 0.19)
    before = write_state(version)

    with pytest.raises(ApplicationError) as refused:
        services.version_decide(version_id=version.pk, user=approver, status="Approved", revision=0)

    assert "A metric gate fails, so the version cannot be approved" in refused.value.message
    assert "cer (lower is better, regression at most 0.005)" in refused.value.message
    assert write_state(version) == before
    services.version_decide(version_id=version.pk, user=approver, status="Rejected", revision=0, reason="worse CER")
    version.refresh_from_db()
    assert version.approval_status == "Rejected"
    assert Change.objects.get(version=version).fields == {"ApprovalStatus": ["Pending", "Rejected"]}


@pytest.mark.django_db
def test_a_version_within_the_gate_is_approved(model, cer_gate, approver):
    make_version(model, version_name="0.9", approval_status="Approved", metrics=metrics(cer=0.175))
    version = candidate(model, 0.18)

    services.version_decide(version_id=version.pk, user=approver, status="Approved", revision=0)

    version.refresh_from_db()
    assert version.approval_status == "Approved"
    decided = AuditEvent.objects.get(action="version.approved")
    assert decided.payload["policy"]["gates"] == ["cer (lower is better, regression at most 0.005)"]


@pytest.mark.django_db
def test_a_missing_metric_blocks_approval_even_for_the_first_version(model, cer_gate, approver):
    version = make_version(model, metrics=metrics(wer=0.1))

    with pytest.raises(ApplicationError, match="A metric gate fails"):
        services.version_decide(version_id=version.pk, user=approver, status="Approved", revision=0)

    assert not Approval.objects.exists()


@pytest.mark.django_db
def test_the_first_version_of_a_model_passes_its_gate_with_no_baseline(model, cer_gate, approver):
    version = candidate(model, 0.9)

    services.version_decide(version_id=version.pk, user=approver, status="Approved", revision=0)

    version.refresh_from_db()
    assert version.approval_status == "Approved"


# --- waivers ---------------------------------------------------------------------------


@pytest.fixture
def failing(model, cer_gate):
    make_version(model, version_name="0.9", approval_status="Approved", metrics=metrics(cer=0.175))
    return candidate(model, 0.19)


@pytest.mark.django_db
def test_staff_waive_a_failing_gate_with_a_reason_and_the_version_can_be_approved(failing, cer_gate, staff, approver):
    gate_waive(version_id=failing.pk, gate_id=cer_gate.pk, user=staff, reason="  new test set, CER not comparable ")

    waiver = GateWaiver.objects.get()
    assert (waiver.version, waiver.gate, waiver.waived_by, waiver.reason) == (
        failing,
        cer_gate,
        staff,
        "new test set, CER not comparable",
    )
    event = AuditEvent.objects.get(action="version.gate_waived")
    assert (event.actor, event.version_name) == ("root", failing.version_name)
    assert event.payload == {
        "gate": "cer (lower is better, regression at most 0.005)",
        "reason": "new test set, CER not comparable",
        "revision": 0,
    }
    [result] = gate_results(failing, policy_of(failing.workspace))
    assert (result.passed, result.why, result.value) == (True, "waived", 0.19)

    services.version_decide(version_id=failing.pk, user=approver, status="Approved", revision=0)
    failing.refresh_from_db()
    assert failing.approval_status == "Approved"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "reason", "message"),
    [
        ("approver", "fine", "Only administrators (staff) can waive a metric gate."),
        ("staff", "  \u200b ", "Say why this gate is waived."),
    ],
)
def test_a_waiver_needs_staff_and_a_reason_with_visible_text(failing, cer_gate, staff, approver, who, reason, message):
    user = {"staff": staff, "approver": approver}[who]
    events = AuditEvent.objects.count()

    with pytest.raises(ApplicationError) as refused:
        gate_waive(version_id=failing.pk, gate_id=cer_gate.pk, user=user, reason=reason)

    assert refused.value.message == message
    assert not GateWaiver.objects.exists() and AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_a_passing_gate_a_waived_gate_and_another_workspaces_gate_cannot_be_waived(model, cer_gate, staff, failing):
    passing = candidate(model, 0.17)
    other = make_model()
    policy_update(workspace=other.workspace, user=staff, values={"gates": [{"metric": "wer"}]})
    foreign = MetricGate.objects.get(workspace=other.workspace)
    gate_waive(version_id=failing.pk, gate_id=cer_gate.pk, user=staff, reason="ok")

    with pytest.raises(ApplicationError, match="This gate passes"):
        gate_waive(version_id=passing.pk, gate_id=cer_gate.pk, user=staff, reason="why not")
    with pytest.raises(ApplicationError, match="already waived"):
        gate_waive(version_id=failing.pk, gate_id=cer_gate.pk, user=staff, reason="again")
    with pytest.raises(ApplicationError, match="no such gate"):
        gate_waive(version_id=failing.pk, gate_id=foreign.pk, user=staff, reason="wrong workspace")

    assert GateWaiver.objects.count() == 1
