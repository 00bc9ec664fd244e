"""GET and PATCH /api/models/{ModelId}/versions/{VersionName}, and the versions and models lists."""

from __future__ import annotations

import json

import pytest

from approvals.models import AuditEvent, Change, ChangeKind, PushState
from approvals.pai.fields import METRICS_MAX_CHARS, SOURCE_ID_FORMAT
from tests.factories import make_model, make_version, make_versions, results_metrics, write_state

pytestmark = pytest.mark.django_db

URL = "/api/models/m-asr/versions/1.0.0"
BIG_METRICS = {"k": "x" * (METRICS_MAX_CHARS - 7)}  # {"k":"…"} serializes to 8,193 characters


def patch(client, body, **headers):
    # json.dumps escapes non-ASCII, so even a lone surrogate travels as JSON allows.
    return client.generic("PATCH", URL, json.dumps(body), content_type="application/json", **headers)


# --- read -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "editor", "approver", "auditor", "staff"])
def test_every_signed_in_role_reads_a_version_with_its_push_state_and_an_etag_of_its_revision(clients, version, role):
    response = clients[role].get(URL)
    assert response.status_code == 200
    body = response.json()
    assert (body["ModelId"], body["VersionName"], body["Metrics"]) == ("m-asr", "1.0.0", version.metrics)
    assert (body["revision"], body["push_state"], body["Options"]) == (0, "done", '{"keep":true}')
    assert response["ETag"] == '"0"'


def test_anonymous_callers_get_401_in_the_error_shape_with_a_bearer_challenge(clients, version):
    response = clients["anonymous"].get(URL)
    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
        "fields": {},
    }
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_version_or_path_is_a_json_404(clients, version):
    assert clients["viewer"].get("/api/models/m-asr/versions/9.9.9").json()["code"] == "not_found"
    assert clients["viewer"].get("/api/models/nope/versions/1.0.0").status_code == 404
    response = clients["viewer"].get("/api/no/such/thing")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


# --- edit -----------------------------------------------------------------------


def test_an_editor_patches_metrics_with_pai_field_names_and_it_is_recorded_audited_and_queued(
    clients, users, version, django_capture_on_commit_callbacks
):
    metrics = results_metrics(("d-1", {"cer": 0.15}))
    with django_capture_on_commit_callbacks() as callbacks:
        response = patch(clients["editor"], {"Metrics": metrics}, HTTP_IF_MATCH='"0"')
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"1"'
    version.refresh_from_db()
    assert (version.metrics, version.revision, version.push_state) == (metrics, 1, PushState.QUEUED)
    change = Change.objects.get(version=version)
    assert (change.kind, change.author, change.fields) == (
        ChangeKind.EDIT,
        users["editor"],
        {
            "Metrics": [
                results_metrics(("d-1", {"cer": 0.2})),
                metrics,
            ]
        },
    )
    event = AuditEvent.objects.filter(action="version.edited").get()
    assert (event.actor, event.client_ip, event.version_name) == ("editor", "127.0.0.1", "1.0.0")
    assert len(callbacks) == 1  # the push is enqueued once the transaction commits


def test_a_body_written_for_update_model_version_works_here_too(clients, version):
    body = {
        "VersionDescription": "中文描述：情感分析",
        "InferenceSpec": {"processor": "pytorch"},
        "Options": '{"a": 1}',
        "SourceType": "PAIFlow",
        "SourceId": "region=cn-hangzhou,workspaceId=118493,kind=PipelineRun,id=run-1",
    }
    assert patch(clients["editor"], body).status_code == 200
    version.refresh_from_db()
    assert {name: version.pai_values()[name] for name in body} == body


@pytest.mark.parametrize("role", ["viewer", "approver", "auditor", "staff", "nobody"])
def test_everyone_but_editors_is_refused_a_patch_with_403_and_nothing_changes(
    clients, users, client_for, version, role
):
    client = clients.get(role) or client_for(users[role])
    before = write_state(version)
    response = patch(client, {"VersionDescription": "sneaky"})
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert write_state(version) == before


def test_anonymous_callers_cannot_patch(clients, version):
    before = write_state(version)
    assert patch(clients["anonymous"], {"VersionDescription": "sneaky"}).status_code == 401
    assert write_state(version) == before


INVALID = [
    ({"Metrics": BIG_METRICS}, "Metrics", "Metrics is 8193 characters once serialized; the limit is 8192."),
    ({"Metrics": [1, 2]}, "Metrics", "Metrics must be a JSON object."),
    ({"TrainingSpec": "epochs=10"}, "TrainingSpec", "TrainingSpec must be a JSON object."),
    ({"ExtraInfo": None}, "ExtraInfo", "ExtraInfo must be a JSON object."),
    ({"Options": {"a": 1}}, "Options", "Options must be a string."),
    (
        {"Options": '{"a":'},
        "Options",
        "Line 1, column 6: a value was expected here (a string in double quotes, a number, true, false, null, "
        "an object or an array).",
    ),
    ({"VersionDescription": 5}, "VersionDescription", "VersionDescription must be a string."),
    (
        {"SourceType": "PAIFlow", "SourceId": "run-1"},
        "SourceId",
        f"For SourceType PAIFlow, SourceId must look like {SOURCE_ID_FORMAT}.",
    ),
    ({"SourceType": "Notebook"}, "SourceType", "SourceType must be one of Custom, PAIFlow, TrainingService."),
    ({"Bogus": 1}, "Bogus", "Unknown field Bogus."),
    (
        {"ApprovalStatus": "Approved"},
        "ApprovalStatus",
        "ApprovalStatus is decided with POST …/decision, not with PATCH.",
    ),
    ({"VersionDescription": "nul\x00"}, "VersionDescription", "VersionDescription contains a NUL character"),
    ({"Metrics": {"a": "\ud800"}}, "Metrics", "Metrics contains invalid Unicode"),
]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    INVALID,
    ids=[
        "metrics-8193",
        "array-for-object",
        "string-for-object",
        "null-for-object",
        "options-object",
        "options-json-syntax",
        "number-for-string",
        "source-id",
        "source-type",
        "unknown-field",
        "approval-status",
        "nul",
        "lone-surrogate",
    ],
)
def test_each_invalid_input_is_a_400_naming_the_field_with_the_forms_message_and_nothing_changes(
    clients, version, body, field, message
):
    before = write_state(version)
    response = patch(clients["editor"], body)
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid"
    assert data["fields"][field][0].startswith(message)
    assert write_state(version) == before


def test_every_invalid_field_of_a_body_is_named_at_once(clients, version):
    response = patch(clients["editor"], {"Metrics": [1], "Options": 3, "Nope": True})
    assert set(response.json()["fields"]) == {"Metrics", "Options", "Nope"}


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        (b'{"Metrics": ', "application/json", 400, "parse_error"),
        (b'{"Metrics": NaN}', "application/json", 400, "parse_error"),
        (b"\xff\xfe", "application/json", 400, "parse_error"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "parse_error"),
        (b"[1, 2]", "application/json", 400, "invalid"),
        (b"null", "application/json", 400, "invalid"),
        (b"VersionDescription=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b'{"VersionDescription": "' + b"x" * (1024 * 1024) + b'"}', "application/json", 413, "too_large"),
    ],
    ids=["truncated", "nan", "not-utf8", "deep-nesting", "array-body", "null-body", "form-encoded", "huge"],
)
def test_malformed_bodies_are_client_errors_in_the_error_shape_never_500(
    clients, version, raw, content_type, status, code
):
    before = write_state(version)
    response = clients["editor"].generic("PATCH", URL, raw, content_type=content_type)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert write_state(version) == before


def test_objects_nested_past_the_limit_are_refused_at_their_field(clients, version):
    deep: dict = {}
    for _ in range(80):
        deep = {"a": deep}
    response = patch(clients["editor"], {"ExtraInfo": deep})
    assert response.json()["fields"]["ExtraInfo"] == ["ExtraInfo is nested more than 64 levels deep."]


def test_a_body_that_changes_nothing_is_refused_as_the_form_refuses_it(clients, version):
    before = write_state(version)
    response = patch(clients["editor"], {"VersionDescription": "first cut"})
    assert (response.status_code, response.json()) == (
        400,
        {"code": "refused", "message": "Nothing changed.", "fields": {}},
    )
    assert write_state(version) == before


def test_a_decided_version_stays_editable(clients, version):
    version.approval_status = "Approved"
    version.save()
    assert patch(clients["editor"], {"VersionDescription": "後で直す"}).status_code == 200


# --- If-Match and stale edits ----------------------------------------------------------


def test_if_match_with_an_old_etag_is_412_and_says_what_changed_since(clients, version):
    assert patch(clients["editor"], {"VersionDescription": "second"}, HTTP_IF_MATCH='"0"').status_code == 200
    before = write_state(version)
    response = patch(clients["editor"], {"Metrics": {"x": 1}}, HTTP_IF_MATCH='"0"')
    assert response.status_code == 412
    data = response.json()
    assert data["code"] == "precondition_failed"
    assert data["changed"] == {"VersionDescription": ["first cut", "second"]}
    assert write_state(version) == before


@pytest.mark.parametrize("header", ['"1"', "1", '"0", "1"', "*"])
def test_if_match_with_the_current_etag_or_a_star_is_accepted(clients, version, header):
    patch(clients["editor"], {"VersionDescription": "second"})
    response = patch(clients["editor"], {"VersionDescription": "third"}, HTTP_IF_MATCH=header)
    assert (response.status_code, response["ETag"]) == (200, '"2"')


@pytest.mark.parametrize("header", ["garbage", 'W/"0"', '"99999999999999"', ""])
def test_an_if_match_naming_no_current_revision_is_412_and_nothing_changes(clients, version, header):
    before = write_state(version)
    response = patch(clients["editor"], {"VersionDescription": "x"}, HTTP_IF_MATCH=header)
    assert response.status_code == 412
    assert write_state(version) == before


def test_without_if_match_the_edit_is_based_on_the_current_revision(clients, version):
    patch(clients["editor"], {"VersionDescription": "second"})
    response = patch(clients["editor"], {"Metrics": {"x": 1}})
    assert response.status_code == 200
    assert response.json()["revision"] == 2


def test_a_save_that_races_another_is_409_with_what_changed(clients, users, version, monkeypatch):
    from approvals import services
    from approvals.api.views import versions as views

    # Someone saves between the API reading the revision and the service locking the row.
    real = views.base_revision

    def racing(request, current):
        base = real(request, current)
        services.version_edit(
            version_id=current.pk, user=users["editor"], values={"VersionDescription": "theirs"}, base_revision=base
        )
        return base

    monkeypatch.setattr(views, "base_revision", racing)
    response = patch(clients["editor"], {"Metrics": {"x": 1}})
    assert response.status_code == 409
    assert response.json()["code"] == "stale"
    assert response.json()["changed"] == {"VersionDescription": ["first cut", "theirs"]}
    version.refresh_from_db()
    assert version.metrics != {"x": 1} and version.revision == 1


# --- lists ----------------------------------------------------------------------------


def test_the_versions_list_filters_searches_and_sorts_like_the_web_list(clients, version):
    other = make_version(make_model(name="vision"), version_name="2.0.0", approval_status="Approved")
    viewer = clients["viewer"]
    names = lambda query: [row["VersionName"] for row in viewer.get(f"/api/versions/?{query}").json()["results"]]  # noqa: E731
    assert names("status=Approved") == ["2.0.0"]
    assert names("q=speech") == ["1.0.0"]
    assert names(f"model={other.model.model_id}") == ["2.0.0"]
    assert names("sort=created") == ["1.0.0", "2.0.0"]
    assert names("sort=-created") == ["2.0.0", "1.0.0"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=Maybe", "status"), ("sort=random", "sort"), ("per_page=7", "per_page"), ("format=Zip", "format")],
)
def test_bad_filter_values_are_a_400_naming_the_parameter(clients, version, query, field):
    response = clients["viewer"].get(f"/api/versions/?{query}")
    assert response.status_code == 400
    assert field in response.json()["fields"]


@pytest.mark.parametrize("sort", ["-created", "created", "-modified", "model", "-version"])
def test_cursor_pages_walk_every_version_once_forward_and_back(clients, sort):
    model = make_model(name="many")
    make_versions(model, 23)
    # Some versions without PAI timestamps: NULLs must neither repeat nor vanish.
    make_versions(make_model(name="bare"), 4, gmt_create_time=None, gmt_modified_time=None)
    viewer = clients["viewer"]
    seen, url, pages = [], f"/api/versions/?per_page=10&sort={sort}", []
    while url:
        body = viewer.get(url).json()
        pages.append(url)
        seen += [(row["ModelId"], row["VersionName"]) for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 27
    # Back from the last page gives the page before it, in the same order.
    last = viewer.get(pages[-1]).json()
    previous = viewer.get(last["previous"]).json()
    assert [(r["ModelId"], r["VersionName"]) for r in previous["results"]] == seen[10:20]


@pytest.mark.parametrize("cursor", ["nonsense", "eyJ2IjpbMV19:forged:sig", "%00"])
def test_a_cursor_the_api_did_not_give_out_is_a_400(clients, version, cursor):
    response = clients["viewer"].get(f"/api/versions/?cursor={cursor}")
    assert (response.status_code, list(response.json()["fields"])) == (400, ["cursor"])


def test_a_cursor_of_another_sort_order_is_a_400(clients):
    make_versions(make_model(), 3)
    next_url = clients["viewer"].get("/api/versions/?per_page=10&sort=model").json()["next"]
    assert next_url is None
    make_versions(make_model(), 12)
    next_url = clients["viewer"].get("/api/versions/?per_page=10&sort=model").json()["next"]
    response = clients["viewer"].get(next_url.replace("sort=model", "sort=version"))
    assert response.status_code == 400


def test_the_models_list_pages_by_name_and_filters_by_workspace(clients, version):
    other = make_model(name="alpha")
    body = clients["viewer"].get("/api/models/").json()
    assert [row["ModelName"] for row in body["results"]] == ["alpha", "speech-asr"]
    workspace = other.workspace.workspace_id
    body = clients["viewer"].get(f"/api/models/?workspace={workspace}").json()
    assert [row["ModelId"] for row in body["results"]] == [other.model_id]
    assert body["results"][0]["versions_url"].endswith(f"/api/versions/?model={other.model_id}")


@pytest.mark.parametrize("path", ["/api/versions/", "/api/models/"])
def test_lists_need_credentials(clients, path):
    assert clients["anonymous"].get(path).status_code == 401


def test_json_values_round_trip_exactly(clients, version):
    metrics = {"Results": [{"Metrics": {"auc": 0.91, "n": 3, "ok": True, "zh": "准确率"}}]}
    patch(clients["editor"], {"Metrics": metrics})
    assert json.loads(clients["viewer"].get(URL).content)["Metrics"] == metrics


@pytest.mark.parametrize(
    ("proxies", "forwarded", "recorded"),
    [
        (0, "203.0.113.9", "127.0.0.1"),  # no trusted proxy: the header is the client's say
        (1, "198.51.100.4, 203.0.113.9", "203.0.113.9"),  # the address our proxy saw
        (1, "not-an-address", "127.0.0.1"),  # junk from a proxy never reaches the log
    ],
)
def test_the_audit_log_records_the_client_address_a_trusted_proxy_saw(
    clients, version, settings, proxies, forwarded, recorded
):
    settings.TRUSTED_PROXY_COUNT = proxies
    response = patch(
        clients["editor"],
        {"VersionDescription": "from behind a proxy"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert response.status_code == 200
    assert AuditEvent.objects.get(action="version.edited").client_ip == recorded
