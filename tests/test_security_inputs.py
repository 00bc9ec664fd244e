"""Inputs that used to answer 500: dates at the ends of the calendar on the audit log (pages,
export, API) in any time zone, and numbers JSON cannot hold (NaN, Infinity, 1e400) in the
edit form and in PATCH. Each is a clear message at its field, and nothing changes."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from approvals.models import ApiToken
from tests.factories import make_event, make_model, make_role_users, make_version, results_metrics, write_state

pytestmark = pytest.mark.django_db

EDGES = [
    {"date_from": "0001-01-01"},
    {"date_to": "9999-12-31"},
    {"date_from": "0001-01-01", "date_to": "9999-12-31"},
    {"date_from": "9999-12-31"},
    {"date_to": "0001-01-01"},
]
# East of Greenwich year 1 starts before what a datetime holds in UTC; west, 9999 ends after it.
ZONES = ["UTC", "Asia/Shanghai", "Pacific/Kiritimati", "Pacific/Pago_Pago"]


@pytest.fixture
def users():
    return make_role_users()


@pytest.fixture
def auditor(users):
    client = Client()
    client.force_login(users["auditor"])
    make_event(actor="alice", action="version.edited")
    return client


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("params", EDGES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_the_audit_log_export_and_api_answer_dates_at_the_ends_of_the_calendar(auditor, zone, params):
    auditor.cookies["tz"] = zone
    whole = "date_from" not in params or params["date_from"] == "0001-01-01"
    whole = whole and params.get("date_to", "9999-12-31") == "9999-12-31"

    page = auditor.get(reverse("audit_log"), params)
    export = auditor.get(reverse("audit_export"), params)
    api = auditor.get("/api/audit/", params)

    assert (page.status_code, export.status_code, api.status_code) == (200, 200, 200)
    # The whole calendar holds every event; a range at one end holds none of today's.
    assert ("alice" in page.content.decode()) == whole
    assert ("alice" in b"".join(export.streaming_content).decode()) == whole
    assert any(row["actor"] == "alice" for row in api.json()["results"]) == whole


@pytest.mark.parametrize("name", ["before", "after"])
@pytest.mark.parametrize("value", [str(2**63), str(10**30), "-1"])
def test_an_audit_page_cursor_beyond_the_column_is_a_400_at_the_field(auditor, name, value):
    response = auditor.get(reverse("audit_log"), {name: value})

    assert response.status_code == 400
    assert response.context["form"].errors[name]


def test_the_largest_audit_page_cursor_is_a_page(auditor):
    assert auditor.get(reverse("audit_log"), {"before": str(2**63 - 1)}).status_code == 200


# --- numbers JSON cannot hold -------------------------------------------------------------

NOT_FINITE = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1E+309"]


@pytest.fixture
def version():
    return make_version(
        make_model(model_id="m-asr", name="speech-asr"),
        version_name="1.0.0",
        metrics=results_metrics(("d-1", {"cer": 0.2})),
    )


@pytest.fixture
def editor(users):
    client = Client()
    client.force_login(users["editor"])
    return client


def edit_form(version, **fields: str) -> dict[str, str]:
    data = {
        "VersionDescription": "",
        "Metrics": json.dumps(version.metrics),
        "Options": "",
        "SourceType": "Custom",
        "SourceId": "",
        "base_revision": "0",
        "confirm": "1",
    }
    return data | fields


@pytest.mark.parametrize("field", ["Metrics", "TrainingSpec", "ExtraInfo", "Options"])
@pytest.mark.parametrize("number", NOT_FINITE)
def test_the_edit_form_refuses_non_finite_numbers_at_the_field(editor, version, field, number):
    url = reverse("version_edit", args=[version.model.model_id, version.version_name])
    before = write_state(version)

    response = editor.post(url, edit_form(version, **{field: f'{{"Results": [{{"cer": {number}}}]}}'}))

    assert response.status_code == 400
    message = response.context["form"].errors[field][0]
    assert f"{number} is not a finite number" in message
    assert write_state(version) == before


def test_the_edit_form_refuses_an_integer_of_more_digits_than_python_reads(editor, version):
    url = reverse("version_edit", args=[version.model.model_id, version.version_name])
    before = write_state(version)

    response = editor.post(url, edit_form(version, Metrics='{"n": ' + "9" * 5000 + "}"))

    assert response.status_code == 400
    assert "too many digits" in response.context["form"].errors["Metrics"][0]
    assert write_state(version) == before


def patch(client, text: str):
    return client.generic(
        "PATCH", "/api/models/m-asr/versions/1.0.0", text, content_type="application/json", HTTP_IF_MATCH='"0"'
    )


@pytest.fixture
def editor_api(users):
    from rest_framework.test import APIClient

    from approvals.services.tokens import api_token_create

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=users['editor'], name='ci')[1]}")
    return client


@pytest.mark.parametrize("field", ["Metrics", "TrainingSpec", "ExtraInfo"])
@pytest.mark.parametrize("number", ["1e400", "-1e400", "1E+309"])
def test_patch_refuses_a_number_that_overflows_to_infinity_at_the_field(editor_api, version, field, number):
    before = write_state(version)

    response = patch(editor_api, f'{{"{field}": {{"a": {number}}}}}')

    assert response.status_code == 400
    assert response.json()["fields"] == {
        field: [f"{field} contains a number that is not finite (too large for a 64-bit float, like 1e400)."]
    }
    assert write_state(version) == before


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_patch_refuses_nan_and_infinity_as_not_json(editor_api, version, constant):
    before = write_state(version)

    response = patch(editor_api, f'{{"Metrics": {{"a": {constant}}}}}')

    assert (response.status_code, response.json()["code"]) == (400, "parse_error")
    assert constant.lstrip("-") in response.json()["message"]
    assert write_state(version) == before


def test_patch_refuses_non_finite_numbers_inside_options_text(editor_api, version):
    response = patch(editor_api, json.dumps({"Options": '{"a": 1e400}'}))

    assert response.status_code == 400
    assert "1e400 is not a finite number" in response.json()["fields"]["Options"][0]
    assert ApiToken.objects.count() == 1  # nothing else was written
