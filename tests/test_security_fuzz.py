"""Fuzzing every web form with hypothesis: arbitrary text, unicode, NUL, huge strings,
deep or broken JSON. No answer is a server error, and nothing is saved from input the
form refuses (anything but a redirect leaves the database as it was)."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from approvals.models import ApiToken, PushState
from approvals.services.tokens import api_token_create
from approvals.web.forms.edit import EDIT_FIELDS
from tests.factories import make_event, make_role_users, make_version, write_state

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same inputs on every run: CI stays reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
junk = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["", " ", "\x00", "a\x00b", "null", "[]", "{}", "0", "-1", "1e309", "NaN", '{"a":', "{'a': 1}"]),
    st.sampled_from(["Approved", "Rejected", "Pending", "yours", "theirs", "OSS", "PAIFlow", "1", "2"]),
    json_values.map(json.dumps),
    st.integers(1_000, 100_000).map(lambda n: "x" * n),
    st.integers(100, 5_000).map(lambda n: "[" * n + "]" * n),
    st.integers(100, 5_000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.integers().map(str),
)
form_names = st.sampled_from(["page", "per_page", "sort", "q", "status", "workspace", "model", "next", "x"])


@pytest.fixture
def users():
    return make_role_users()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def check(response, before: dict[str, Any], after: dict[str, Any]) -> None:
    assert response.status_code < 500
    if response.status_code != 302:
        assert after == before, "a refused form changed something"


@FUZZ
@given(
    values=st.dictionaries(st.sampled_from([name for name, _ in EDIT_FIELDS]), junk), extra=junk, confirm=st.booleans()
)
def test_the_edit_form_never_fails_and_saves_nothing_it_refuses(users, values, extra, confirm):
    version = make_version(metrics={"Results": []})
    data = {name: "" for name, _ in EDIT_FIELDS} | {"SourceType": "OSS", "base_revision": "0"} | values
    data["base_revision"] = extra if len(extra) < 40 and not extra.isdigit() else data["base_revision"]
    if confirm:
        data["confirm"] = "1"
    url = reverse("version_edit", args=[version.model.model_id, version.version_name])
    before = write_state(version)

    response = signed_in(users["editor"]).post(url, data)

    check(response, before, write_state(version))


@FUZZ
@given(status=junk, reason=junk)
def test_the_decision_form_never_fails_and_saves_nothing_it_refuses(users, status, reason):
    version = make_version()
    url = reverse("version_decide", args=[version.model.model_id, version.version_name])
    before = write_state(version)

    response = signed_in(users["approver"]).post(url, {"status": status, "reason": reason})

    check(response, before, write_state(version))


@FUZZ
@given(choice=junk, extra_name=junk, extra=junk)
def test_the_conflict_form_never_fails_and_saves_nothing_it_refuses(users, choice, extra_name, extra):
    version = make_version(
        push_state=PushState.CONFLICT,
        revision=1,
        conflict={"VersionDescription": {"base": "a", "theirs": "b", "yours": "c"}},
    )
    url = reverse("version_resolve_conflict", args=[version.model.model_id, version.version_name])
    before = write_state(version)

    response = signed_in(users["editor"]).post(url, {"keep_VersionDescription": choice, extra_name[:100]: extra})

    check(response, before, write_state(version))


@FUZZ
@given(params=st.dictionaries(form_names | st.text(max_size=20), junk, max_size=6))
def test_the_filter_and_page_forms_never_fail(users, params):
    version = make_version()
    client = signed_in(users["auditor"])
    urls = [
        reverse("home"),
        reverse("version_list"),
        reverse("model_detail", args=[version.model.model_id]),
        reverse("version_compare", args=[version.model.model_id, version.version_name]),
        reverse("audit_log"),
        reverse("audit_export"),
    ]
    for url in urls:
        assert client.get(url, params).status_code < 500, url


@FUZZ
@given(username=junk, password=junk, next_url=junk)
def test_the_login_form_never_fails_and_signs_nobody_in(username, password, next_url):
    client = Client()

    response = client.post(reverse("login"), {"username": username, "password": password, "next": next_url})

    assert response.status_code < 500
    assert "_auth_user_id" not in client.session


@FUZZ
@given(name=junk)
def test_the_token_form_never_fails_and_creates_only_valid_tokens(users, name):
    before = ApiToken.objects.count()

    response = signed_in(users["viewer"]).post(reverse("token_list"), {"name": name})

    assert response.status_code < 500
    created = ApiToken.objects.count() - before
    assert created == (1 if 0 < len(name.strip()) <= 100 and response.status_code in (200, 302) else 0)


@FUZZ
@given(language=junk, next_url=junk)
def test_the_language_switch_never_fails(language, next_url):
    response = Client().post(reverse("set_language"), {"language": language, "next": next_url})

    assert response.status_code < 500


# --- the ends of the calendar and numbers JSON cannot hold, through the pages and the API ---

edge_dates = st.one_of(
    st.sampled_from([dt.date.min, dt.date.min + dt.timedelta(days=1), dt.date.max - dt.timedelta(days=1), dt.date.max]),
    st.dates(),
)
zones = st.sampled_from(["UTC", "Asia/Shanghai", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/New_York"])


@FUZZ
@given(start=st.none() | edge_dates, end=st.none() | edge_dates, zone=zones)
def test_audit_dates_at_the_ends_of_the_calendar_never_fail_on_the_pages_or_the_api(users, start, end, zone):
    make_event(actor="alice", action="version.edited")
    params = {name: day.isoformat() for name, day in (("date_from", start), ("date_to", end)) if day is not None}
    client = signed_in(users["auditor"])
    client.cookies["tz"] = zone
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=users['auditor'], name='fuzz')[1]}")
    ordered = start is None or end is None or start <= end

    for response in (
        client.get(reverse("audit_log"), params),
        client.get(reverse("audit_export"), params),
        api.get("/api/audit/", params),
        api.get("/api/audit/", {**params, "format": "csv"}),
    ):
        assert response.status_code == (200 if ordered else 400), response


def number_text(value: float) -> str:
    return json.dumps(value)  # NaN, Infinity and -Infinity as Python writes them


numbers = st.one_of(
    st.floats().map(number_text),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1E+309", "2e308", "1e-400", "0.0"]),
    st.integers(300, 100_000).map(lambda exponent: f"1e{exponent}"),
    st.integers(-(2**70), 2**70).map(str),
)


@FUZZ
@given(number=numbers, field=st.sampled_from(["Metrics", "TrainingSpec", "ExtraInfo"]))
def test_non_finite_numbers_never_fail_the_edit_form_or_the_api_and_are_never_stored(users, number, field):
    version = make_version(metrics={"Results": []})
    text = '{"Results": [{"Metrics": {"score": ' + number + "}}]}"  # the number exactly as written
    finite = math.isfinite(float(number))
    url = reverse("version_edit", args=[version.model.model_id, version.version_name])
    data = {name: "" for name, _ in EDIT_FIELDS} | {"SourceType": "Custom", "base_revision": "0", "confirm": "1"}
    before = write_state(version)

    page = signed_in(users["editor"]).post(url, data | {"Metrics": json.dumps(version.metrics), field: text})

    assert page.status_code == (302 if finite else 400)
    if not finite:
        assert write_state(version) == before
    version.refresh_from_db()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=users['editor'], name='fuzz')[1]}")
    before = write_state(version)
    path = f"/api/models/{version.model.model_id}/versions/{version.version_name}"

    body = '{"' + field + '": ' + text + "}"

    response = api.generic("PATCH", path, body, content_type="application/json", HTTP_IF_MATCH=f'"{version.revision}"')

    assert response.status_code in ((200, 400) if finite else (400,)), response.content
    if response.status_code == 400:
        assert write_state(version) == before
