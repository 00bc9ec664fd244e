"""The API says when a query parameter means nothing (400 naming it), reads PAI's names as
aliases, and patches object fields with JSON Merge Patch (RFC 7396) as well as replacing them."""

from __future__ import annotations

import json

import pytest

from approvals.api.parsers import merge_patch
from approvals.models import AuditEvent
from tests.factories import make_model, make_version

pytestmark = pytest.mark.django_db

V = "/api/models/m-asr/versions/1.0.0"


@pytest.fixture
def listed(version):
    make_version(version.model, version_name="1.1.0", approval_status="Approved", source_type="PAIFlow")
    return version


def names(response):
    return sorted(row["VersionName"] for row in response.json()["results"])


@pytest.mark.parametrize(
    ("path", "query", "unknown"),
    [
        ("/api/versions/", "?ApprovalStatus=Pending&search=kws", ["search"]),
        ("/api/versions/", "?page=2", ["page"]),
        ("/api/models/", "?name=asr", ["name"]),
        ("/api/audit/", "?user=alice&when=today", ["user", "when"]),
        (V + "/history", "?limit=5", ["limit"]),
    ],
)
def test_an_unknown_query_parameter_is_a_400_naming_it(clients, listed, path, query, unknown):
    response = clients["auditor"].get(path + query)

    assert response.status_code == 400
    body = response.json()
    assert sorted(body["fields"]) == unknown
    assert all("Unknown query parameter" in body["fields"][name][0] for name in unknown)


def test_pais_names_are_aliases_of_the_dashboards(clients, listed):
    viewer = clients["viewer"]
    assert names(viewer.get("/api/versions/?ApprovalStatus=Pending")) == ["1.0.0"]
    assert names(viewer.get("/api/versions/?status=Approved")) == ["1.1.0"]
    assert names(viewer.get("/api/versions/?SourceType=PAIFlow&ModelId=m-asr")) == ["1.1.0"]
    both = viewer.get("/api/versions/?status=Approved&ApprovalStatus=Pending")
    assert both.status_code == 400 and "same parameter" in both.json()["fields"]["ApprovalStatus"][0]


def test_merge_patch_follows_rfc_7396():
    target = {"a": {"b": 1, "c": 2}, "list": [1, 2], "gone": 1}
    assert merge_patch(target, {"a": {"b": 5}, "list": [3], "gone": None, "new": {"x": None}}) == {
        "a": {"b": 5, "c": 2},
        "list": [3],
        "new": {},
    }


def test_a_merge_patch_merges_an_object_field_and_a_plain_patch_replaces_it(clients, version):
    version.training_spec = {"epochs": 10, "optimizer": {"name": "adam", "lr": 0.1}}
    version.save()
    editor = clients["editor"]

    merged = editor.patch(
        V,
        json.dumps({"TrainingSpec": {"optimizer": {"lr": 0.05}, "epochs": None}}),
        content_type="application/merge-patch+json",
    )

    assert merged.status_code == 200, merged.json()
    version.refresh_from_db()
    assert version.training_spec == {"optimizer": {"name": "adam", "lr": 0.05}}
    event = AuditEvent.objects.get(action="version.edited")
    assert event.payload["fields"]["TrainingSpec"][1] == {"optimizer": {"name": "adam", "lr": 0.05}}

    replaced = editor.patch(V, json.dumps({"TrainingSpec": {"epochs": 3}}), content_type="application/json")
    assert replaced.status_code == 200
    version.refresh_from_db()
    assert version.training_spec == {"epochs": 3}


def test_the_readmes_metrics_recipe_keeps_the_other_datasets(clients):
    version = make_version(
        make_model(model_id="m-x"),
        version_name="2.0.0",
        metrics={
            "Results": [
                {"Dataset": {"DatasetId": "d-1"}, "Metrics": {"cer": 0.2}},
                {"Dataset": {"DatasetId": "d-2"}, "Metrics": {"cer": 0.3}},
                {"Dataset": {"DatasetId": "d-3"}, "Metrics": {"cer": 0.4}},
            ]
        },
    )
    editor = clients["editor"]
    url = "/api/models/m-x/versions/2.0.0"
    # The README's recipe: read, change the one number, send the whole Metrics back with If-Match.
    read = editor.get(url)
    metrics = read.json()["Metrics"]
    for result in metrics["Results"]:
        if result["Dataset"]["DatasetId"] == "d-1":
            result["Metrics"]["cer"] = 0.12
    sent = editor.patch(
        url, json.dumps({"Metrics": metrics}), content_type="application/json", HTTP_IF_MATCH=read["ETag"]
    )

    assert sent.status_code == 200
    version.refresh_from_db()
    assert [r["Metrics"]["cer"] for r in version.metrics["Results"]] == [0.12, 0.3, 0.4]
