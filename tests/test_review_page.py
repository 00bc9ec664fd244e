"""The version page as a review: which way each metric is better, deltas worded better/worse,
dataset names from PAI (stored by the sync), round chart ticks, who decided and why, and the
next waiting version after a decision."""

import re

import pytest
from django.urls import reverse

from approvals.display.charts import _nice_ticks, tick_label
from approvals.display.metric_direction import (
    BETTER,
    HIGHER,
    LOWER,
    WORSE,
    MetricDirections,
    direction_from_name,
    verdict,
)
from approvals.display.metrics import compare_metrics, parse_metrics
from approvals.models import DatasetName, MetricGate, ModelVersion
from approvals.sync.datasets import dataset_ids
from tests.factories import at, make_model, make_user, make_version, results_metrics

# --- unit: direction and wording ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cer", LOWER),
        ("wer", LOWER),
        ("val_loss", LOWER),
        ("latency_ms", LOWER),
        ("p95_latency", LOWER),
        ("word_error_rate", LOWER),
        ("eval.cer", LOWER),
        ("accuracy", HIGHER),
        ("top1_accuracy", HIGHER),
        ("f1", HIGHER),
        ("f1_score", HIGHER),
        ("auc", HIGHER),
        ("bleu", HIGHER),
        ("recall@10", HIGHER),
        ("temperature_setting", ""),
    ],
)
def test_the_name_of_a_common_metric_says_which_way_is_better(name, expected):
    assert direction_from_name(name) == expected


class Gate:
    def __init__(self, metric, dataset, higher_is_better):
        self.metric, self.dataset, self.higher_is_better = metric, dataset, higher_is_better


def test_a_workspace_gate_overrides_the_name_and_a_dataset_gate_overrides_an_any_dataset_gate():
    directions = MetricDirections.of([Gate("cer", "", True), Gate("cer", "d-2", False), Gate("custom", "", False)])
    assert directions.direction("d-1", "cer") == HIGHER
    assert directions.direction("d-2", "cer") == LOWER
    assert directions.direction("d-1", "custom") == LOWER
    assert directions.direction("d-1", "wer") == LOWER  # no gate: the name


def test_a_delta_is_better_or_worse_by_the_direction_and_neutral_without_one():
    assert verdict(LOWER, 0.0178) == WORSE
    assert verdict(LOWER, -0.01) == BETTER
    assert verdict(HIGHER, 0.01) == BETTER
    assert verdict(HIGHER, -0.01) == WORSE
    assert verdict("", 0.5) == ""
    assert verdict(HIGHER, 0) == ""


def test_the_issue_example_a_higher_cer_is_worse_not_a_gain():
    ours = parse_metrics(results_metrics(("d-1", {"cer": 0.1066, "accuracy": 0.9})))
    approved = parse_metrics(results_metrics(("d-1", {"cer": 0.0888, "accuracy": 0.8})))
    cer, accuracy = compare_metrics(ours, [approved], MetricDirections(), {"d-1": "asr-test"})
    assert (cer.better, cer.differences[0].direction, cer.differences[0].verdict) == (LOWER, "up", WORSE)
    assert (accuracy.better, accuracy.differences[0].verdict) == (HIGHER, BETTER)
    assert cer.dataset_name == "asr-test"


@pytest.mark.parametrize(
    ("low", "high", "labels"),
    [
        (0.866967, 0.912345, ["0.86", "0.88", "0.90", "0.92"]),
        (0.0888, 0.1066, ["0.08", "0.09", "0.10", "0.11"]),
        (120, 480, ["0", "200", "400", "600"]),
    ],
)
def test_chart_ticks_are_round_numbers_covering_the_values(low, high, labels):
    ticks = _nice_ticks(low, high)
    assert [tick_label(t, ticks[1] - ticks[0]) for t in ticks] == labels
    assert ticks[0] <= low and ticks[-1] >= high


# --- the page ---------------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def detail_url(version):
    return reverse("version_detail", args=[version.model.model_id, version.version_name])


def test_the_page_words_a_worse_delta_and_a_gate_sets_the_direction(client):
    model = make_model(name="asr")
    make_version(
        model,
        version_name="1.0",
        approval_status="Approved",
        gmt_create_time=at(1),
        metrics=results_metrics(("d-1", {"cer": 0.0888, "novelty": 1.0})),
    )
    current = make_version(
        model,
        version_name="1.1",
        gmt_create_time=at(2),
        metrics=results_metrics(("d-1", {"cer": 0.1066, "novelty": 2.0})),
    )
    MetricGate.objects.create(workspace=model.workspace, metric="novelty", higher_is_better=False, max_regression=5)
    client.force_login(make_user("vera", group="viewer"))

    html = client.get(detail_url(current)).content.decode()

    assert re.search(r'class="delta up worse"[^>]*>↑ \+0\.0178 <span class="verdict">worse</span>', html)
    # "novelty" says nothing by its name; the gate says lower is better, so 2.0 against 1.0 is worse.
    assert re.search(r'class="delta up worse"[^>]*>↑ \+1 <span class="verdict">worse</span>', html)


def test_the_page_shows_the_dataset_name_the_sync_stored_and_the_id_without_one(client):
    model = make_model(name="asr")
    version = make_version(model, metrics=results_metrics(("d-named", {"cer": 0.1}), ("d-unknown", {"cer": 0.2})))
    DatasetName.objects.create(dataset_id="d-named", name="asr-test", fetched_at=at(0))
    DatasetName.objects.create(dataset_id="d-unknown", found=False, fetched_at=at(0))
    client.force_login(make_user("vera", group="viewer"))

    html = client.get(detail_url(version)).content.decode()

    assert 'asr-test <small class="muted"><code class="wrap">d-named</code>' in html
    assert re.search(r'<td class="dataset"[^>]*><code class="wrap">d-unknown</code></td>', html)


def test_the_sync_names_the_datasets_pai_has_and_marks_the_ones_it_will_not_show(synced_workspace, pai_emulator):
    referenced = {d for v in ModelVersion.objects.filter(workspace=synced_workspace) for d in dataset_ids(v.metrics)}
    stored = {row.dataset_id: row for row in DatasetName.objects.all()}
    assert referenced and set(stored) == referenced
    named = [row for row in stored.values() if row.found]
    assert named and all(row.name for row in named)
    assert any(not row.found for row in stored.values())  # the demo has 403s and 404s


def test_a_decided_version_says_who_decided_when_and_why(client):
    reviewer = make_user("rita", group="approver")
    reviewer.first_name, reviewer.last_name = "Rita", "Reviewer"
    reviewer.save()
    version = make_version(make_model())
    client.force_login(reviewer)
    client.post(
        reverse("version_decide", args=[version.model.model_id, version.version_name]),
        {"status": "Rejected", "revision": 0, "reason": "cer regressed on the test set"},
    )

    html = client.get(detail_url(version)).content.decode()

    assert "Decided: Rejected" in html
    assert "By <strong>Rita Reviewer</strong>" in html
    assert '<q class="prose">cer regressed on the test set</q>' in html


def test_after_a_decision_the_reviewer_lands_on_the_next_waiting_version_with_what_was_decided(client):
    model = make_model(name="asr")
    first = make_version(model, version_name="1.0", gmt_create_time=at(1))
    second = make_version(model, version_name="1.1", gmt_create_time=at(2))
    make_version(model, version_name="0.9", gmt_create_time=at(0), approval_status="Approved")
    client.force_login(make_user("rita", group="approver"))

    response = client.post(
        reverse("version_decide", args=[model.model_id, first.version_name]),
        {"status": "Approved", "revision": 0, "reason": ""},
    )

    assert response.status_code == 302 and response["Location"] == detail_url(second)
    html = client.get(response["Location"]).content.decode()
    assert "Approved asr 1.0. Pushing to PAI… This is the next version waiting." in html


def test_an_untouched_version_says_when_it_was_first_seen_and_the_sync_records_it(client, synced_workspace):
    version = ModelVersion.objects.filter(workspace=synced_workspace).first()
    assert version.first_seen_at is not None
    client.force_login(make_user("vera", group="viewer"))

    html = client.get(detail_url(version)).content.decode()

    assert "No recorded changes yet." not in html
    assert "<strong>First seen</strong> by the dashboard&#x27;s sync" in html or "<strong>First seen</strong>" in html
    assert "Nobody has changed it since." in html


def test_field_labels_are_plain_words_with_pais_names_beside(client):
    version = make_version(make_model(), owner_id="1234", user_id="5678")
    client.force_login(make_user("vera", group="viewer"))

    html = client.get(detail_url(version)).content.decode()

    for words, name in (
        ("Owner", "OwnerId"),
        ("Creator", "UserId"),
        ("Created", "GmtCreateTime"),
        ("Modified", "GmtModifiedTime"),
        ("Version", "VersionName"),
    ):
        assert f'<dt>{words} <code class="muted">{name}</code></dt>' in html


def test_the_charts_name_their_datasets_too(client):
    model = make_model(name="asr")
    version = make_version(model, metrics=results_metrics(("d-named", {"cer": 0.1})))
    make_version(model, metrics=results_metrics(("d-named", {"cer": 0.2})))
    DatasetName.objects.create(dataset_id="d-named", name="asr-test", fetched_at=at(0))
    client.force_login(make_user("vera", group="viewer"))

    html = client.get(detail_url(version)).content.decode()

    assert '<h3>Dataset asr-test <small class="muted"><code>d-named</code></small></h3>' in html


def test_the_decision_page_names_the_datasets_too(client):
    version = make_version(make_model(), metrics=results_metrics(("d-named", {"cer": 0.1})))
    DatasetName.objects.create(dataset_id="d-named", name="asr-test", fetched_at=at(0))
    client.force_login(make_user("rita", group="approver"))

    html = client.get(
        reverse("version_decide", args=[version.model.model_id, version.version_name]), {"status": "Approved"}
    ).content.decode()

    assert 'asr-test <small class="muted"><code>d-named</code></small>' in html
