"""The edit page: labels, validation at the field, preview before save, stale saves, roles."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.urls import reverse

from approvals import services
from approvals.models import AuditEvent, Change, ChangeKind, PushState
from approvals.pai.fields import METRICS_MAX_CHARS, SOURCE_ID_FORMAT
from tests.factories import make_model, make_role_users, make_user, make_version, results_metrics, write_state

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
LABELS = {
    "VersionDescription": "Version description",
    "Metrics": "Metrics",
    "TrainingSpec": "Training spec",
    "InferenceSpec": "Inference spec",
    "EvaluationSpec": "Evaluation spec",
    "CompressionSpec": "Compression spec",
    "DistillationSpec": "Distillation spec",
    "ExtraInfo": "Extra info",
    "Options": "Options",
    "SourceType": "Source type",
    "SourceId": "Source ID",
}
JSON_FIELDS = ("Metrics", "TrainingSpec", "InferenceSpec", "EvaluationSpec", "CompressionSpec", "DistillationSpec")


@pytest.fixture
def users():
    return make_role_users()


@pytest.fixture
def version():
    return make_version(
        make_model(model_id="m-asr", name="speech-asr"),
        version_name="1.0.0",
        version_description="first cut",
        metrics=results_metrics(("d-1", {"cer": 0.2})),
        training_spec={"epochs": 10},
        options='{"keep":true}',
    )


@pytest.fixture
def editor(client, users):
    client.force_login(users["editor"])
    return users["editor"]


def edit_url(version) -> str:
    return reverse("version_edit", args=[version.model.model_id, version.version_name])


def detail_url(version) -> str:
    return reverse("version_detail", args=[version.model.model_id, version.version_name])


def initial_data(client, version) -> dict[str, str]:
    """What a browser would submit untouched: every input and textarea of the edit page."""
    page = client.get(edit_url(version)).content.decode()
    data = {}
    for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page):
        data[name] = html.unescape(value)
    for name, text in re.findall(r'<textarea name="(\w+)"[^>]*>\n?(.*?)</textarea>', page, re.S):
        data[name] = html.unescape(text)
    for name, attrs in re.findall(r'<input type="text" name="(\w+)"([^>]*)>', page):
        value = re.search(r'value="([^"]*)"', attrs)
        data[name] = html.unescape(value.group(1)) if value else ""
    select = re.search(r'<select name="SourceType".*?</select>', page, re.S).group(0)
    data["SourceType"] = re.search(r'<option value="([^"]*)" selected>', select).group(1)
    data.pop("csrfmiddlewaretoken", None)
    return data


def field_error(page: str, field: str) -> str:
    match = re.search(rf'<div class="error" id="id_{field}_error" role="alert">(.*?)</div>', page, re.S)
    return html.unescape(match.group(1)) if match else ""


def post(client, version, data, *, confirm: bool):
    return client.post(edit_url(version), {**data, **({"confirm": "1"} if confirm else {})})


# --- the page -----------------------------------------------------------------


def test_the_edit_page_labels_every_field_as_pai_names_it_and_shows_json_indented(client, editor, version):
    page = client.get(edit_url(version)).content.decode()

    for field, label in LABELS.items():
        suffix = "" if label == field else f' <code class="muted">{field}</code>'
        assert f'<label for="id_{field}">{label}{suffix}</label>' in page, field
        assert f'id="id_{field}"' in page, field
    assert '<input type="hidden" name="base_revision" value="0"' in page
    assert "&quot;epochs&quot;: 10" in page  # indented, not the compact wire form
    assert "Preview changes" in page


def test_the_version_page_links_to_the_edit_page_for_editors_only(client, users, version):
    for role in ("viewer", "editor", "approver", "auditor", "staff", "nobody"):
        client.force_login(users[role])
        page = client.get(detail_url(version)).content.decode()
        assert (f'href="{edit_url(version)}"' in page) is (role == "editor"), role


@pytest.mark.parametrize("role", ["viewer", "approver", "auditor", "staff", "nobody"])
def test_everyone_but_editors_is_refused_the_page_and_the_save(client, users, version, role):
    client.force_login(users["editor"])
    data = {**initial_data(client, version), "VersionDescription": "changed"}
    before = write_state(version)
    client.force_login(users[role])

    assert client.get(edit_url(version)).status_code == 403
    assert post(client, version, data, confirm=False).status_code == 403
    assert post(client, version, data, confirm=True).status_code == 403

    assert write_state(version) == before


def test_anonymous_visitors_are_sent_to_login_and_nothing_is_saved(client, users, version):
    client.force_login(users["editor"])
    data = {**initial_data(client, version), "VersionDescription": "changed"}
    client.logout()
    before = write_state(version)

    response = post(client, version, data, confirm=True)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert write_state(version) == before


# --- preview and save ---------------------------------------------------------


def test_the_preview_shows_only_the_changed_fields_before_and_after_and_saves_nothing(
    client, editor, version, django_capture_on_commit_callbacks
):
    data = {**initial_data(client, version), "VersionDescription": "second cut"}
    data["Metrics"] = json.dumps(results_metrics(("d-1", {"cer": 0.15})), indent=2)
    before = write_state(version)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(client, version, data, confirm=False)

    page = response.content.decode()
    assert response.status_code == 200
    assert "2 fields will change" in page
    rows = re.findall(r"<h3>(.*?)</h3>", page)
    assert rows == ['Version description <code class="muted">VersionDescription</code>', "Metrics"]
    assert "<pre>first cut</pre></dd><dt>After saving</dt><dd><pre>second cut</pre>" in page
    # Metrics as the compare page's line diff: the one changed number is the one changed line.
    changed = re.findall(r'<tr class="changed">(.*?)</tr>', page, re.S)
    assert len(changed) == 1
    assert "&quot;cer&quot;: 0.2" in changed[0] and "&quot;cer&quot;: 0.15" in changed[0]
    assert 'name="confirm" value="1"' in page
    assert write_state(version) == before
    assert callbacks == []


def test_confirming_saves_exactly_the_changed_fields_with_an_audit_event_and_queues_the_push(
    client, editor, version, django_capture_on_commit_callbacks
):
    data = {**initial_data(client, version), "VersionDescription": "second cut"}
    data["TrainingSpec"] = '{"epochs": 12}'

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(client, version, data, confirm=True)

    assert response.status_code == 302
    assert response["Location"] == detail_url(version)
    version.refresh_from_db()
    assert version.revision == 1
    assert version.push_state == PushState.QUEUED
    assert version.version_description == "second cut"
    assert version.training_spec == {"epochs": 12}
    change = Change.objects.get(version=version)
    assert change.kind == ChangeKind.EDIT
    assert change.author == editor
    assert change.fields == {
        "VersionDescription": ["first cut", "second cut"],
        "TrainingSpec": [{"epochs": 10}, {"epochs": 12}],
    }
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.version_name) == ("editor", "version.edited", "1.0.0")
    assert event.payload["fields"] == change.fields
    assert event.client_ip == "127.0.0.1"
    assert len(callbacks) == 1
    followed = client.get(response["Location"]).content.decode()
    assert "Saved. Pushing to PAI…" in followed


def test_change_again_brings_the_same_data_back_into_the_form(client, editor, version):
    data = {**initial_data(client, version), "VersionDescription": "second cut"}

    response = client.post(edit_url(version), {**data, "back": "1"})

    page = response.content.decode()
    assert "Preview changes" in page
    assert re.search(r'<textarea name="VersionDescription"[^>]*>\n?second cut</textarea>', page)
    assert write_state(version)["revision"] == 0


def test_submitting_the_form_untouched_is_refused_as_nothing_changed(client, editor, version):
    data = initial_data(client, version)
    # Browsers send textarea newlines as CRLF; that alone is no change.
    version.version_description = "line one\nline two"
    version.save()
    data["VersionDescription"] = "line one\r\nline two"
    before = write_state(version)

    response = post(client, version, data, confirm=True)

    assert response.status_code == 400
    assert "Nothing changed" in response.content.decode()
    assert write_state(version) == before


def test_options_shown_indented_count_as_unchanged_and_a_new_text_is_saved_as_typed(client, editor, version):
    data = initial_data(client, version)
    assert json.loads(data["Options"]) == {"keep": True} and data["Options"] != '{"keep":true}'
    data["VersionDescription"] = "only this"

    post(client, version, data, confirm=True)

    assert Change.objects.get().fields == {"VersionDescription": ["first cut", "only this"]}
    data = {**initial_data(client, version), "Options": '{"keep": false}'}
    post(client, version, data, confirm=True)
    version.refresh_from_db()
    assert version.options == '{"keep": false}'


def test_a_decided_version_stays_editable(client, editor, version):
    version.approval_status = "Approved"
    version.save()
    data = {**initial_data(client, version), "VersionDescription": "after approval"}

    response = post(client, version, data, confirm=True)

    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.version_description, version.approval_status) == ("after approval", "Approved")


# --- validation ---------------------------------------------------------------

BAD_JSON = '{\n  "a": 1,\n  "b": 2\n  "c": 3\n}'
BIG_METRICS = json.dumps({"k": "x" * (METRICS_MAX_CHARS - 8 + 1)})  # compact: {"k":"x…x"} is 8 + n chars


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"Metrics": BAD_JSON}, "Metrics", "Line 4, column 3: a comma (,) or a closing bracket was expected here."),
        ({"TrainingSpec": "[1, 2]"}, "TrainingSpec", "TrainingSpec must be a JSON object."),
        ({"ExtraInfo": '"text"'}, "ExtraInfo", "ExtraInfo must be a JSON object."),
        ({"Metrics": BIG_METRICS}, "Metrics", "Metrics is 8193 characters once serialized; the limit is 8192."),
        (
            {"Options": '{"a":'},
            "Options",
            "Line 1, column 6: a value was expected here (a string in double quotes, a number, true, false, null, "
            "an object or an array).",
        ),
        (
            {"SourceType": "PAIFlow", "SourceId": "run-1"},
            "SourceId",
            f"For SourceType PAIFlow, SourceId must look like {SOURCE_ID_FORMAT}.",
        ),
        ({"SourceType": "Bogus"}, "SourceType", "SourceType must be one of Custom, PAIFlow, TrainingService."),
    ],
    ids=["json-syntax", "array-for-object", "string-for-object", "metrics-8193", "options", "source-id", "source-type"],
)
@pytest.mark.parametrize("confirm", [False, True], ids=["preview", "save"])
def test_it_refuses_each_invalid_input_at_its_field_and_saves_nothing(
    client, editor, version, changes, field, message, confirm, django_capture_on_commit_callbacks
):
    data = {**initial_data(client, version), **changes}
    before = write_state(version)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(client, version, data, confirm=confirm)

    assert response.status_code == 400
    assert field_error(response.content.decode(), field) == message
    assert write_state(version) == before
    assert callbacks == []


def test_it_measures_metrics_as_the_wire_form_not_as_typed(client, editor, version):
    # 8,192 characters compact, many more indented; Chinese counts as characters, not \\u escapes.
    value = "准" * (METRICS_MAX_CHARS - 8)
    data = {**initial_data(client, version), "Metrics": json.dumps({"k": value}, indent=4)}
    assert len(data["Metrics"]) > METRICS_MAX_CHARS

    response = post(client, version, data, confirm=True)

    assert response.status_code == 302
    version.refresh_from_db()
    assert version.metrics == {"k": value}


def test_an_untouched_source_id_is_submitted_as_it_was_and_counts_as_unchanged(client, editor, version):
    version.source_type, version.source_id = "TrainingService", "region=cn-hangzhou,workspaceId=1,kind=ServiceJob,id=j"
    version.save()
    data = {**initial_data(client, version), "VersionDescription": "new"}
    assert data["SourceId"] == version.source_id

    post(client, version, data, confirm=True)

    assert list(Change.objects.get().fields) == ["VersionDescription"]


def test_a_pai_flow_source_with_a_well_formed_id_is_accepted(client, editor, version):
    source_id = "region=cn-hangzhou,workspaceId=118493,kind=PipelineRun,id=flow-1"
    data = {**initial_data(client, version), "SourceType": "PAIFlow", "SourceId": source_id}

    post(client, version, data, confirm=True)

    assert Change.objects.get().fields == {"SourceType": ["Custom", "PAIFlow"], "SourceId": ["", source_id]}


def test_an_empty_json_field_means_an_empty_object(client, editor, version):
    data = {**initial_data(client, version), "TrainingSpec": "  "}

    post(client, version, data, confirm=True)

    assert Change.objects.get().fields == {"TrainingSpec": [{"epochs": 10}, {}]}


# --- stale saves ----------------------------------------------------------------


def test_a_stale_save_is_refused_and_shows_what_changed_meanwhile_with_the_fresh_values(
    client, editor, version, django_capture_on_commit_callbacks
):
    data = {**initial_data(client, version), "TrainingSpec": '{"epochs": 20}'}
    colleague = make_user("colleague", group="editor")
    with django_capture_on_commit_callbacks(execute=False):
        services.version_edit(
            version_id=version.pk, user=colleague, values={"VersionDescription": "their cut"}, base_revision=0
        )
    before = write_state(version)

    response = post(client, version, data, confirm=True)

    page = response.content.decode()
    assert response.status_code == 409
    assert "Not saved: someone saved this version after you opened it" in page
    assert "<pre>first cut</pre></td><td><pre>their cut</pre>" in page
    # The form now holds their description, keeps my training spec, and is based on the fresh revision.
    assert re.search(r'<textarea name="VersionDescription"[^>]*>\n?their cut</textarea>', page)
    assert "{&quot;epochs&quot;: 20}" in page
    assert '<input type="hidden" name="base_revision" value="1"' in page
    assert write_state(version) == before
    assert list(Change.objects.values_list("author__username", flat=True)) == ["colleague"]


def test_a_preview_on_a_stale_page_shows_what_changed_instead_of_undoing_it(
    client, editor, version, django_capture_on_commit_callbacks
):
    data = {**initial_data(client, version), "TrainingSpec": '{"epochs": 20}'}
    colleague = make_user("colleague", group="editor")
    with django_capture_on_commit_callbacks(execute=False):
        services.version_edit(
            version_id=version.pk, user=colleague, values={"VersionDescription": "their cut"}, base_revision=0
        )
    before = write_state(version)

    response = post(client, version, data, confirm=False)

    page = response.content.decode()
    assert response.status_code == 409
    assert "will change" not in page and 'name="confirm"' not in page
    assert "<pre>first cut</pre></td><td><pre>their cut</pre>" in page
    assert '<input type="hidden" name="base_revision" value="1"' in page
    assert write_state(version) == before


def test_a_stale_save_names_the_fields_both_people_changed(client, editor, version, django_capture_on_commit_callbacks):
    data = {**initial_data(client, version), "VersionDescription": "my cut"}
    colleague = make_user("colleague", group="editor")
    with django_capture_on_commit_callbacks(execute=False):
        services.version_edit(
            version_id=version.pk, user=colleague, values={"VersionDescription": "their cut"}, base_revision=0
        )

    page = post(client, version, data, confirm=True).content.decode()

    assert "You and they both changed: Version description" in page
    assert re.search(r'<textarea name="VersionDescription"[^>]*>\n?their cut</textarea>', page)
    version.refresh_from_db()
    assert version.version_description == "their cut"


# --- text as written ------------------------------------------------------------


def test_chinese_text_round_trips_through_preview_save_and_the_form(client, editor, version):
    description = "语音识别模型，第二版：降低字错率"
    metrics = {"Results": [{"Dataset": {"DatasetId": "d-中文"}, "Metrics": {"字错率": 0.12}}]}
    data = {**initial_data(client, version), "VersionDescription": description, "Metrics": json.dumps(metrics)}

    preview = post(client, version, data, confirm=False).content.decode()
    post(client, version, data, confirm=True)

    assert description in preview and "字错率" in preview
    version.refresh_from_db()
    assert version.version_description == description
    assert version.metrics == metrics
    assert Change.objects.get().fields["VersionDescription"] == ["first cut", description]
    assert AuditEvent.objects.get().payload["fields"]["Metrics"][1] == metrics
    again = initial_data(client, version)
    assert again["VersionDescription"] == description
    assert json.loads(again["Metrics"]) == metrics


@pytest.mark.parametrize("payload", [SCRIPT, IMG])
def test_xss_payloads_render_escaped_in_the_form_and_the_preview(client, editor, version, payload):
    version.version_description = payload
    version.save()
    data = {**initial_data(client, version), "VersionDescription": payload + " v2"}
    data["ExtraInfo"] = json.dumps({payload: payload})

    form_page = client.get(edit_url(version)).content.decode()
    preview = post(client, version, data, confirm=False).content.decode()

    for page in (form_page, preview):
        assert "<script>alert" not in page
        assert "<img src=x" not in page
    assert html.escape(payload) in preview
    assert html.escape(payload + " v2") in preview
