"""The edit form as a product: an error summary at the top with links and focus on the first
field in error, Metrics edited as a table (JSON kept for the rest), a preview marking only the
changed lines, and a note saying why, kept in the Change and the audit log."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from approvals.models import AuditEvent, Change
from approvals.web.forms.metric_table import build_metrics, parsed_value, table_rows
from tests.factories import make_model, make_user, make_version

pytestmark = pytest.mark.django_db

METRICS = {
    "Results": [
        {"Dataset": {"DatasetId": "d-test", "Uri": "oss://b/test/"}, "Metrics": {"cer": 0.2, "wer": 0.3}},
        {"Dataset": {"DatasetId": "d-dev"}, "Metrics": {"cer": 0.25}, "Note": "kept"},
    ]
}


@pytest.fixture
def version(client):
    client.force_login(make_user("edna", group="editor"))
    return make_version(make_model(name="asr"), version_name="1.0", metrics=METRICS, version_description="first")


def edit_url(version):
    return reverse("version_edit", args=[version.model.model_id, version.version_name])


def form_data(client, version) -> dict[str, str]:
    """What the browser submits untouched: every input, textarea and selected option."""
    page = client.get(edit_url(version)).content.decode()
    data = {}
    for name, attrs in re.findall(r'<input type="(?:hidden|text)" name="([\w-]+)"([^>]*)>', page):
        value = re.search(r'value="([^"]*)"', attrs)
        data[name] = html.unescape(value.group(1)) if value else ""
    for name, text in re.findall(r'<textarea name="([\w-]+)"[^>]*>\n?(.*?)</textarea>', page, re.S):
        data[name] = html.unescape(text)
    select = re.search(r'<select name="SourceType".*?</select>', page, re.S).group(0)
    data["SourceType"] = re.search(r'<option value="([^"]*)" selected>', select).group(1)
    return data


def cell(data, dataset, metric):
    """The table row index holding dataset × metric."""
    return next(
        name.split("-")[1]
        for name, value in data.items()
        if name.endswith("-name") and value == metric and data[name.replace("-name", "-dataset")] == dataset
    )


# --- unit: the table's shape --------------------------------------------------------


def test_the_table_reads_pais_documented_shape_and_refuses_others():
    assert table_rows(METRICS) == [("d-test", "cer", 0.2), ("d-test", "wer", 0.3), ("d-dev", "cer", 0.25)]
    assert table_rows({}) == []
    assert table_rows({"cer": 0.1}) is None  # flat: JSON only
    assert table_rows({"Results": [{"Dataset": {"DatasetId": "d"}, "Metrics": {"a": {"nested": 1}}}]}) is None


def test_building_keeps_the_dataset_objects_and_other_keys_and_values_keep_their_type():
    built = build_metrics(METRICS, [("d-test", "cer", 0.18), ("d-new", "bleu", 30)])
    assert built == {
        "Results": [
            {"Dataset": {"DatasetId": "d-test", "Uri": "oss://b/test/"}, "Metrics": {"cer": 0.18}},
            {"Dataset": {"DatasetId": "d-new"}, "Metrics": {"bleu": 30}},
        ]
    }
    assert [parsed_value(t) for t in ("30", "0.5", "1e-3", "true", "NaN", "abc")] == [
        30,
        0.5,
        0.001,
        True,
        "NaN",
        "abc",
    ]


# --- the page ------------------------------------------------------------------------


def test_a_bad_source_id_is_summarised_at_the_top_with_a_link_and_focus_on_the_field(client, version):
    data = {**form_data(client, version), "SourceType": "TrainingService", "SourceId": "not a source id"}

    response = client.post(edit_url(version), data)

    page = response.content.decode()
    assert response.status_code == 400
    summary = page.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'href="#id_SourceId"' in summary and "Source ID:" in summary
    assert re.search(r'<input type="text" name="SourceId"[^>]*autofocus', page)
    assert page.count("autofocus") == 1
    assert page.index("error-summary") < page.index('name="VersionDescription"')


def test_an_error_of_the_whole_form_focuses_the_summary(client, version):
    response = client.post(edit_url(version), form_data(client, version))

    page = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'id="error-summary" autofocus', page)
    assert "Nothing changed" in page


def test_an_editor_changes_one_metric_in_the_table_and_the_others_stay(client, version):
    data = form_data(client, version)
    data[f"metric-{cell(data, 'd-test', 'wer')}-value"] = "0.28"

    preview = client.post(edit_url(version), data)
    page = preview.content.decode()
    assert preview.status_code == 200
    changed = re.findall(r'<tr class="changed">(.*?)</tr>', page, re.S)
    assert len(changed) == 1 and "0.3" in changed[0] and "0.28" in changed[0]

    saved = client.post(edit_url(version), {**data, "confirm": "1"})

    assert saved.status_code == 302
    version.refresh_from_db()
    assert version.metrics == {
        "Results": [
            {"Dataset": {"DatasetId": "d-test", "Uri": "oss://b/test/"}, "Metrics": {"cer": 0.2, "wer": 0.28}},
            {"Dataset": {"DatasetId": "d-dev"}, "Metrics": {"cer": 0.25}, "Note": "kept"},
        ]
    }


def test_a_row_is_added_in_a_blank_row_and_removed_by_emptying_it(client, version):
    data = form_data(client, version)
    blank = next(name.split("-")[1] for name, value in data.items() if name.endswith("-name") and not value)
    data.update({f"metric-{blank}-dataset": "d-dev", f"metric-{blank}-name": "wer", f"metric-{blank}-value": "0.4"})
    gone = cell(data, "d-test", "cer")
    data.update({f"metric-{gone}-name": "", f"metric-{gone}-value": ""})

    assert client.post(edit_url(version), {**data, "confirm": "1"}).status_code == 302

    version.refresh_from_db()
    assert [(r["Dataset"]["DatasetId"], r["Metrics"]) for r in version.metrics["Results"]] == [
        ("d-test", {"wer": 0.3}),
        ("d-dev", {"cer": 0.25, "wer": 0.4}),
    ]


def test_a_wrong_row_is_refused_at_its_cell_with_focus_there_and_nothing_saved(client, version):
    data = form_data(client, version)
    row = cell(data, "d-test", "wer")
    data[f"metric-{row}-value"] = ""

    response = client.post(edit_url(version), data)

    page = response.content.decode()
    assert response.status_code == 400
    assert f'href="#id_metric-{row}-value"' in page
    assert "Give wer a value, or empty its name to remove the row." in page
    assert re.search(rf'id="id_metric-{row}-value"[^>]*autofocus', page)
    version.refresh_from_db()
    assert version.metrics == METRICS


def test_changing_metrics_in_both_the_table_and_the_json_is_refused(client, version):
    data = form_data(client, version)
    data[f"metric-{cell(data, 'd-test', 'wer')}-value"] = "0.28"
    data["Metrics"] = '{"Results": []}'

    response = client.post(edit_url(version), data)

    assert response.status_code == 400
    assert "Metrics was changed both in the table and as JSON" in response.content.decode()


def test_a_metrics_shape_the_table_cannot_show_is_edited_as_json(client):
    client.force_login(make_user("edna", group="editor"))
    version = make_version(metrics={"cer": 0.1, "nested": {"a": 1}})
    page = client.get(edit_url(version)).content.decode()
    assert 'name="metric-0-name"' not in page
    assert "Metrics as JSON (the table cannot show this shape)" in page


def test_the_note_is_kept_as_the_changes_reason_in_the_audit_log_and_shown_in_the_timeline(client, version):
    data = {**form_data(client, version), "VersionDescription": "second", "reason": "typo in the description"}

    preview = client.post(edit_url(version), data).content.decode()
    assert "typo in the description" in preview
    assert client.post(edit_url(version), {**data, "confirm": "1"}).status_code == 302

    change = Change.objects.get(version=version)
    assert change.reason == "typo in the description"
    event = AuditEvent.objects.get(action="version.edited")
    assert event.payload["reason"] == "typo in the description"
    detail = client.get(reverse("version_detail", args=[version.model.model_id, version.version_name]))
    assert "Reason" in detail.content.decode() and "typo in the description" in detail.content.decode()
