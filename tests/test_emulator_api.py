"""The emulator's read operations, answers and error shapes, over real HTTP."""

import re
import socket

import pytest
import requests

from approvals.pai.signing import encode_path

REQUEST_ID_RE = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$")
MODELS = "/api/v1/models"


def versions_path(model_id, version=None):
    segments = ["api", "v1", "models", model_id, "versions"]
    return encode_path([*segments, version] if version else segments)


def a_model(server, **filters):
    return server.store.list_models({"PageSize": "100", **filters})["Models"][0]


def busiest_model(server):
    models = server.store.list_models({"PageSize": "100"})["Models"]
    return max(models, key=lambda m: server.store.list_versions(m["ModelId"], {})["TotalCount"])


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"RequestId", "Code", "Message", "HostId", "Recommend"}
    assert body["Code"] == code
    assert REQUEST_ID_RE.match(body["RequestId"])
    assert response.headers["x-acs-request-id"] == body["RequestId"]
    assert code in body["Recommend"]
    return body


def test_it_lists_models_with_a_request_id_header_and_json_content_type(pai_request, pai_emulator):
    response = pai_request("GET", MODELS)
    assert response.status_code == 200
    body = response.json()
    assert REQUEST_ID_RE.match(body["RequestId"])
    assert response.headers["x-acs-request-id"] == body["RequestId"]
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    assert body["TotalCount"] == pai_emulator.store.counts()["models"]
    assert len(body["Models"]) == 10  # the default page size


def test_every_model_carries_its_newest_version_as_latest_version(pai_request, pai_emulator):
    for model in pai_request("GET", MODELS, query={"PageSize": "100"}).json()["Models"]:
        versions = pai_emulator.store.list_versions(model["ModelId"], {"PageSize": "100"})["Versions"]
        newest = max(versions, key=lambda v: v["GmtCreateTime"])
        assert model["LatestVersion"]["VersionName"] == newest["VersionName"]
        assert {"ModelId", "ModelName", "WorkspaceId", "GmtLatestVersionModifiedTime"} <= set(model)


def test_it_pages_models_without_overlap(pai_request, pai_emulator):
    seen = []
    for number in (1, 2, 3, 4):
        query = {"PageSize": "8", "PageNumber": str(number), "SortBy": "ModelName", "Order": "ASC"}
        seen += [m["ModelId"] for m in pai_request("GET", MODELS, query=query).json()["Models"]]
    assert len(seen) == len(set(seen)) == pai_emulator.store.counts()["models"]


def test_a_page_past_the_end_is_empty_with_the_total(pai_request, pai_emulator):
    body = pai_request("GET", MODELS, query={"PageNumber": "50", "PageSize": "100"}).json()
    assert body["Models"] == []
    assert body["TotalCount"] == pai_emulator.store.counts()["models"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PageSize", "101"),
        ("PageSize", "0"),
        ("PageSize", "ten"),
        ("PageSize", "1.5"),
        ("PageNumber", "0"),
        ("PageNumber", "-1"),
        ("PageNumber", "9" * 30),
        ("SortBy", "Size"),
        ("Order", "SIDEWAYS"),
    ],
)
def test_it_refuses_bad_paging_and_sorting_parameters(pai_request, name, value):
    body = assert_error(pai_request("GET", MODELS, query={name: value}), 400, "InvalidParameter")
    assert name in body["Message"]


@pytest.mark.parametrize("sort_by", ["GmtCreateTime", "GmtModifiedTime", "ModelName"])
@pytest.mark.parametrize("order", ["ASC", "DESC"])
def test_it_sorts_models(pai_request, sort_by, order):
    query = {"SortBy": sort_by, "Order": order, "PageSize": "100"}
    values = [m[sort_by] for m in pai_request("GET", MODELS, query=query).json()["Models"]]
    assert values == sorted(values, reverse=order == "DESC")


@pytest.mark.parametrize("field", ["WorkspaceId", "ModelName", "Domain", "Task", "Provider", "Origin", "ModelType"])
def test_it_filters_models_by_exact_fields(pai_request, pai_emulator, field):
    wanted = a_model(pai_emulator, Domain="speech")[field]
    body = pai_request("GET", MODELS, query={field: wanted, "PageSize": "100"}).json()
    everything = pai_emulator.store.list_models({"PageSize": "100"})["Models"]
    assert body["TotalCount"] == sum(1 for m in everything if m[field] == wanted) == len(body["Models"]) > 0
    assert {m[field] for m in body["Models"]} == {wanted}


def test_it_searches_names_and_descriptions_ignoring_case(pai_request):
    by_name = pai_request("GET", MODELS, query={"Query": "CTR", "PageSize": "100"}).json()["Models"]
    assert {m["ModelName"] for m in by_name} >= {"ctr-deepfm", "ctr-dcn-v2"}
    assert all("ctr" in (m["ModelName"] + m["ModelDescription"]).lower() for m in by_name)
    by_chinese = pai_request("GET", MODELS, query={"Query": "语音识别"}).json()["Models"]
    assert "asr-conformer-zh" in {m["ModelName"] for m in by_chinese}


def test_it_filters_models_by_label(pai_request):
    body = pai_request("GET", MODELS, query={"Label": "domain=cv", "PageSize": "100"}).json()
    assert body["TotalCount"] > 0
    assert {m["Domain"] for m in body["Models"]} == {"cv"}


def test_it_gets_one_model(pai_request, pai_emulator):
    model = a_model(pai_emulator)
    body = pai_request("GET", encode_path(["api", "v1", "models", model["ModelId"]])).json()
    assert body["ModelName"] == model["ModelName"]
    assert body["LatestVersion"] == model["LatestVersion"]
    assert REQUEST_ID_RE.match(body["RequestId"])


def test_it_lists_the_versions_of_one_model_newest_first_by_default(pai_request, pai_emulator):
    model = busiest_model(pai_emulator)
    body = pai_request("GET", versions_path(model["ModelId"]), query={"PageSize": "100"}).json()
    created = [v["GmtCreateTime"] for v in body["Versions"]]
    assert created == sorted(created, reverse=True)
    assert body["TotalCount"] == len(body["Versions"]) >= 3


def test_it_sorts_version_names_naturally(pai_request, pai_emulator):
    model = busiest_model(pai_emulator)
    query = {"SortBy": "VersionName", "Order": "ASC", "PageSize": "100"}
    names = [
        v["VersionName"] for v in pai_request("GET", versions_path(model["ModelId"]), query=query).json()["Versions"]
    ]

    def key(name):
        core, _, suffix = name.partition("_")
        return (tuple(int(p) for p in core.split(".")), suffix == "", suffix)

    assert names == sorted(names, key=key)


def test_it_pages_versions(pai_request, pai_emulator):
    model = busiest_model(pai_emulator)
    total = pai_emulator.store.list_versions(model["ModelId"], {})["TotalCount"]
    pages = [
        pai_request("GET", versions_path(model["ModelId"]), query={"PageSize": "2", "PageNumber": str(n)}).json()
        for n in range(1, total // 2 + 2)
    ]
    names = [v["VersionName"] for p in pages for v in p["Versions"]]
    assert len(names) == len(set(names)) == total
    assert {p["TotalCount"] for p in pages} == {total}


@pytest.mark.parametrize("field", ["VersionName", "ApprovalStatus", "FormatType", "FrameworkType", "SourceType"])
def test_it_filters_versions_by_field(pai_request, pai_emulator, field):
    model = busiest_model(pai_emulator)
    everything = pai_emulator.store.list_versions(model["ModelId"], {"PageSize": "100"})["Versions"]
    wanted = everything[-1][field]
    body = pai_request("GET", versions_path(model["ModelId"]), query={field: wanted, "PageSize": "100"}).json()
    assert body["TotalCount"] == sum(1 for v in everything if v[field] == wanted) == len(body["Versions"]) > 0
    assert {v[field] for v in body["Versions"]} == {wanted}


def test_it_filters_versions_by_source_id(pai_request, pai_emulator):
    model = busiest_model(pai_emulator)
    version = pai_emulator.store.list_versions(model["ModelId"], {})["Versions"][0]
    pai_request("PUT", versions_path(model["ModelId"], version["VersionName"]), json_body={"SourceId": "run-42"})
    assert (
        pai_emulator.store.get_version(model["ModelId"], version["VersionName"])["SourceType"] == version["SourceType"]
    )
    body = pai_request("GET", versions_path(model["ModelId"]), query={"SourceId": "run-42"}).json()
    if version["SourceType"] == "Custom":
        assert [v["VersionName"] for v in body["Versions"]] == [version["VersionName"]]
    else:  # the update was refused: a PipelineRun/ServiceJob source needs the structured id
        assert body["Versions"] == []


def test_it_refuses_an_unknown_approval_status_filter(pai_request, pai_emulator):
    model = a_model(pai_emulator)
    body = assert_error(
        pai_request("GET", versions_path(model["ModelId"]), query={"ApprovalStatus": "Maybe"}), 400, "InvalidParameter"
    )
    assert "ApprovalStatus" in body["Message"]


def test_it_gets_one_version_with_its_fields_and_a_request_id(pai_request, pai_emulator):
    model = a_model(pai_emulator)
    version = model["LatestVersion"]
    body = pai_request("GET", versions_path(model["ModelId"], version["VersionName"])).json()
    assert REQUEST_ID_RE.match(body.pop("RequestId"))
    assert body == version


def test_it_answers_404_for_a_missing_model_or_version(pai_request, pai_emulator):
    model = a_model(pai_emulator)
    assert_error(pai_request("GET", encode_path(["api", "v1", "models", "model-missing"])), 404, "ModelNotFound")
    assert_error(pai_request("GET", versions_path("model-missing")), 404, "ModelNotFound")
    assert_error(pai_request("GET", versions_path("model-missing", "1.0.0")), 404, "ModelNotFound")
    body = assert_error(pai_request("GET", versions_path(model["ModelId"], "9.9.9")), 404, "ModelVersionNotFound")
    assert "9.9.9" in body["Message"]
    put = pai_request("PUT", versions_path(model["ModelId"], "9.9.9"), json_body={"VersionDescription": "x"})
    assert_error(put, 404, "ModelVersionNotFound")


def test_an_unknown_path_is_a_json_404_with_the_host_as_host_id(pai_request, pai_emulator):
    body = assert_error(pai_request("GET", "/api/v1/datasets"), 404, "InvalidAction.NotFound")
    assert body["HostId"] == pai_emulator.endpoint
    assert_error(pai_request("GET", "/api/v1/models/x/labels"), 404, "InvalidAction.NotFound")


def test_a_wrong_method_is_a_json_405(pai_request, pai_emulator):
    response = pai_request("DELETE", MODELS)
    assert_error(response, 405, "UnsupportedHTTPMethod")
    assert response.headers["Allow"] == "GET"
    assert_error(pai_request("PUT", versions_path(a_model(pai_emulator)["ModelId"])), 405, "UnsupportedHTTPMethod")


def test_percent_encoded_path_segments_are_decoded_and_signed_as_sent(pai_request):
    body = assert_error(pai_request("GET", encode_path(["api", "v1", "models", "模型 x/y"])), 404, "ModelNotFound")
    assert "模型 x/y" in body["Message"]


@pytest.mark.parametrize(
    ("path", "query_string"),
    [
        ("/api/v1/models/%ff%fe", ""),
        ("/api/v1/models/%zz", ""),
        ("/api/v1/models", "Query=%ff"),
        ("/api/v1/models", "PageSize=99999999999999999999999999999"),
        ("/api/v1/models", "a=" + "&b=1" * 300),
    ],
)
def test_malformed_requests_never_cause_a_500(pai_emulator, path, query_string):
    response = requests.get(f"{pai_emulator.url}{path}?{query_string}", timeout=5)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["Code"]


def test_a_request_the_http_parser_refuses_still_gets_alibaba_shaped_json(pai_emulator):
    host, port = pai_emulator.endpoint.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        headers = b"".join(b"x-h%d: 1\r\n" % i for i in range(150))
        sock.sendall(b"GET /api/v1/models HTTP/1.1\r\nhost: emulator\r\n" + headers + b"\r\n")
        raw = b"".join(iter(lambda: sock.recv(65536), b"")).decode()  # the server closes the connection
    head, _, body = raw.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 431 ")
    assert "application/json" in head
    assert '"Code":"InvalidRequest"' in body and '"RequestId":"' in body
