"""Metric charts, the side-by-side spec diff and the polled fragments."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from approvals.display.diffs import line_diff
from approvals.models import Workspace
from approvals.permissions import EVERYTHING
from approvals.web.helpers import charts_of
from tests.factories import BASE_TIME, make_model, make_user, make_version

pytestmark = pytest.mark.django_db


def results(**metrics: float) -> dict:
    return {"Results": [{"Dataset": {"DatasetId": "d-1"}, "Metrics": metrics}]}


def at(days: int) -> dt.datetime:
    return BASE_TIME + dt.timedelta(days=days)


@pytest.fixture
def viewer(client):
    client.force_login(make_user("viewer", group="viewer"))


@pytest.fixture
def model():
    model = make_model(model_id="m-asr", name="speech-asr")
    # Created out of name order: the chart follows creation time, not names or ids.
    make_version(model, version_name="2.0", gmt_create_time=at(3), metrics=results(cer=0.15))
    make_version(
        model, version_name="1.0", gmt_create_time=at(1), metrics=results(cer=0.25), approval_status="Approved"
    )
    make_version(model, version_name="1.5", gmt_create_time=at(2), metrics=results(cer=0.2), approval_status="Rejected")
    make_version(model, version_name="notes", gmt_create_time=at(4), metrics={"comment": "text only"})
    return model


def test_a_chart_puts_versions_in_creation_order_with_lower_values_lower_on_the_plot(model):
    charts = charts_of(model, scope=EVERYTHING)

    [group] = charts.datasets
    [chart] = group.charts
    assert (group.dataset, chart.metric) == ("d-1", "cer")
    assert [p.version_name for p in chart.points] == ["1.0", "1.5", "2.0"]
    assert [p.status for p in chart.points] == ["Approved", "Rejected", "Pending"]
    xs, ys = [p.x for p in chart.points], [p.y for p in chart.points]
    assert xs == sorted(xs)
    assert ys == sorted(ys)  # SVG y grows downwards: falling values sit lower
    assert [p.version_name for p in chart.approved] == ["1.0"]


def test_the_model_page_draws_shapes_per_status_and_the_same_numbers_as_a_table(client, viewer, model):
    html = client.get(reverse("model_detail", args=["m-asr"])).content.decode()

    svg = html.split('<svg viewBox="0 0 560 220" role="img"', 1)[1].split("</svg>", 1)[0]
    assert svg.count('class="mark-approved"') == 1 and ">✓</text>" in svg
    assert svg.count('class="mark-rejected"') == 1 and svg.count('class="mark-pending"') == 1
    assert "<title>1.0: 0.25 (Approved)</title>" in svg
    assert "3 versions, from 1.0 at 0.25 to 2.0 at 0.15. Approved: 1.0 (0.25)." in svg
    table = (
        html.split("The charts&#x27; data as a table", 1)[1]
        if "&#x27;" in html
        else html.split("data as a table", 1)[1]
    )
    assert re.search(r'<th scope="row">2\.0</th><td>Pending</td><td>[^<]+</td><td class="num">0\.15</td>', table)


def test_the_version_page_rings_its_own_point(client, viewer, model):
    html = client.get(reverse("version_detail", args=["m-asr", "1.5"])).content.decode()

    point = re.search(r'<g class="point"[^>]*>\s*<title>1\.5: 0\.2 \(Rejected\)</title>\s*(<circle[^>]*>)', html)
    assert point and 'class="mark-current"' in point.group(1)
    assert html.count('class="mark-current" r="10"') == 1


def test_a_model_without_numeric_metrics_says_there_is_nothing_to_chart(client, viewer):
    make_version(make_model(model_id="m-text"), metrics={"note": "n/a"})

    html = client.get(reverse("model_detail", args=["m-text"])).content.decode()

    assert "No numeric metrics to chart." in html and "<svg viewBox" not in html


def test_a_line_diff_pairs_changed_lines_and_marks_the_rest_removed_or_added():
    rows = line_diff(["{", '  "a": 1,', '  "b": 2', "}"], ["{", '  "a": 2,', '  "b": 2,', '  "c": 3', "}"])

    kinds = [(r.kind, r.left, r.right) for r in rows]
    assert kinds == [
        ("same", "{", "{"),
        ("changed", '  "a": 1,', '  "a": 2,'),
        ("changed", '  "b": 2', '  "b": 2,'),
        ("added", "", '  "c": 3'),
        ("same", "}", "}"),
    ]


def test_long_unchanged_runs_fold_to_their_context():
    left = [f"line {i}" for i in range(40)]
    right = [*left[:20], "changed", *left[21:]]

    rows = line_diff(left, right)

    assert [r.kind for r in rows] == ["skip", *["same"] * 3, "changed", *["same"] * 3, "skip"]
    assert rows[0].skipped == 17 and rows[-1].skipped == 16


def test_the_compare_page_diffs_the_picked_version_side_by_side(client, viewer, model):
    model.versions.filter(version_name="1.0").update(training_spec={"epochs": 3, "lr": 0.1})
    model.versions.filter(version_name="2.0").update(training_spec={"epochs": 5, "lr": 0.1})

    response = client.get(reverse("version_compare", args=["m-asr", "2.0"]), {"with": "1.0"})

    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="1.0" selected>' in html
    training = html.split('id="diff-training_spec"', 1)[1].split("</section>", 1)[0]
    assert re.search(
        r'<tr class="changed">.*?<code>  &quot;epochs&quot;: 3,</code>.*?>changed<'
        r".*?<code>  &quot;epochs&quot;: 5,</code>",
        training,
        re.S,
    )
    inference = html.split('id="diff-inference_spec"', 1)[1].split("</section>", 1)[0]
    assert "Empty in both versions." in inference


def test_the_compare_page_defaults_to_the_previous_version_and_refuses_an_unknown_one(client, viewer, model):
    default = client.get(reverse("version_compare", args=["m-asr", "2.0"])).content.decode()
    unknown = client.get(reverse("version_compare", args=["m-asr", "2.0"]), {"with": "9.9"})

    assert '<option value="1.5" selected>' in default
    assert unknown.status_code == 400 and "This model has no version 9.9." in unknown.content.decode()


def test_the_polled_fragments_need_a_signed_in_user_and_show_counts_and_sync_progress(client, model):
    Workspace.objects.update(sync_state="running", sync_progress={"models": 2, "models_total": 5, "versions": 9})

    anonymous = client.get(reverse("live_status_counts"))
    client.force_login(make_user("viewer", group="viewer"))
    counts = client.get(reverse("live_status_counts")).content.decode()
    sync = client.get(reverse("live_sync_states")).content.decode()

    assert anonymous.status_code == 302
    assert re.search(r'status-pending">Pending</span>\s*<strong>2</strong>', counts)
    assert "<li data-live-busy>" in sync and "2 of 5 models, 9 versions" in sync
    assert '<progress max="5" value="2"' in sync
