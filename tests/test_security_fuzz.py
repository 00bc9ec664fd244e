"""Fuzzing every web form with hypothesis: arbitrary text, unicode, NUL, huge strings,
deep or broken JSON. No answer is a server error, and nothing is saved from input the
form refuses (anything but a redirect leaves the database as it was)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approvals.models import ApiToken, PushState
from approvals.web.forms.edit import EDIT_FIELDS
from tests.factories import make_role_users, make_version, write_state

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
