"""The label filter: `label=key=value`, `label=key`, several ANDed, on the versions page, the
queue and the API; bad syntax refused clearly; answered from the (key, value) index."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse

from approvals import services
from approvals.models import ModelVersion
from approvals.permissions import EVERYTHING
from approvals.selectors import VersionFilters, version_list
from approvals.selectors.label_filter import LabelTerm
from tests.factories import make_model, make_user, make_version, make_workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def workspace():
    return make_workspace(workspace_id="ws-nlp")


@pytest.fixture
def versions(workspace):
    model = make_model(workspace, model_id="m-asr", name="speech-asr")
    canary = {"Key": "stage", "Value": "canary"}
    made = {
        "canary_nlp": make_version(model, labels=[canary, {"Key": "team", "Value": "nlp"}]),
        "canary_cv": make_version(model, labels=[canary, {"Key": "team", "Value": "cv"}]),
        "stable": make_version(model, labels=[{"Key": "stage", "Value": "stable"}]),
        "bare": make_version(model),
        "empty_team": make_version(model, labels=[{"Key": "team", "Value": ""}]),
    }
    # Another workspace's version with the same labels: nobody outside it sees it.
    other = make_model(make_workspace(workspace_id="ws-cv"), model_id="m-other")
    made["elsewhere"] = make_version(other, labels=[{"Key": "stage", "Value": "canary"}])
    return made


@pytest.fixture
def viewer(client, workspace):
    user = make_user("vera", group="viewer", workspace=workspace)
    client.force_login(user)
    return user


def names(versions, found) -> set[str]:
    by_pk = {v.pk: name for name, v in versions.items()}
    return {by_pk[pk] for pk in found}


def api(client, query: str):
    return client.get(f"/api/versions/?{query}")


def api_names(client, versions, query: str) -> set[str]:
    response = api(client, query)
    assert response.status_code == 200, response.json()
    pks = {
        ModelVersion.objects.get(version_name=row["VersionName"], model__model_id=row["ModelId"]).pk
        for row in response.json()["results"]
    }
    return names(versions, pks)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("label=stage=canary", {"canary_nlp", "canary_cv"}),
        ("label=stage", {"canary_nlp", "canary_cv", "stable"}),
        ("label=stage=canary&label=team=nlp", {"canary_nlp"}),
        ("label=stage=canary,%20team=cv", {"canary_cv"}),
        ("label=stage=canary&label=team", {"canary_nlp", "canary_cv"}),
        ("label=team=", {"empty_team"}),
        ("label=stage=Canary", set()),
        ("label=nosuch", set()),
    ],
)
def test_the_api_filters_by_label_and_terms_combine_with_and(client, viewer, versions, query, expected):
    assert api_names(client, versions, query) == expected


def test_the_versions_page_filters_by_labels_and_keeps_the_filter_in_its_box(client, viewer, versions):
    response = client.get(reverse("version_list"), {"label": "stage=canary, team=nlp"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('href="/models/m-asr/versions/') == 1
    assert versions["canary_nlp"].version_name in page
    assert re.search(r'name="label" value="stage=canary, team=nlp"', page)


def test_the_queue_filters_by_labels(client, viewer, versions):
    response = client.get(reverse("home"), {"label": "stage=stable"})
    assert response.status_code == 200
    page = response.content.decode()
    assert versions["stable"].version_name in page
    assert versions["canary_nlp"].version_name not in page


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("=canary", "=canary: a label filter is key=value or key; the key is missing."),
        ("a=b=c", "a=b=c: a label filter has at most one '=' (key=value)."),
        (",".join(f"k{i}" for i in range(11)), "At most 10 label filters at once."),
        ("k" * 200, "keys and values are at most 128 bytes, without control characters."),
        ("a" * 4001, "The label filter is too long."),
    ],
)
def test_bad_filter_syntax_is_a_400_in_the_api_and_a_form_error_on_the_pages(client, viewer, versions, value, message):
    response = api(client, f"label={value}")
    assert response.status_code == 400
    assert message in response.json()["fields"]["label"][0]
    for url in (reverse("version_list"), reverse("home")):
        page = client.get(url, {"label": value})
        assert page.status_code == 400
        assert message.replace("'", "&#x27;") in page.content.decode()


def test_people_of_another_workspace_never_see_its_versions_through_the_filter(client, versions):
    client.force_login(make_user("cyril", group="viewer", workspace=versions["elsewhere"].workspace))
    assert api_names(client, versions, "label=stage=canary") == {"elsewhere"}
    for url in (reverse("version_list"), reverse("home")):
        page = client.get(url, {"label": "stage=canary"}).content.decode()
        assert "/models/m-other/versions/" in page and "/models/m-asr/versions/" not in page


def test_a_label_edit_moves_the_version_between_filters(client, versions, workspace):
    editor = make_user("edna", group="editor", workspace=workspace)
    version = versions["stable"]
    services.version_edit(
        version_id=version.pk, user=editor, values={"Labels": [{"Key": "stage", "Value": "canary"}]}, base_revision=0
    )
    found = version_list(VersionFilters(labels=(LabelTerm("stage", "canary"),)), scope=EVERYTHING)
    assert names(versions, found.values_list("pk", flat=True)) == {"canary_nlp", "canary_cv", "stable", "elsewhere"}
    stale = version_list(VersionFilters(labels=(LabelTerm("stage", "stable"),)), scope=EVERYTHING)
    assert not stale.exists()


def test_the_filter_reads_the_key_value_index_not_every_version(versions):
    queryset = version_list(VersionFilters(labels=(LabelTerm("stage", "canary"),)), scope=EVERYTHING)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned anyway
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "version_label_kv_idx" in plan
