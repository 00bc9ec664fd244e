"""The signer against an independent oracle: the signing code of Alibaba Cloud's
own SDK (alibabacloud-tea-openapi), over many awkward requests."""

import hashlib
from types import SimpleNamespace

import pytest
from alibabacloud_tea_openapi.utils import Utils as OracleUtils
from hypothesis import given, settings
from hypothesis import strategies as st

from approvals.pai import signing

AK_ID = "LTAI5tTestKeyId"
SECRET = "test-secret-åß"


def oracle_authorization(method, canonical_uri, query, headers, body):
    lower = {k.lower(): v for k, v in headers.items()}
    lower["x-acs-content-sha256"] = hashlib.sha256(body).hexdigest()
    request = SimpleNamespace(method=method, pathname=canonical_uri, query=query, headers=lower)
    return OracleUtils.get_authorization(request, "ACS3-HMAC-SHA256", lower["x-acs-content-sha256"], AK_ID, SECRET)


def ours(method, canonical_uri, query, headers, body):
    return signing.sign(
        method=method,
        canonical_uri=canonical_uri,
        query=query,
        headers=headers,
        body=body,
        access_key_id=AK_ID,
        access_key_secret=SECRET,
    )["authorization"]


BASE_HEADERS = {
    "host": "aiworkspace.cn-hangzhou.aliyuncs.com",
    "x-acs-action": "ListModelVersions",
    "x-acs-version": "2021-02-04",
    "x-acs-date": "2026-11-26T19:00:00Z",
    "x-acs-signature-nonce": "3f1c0e1a-7d0c-4bb4-9a5e-1c1f0d5b9c11",
}

CASES = [
    ("GET", ["api", "v1", "models"], {}, b""),
    ("GET", ["api", "v1", "models"], {"WorkspaceId": "12345", "PageNumber": "1", "PageSize": "100"}, b""),
    ("GET", ["api", "v1", "models"], {"Query": "sentiment analysis model"}, b""),
    ("GET", ["api", "v1", "models"], {"Query": "a~b_c-d.e"}, b""),
    ("GET", ["api", "v1", "models"], {"ModelName": "情感分析"}, b""),
    ("GET", ["api", "v1", "models"], {"Empty": "", "Label": "k=v&x", "Order": "ASC"}, b""),
    ("GET", ["api", "v1", "models"], {"Query": "100% + 1 = */?#"}, b""),
    ("GET", ["api", "v1", "models", "model-abc", "versions", "2.3.4_beta"], {}, b""),
    ("GET", ["api", "v1", "models", "model with space", "versions", "0.1.0"], {}, b""),
    ("GET", ["api", "v1", "models", "模型/斜杠", "versions", "1.0.0"], {}, b""),
    ("GET", ["api", "v1", "models", "a~b+c*d", "versions", "1.0.0"], {}, b""),
    (
        "PUT",
        ["api", "v1", "models", "model-1", "versions", "0.1.0"],
        {},
        b'{"VersionDescription":"\xe9\x80\x9a\xe7\x94\xa8"}',
    ),
    (
        "PUT",
        ["api", "v1", "models", "model-1", "versions", "0.1.0"],
        {},
        '{"Metrics":{"Results":[]},"x":"😀"}'.encode(),
    ),
]


@pytest.mark.parametrize(("method", "segments", "query", "body"), CASES)
def test_it_signs_exactly_as_the_official_sdk(method, segments, query, body):
    headers = dict(BASE_HEADERS)
    if body:
        headers["content-type"] = "application/json; charset=utf-8"
    uri = signing.encode_path(segments)
    assert ours(method, uri, query, headers, body) == oracle_authorization(method, uri, query, headers, body)


def test_it_encodes_paths_per_rfc_3986():
    assert signing.encode_path(["api", "a b", "x/y", "~ok", "é"]) == "/api/a%20b/x%2Fy/~ok/%C3%A9"


def test_it_encodes_query_values_with_space_as_percent_20_and_keeps_tilde():
    assert signing.canonical_query({"b": "x y~", "a": "", "c": "+*"}) == "a=&b=x%20y~&c=%2B%2A"


def test_a_different_secret_gives_a_different_signature():
    headers = dict(BASE_HEADERS)
    a = ours("GET", "/api/v1/models", {}, headers, b"")
    b = signing.sign(
        method="GET",
        canonical_uri="/api/v1/models",
        query={},
        headers=headers,
        body=b"",
        access_key_id=AK_ID,
        access_key_secret=SECRET + "x",
    )["authorization"]
    assert a != b


def test_it_round_trips_through_parse_authorization():
    header = ours("GET", "/api/v1/models", {}, dict(BASE_HEADERS), b"")
    parsed = signing.parse_authorization(header)
    assert parsed.access_key_id == AK_ID
    assert parsed.signed_headers == tuple(sorted([*BASE_HEADERS, "x-acs-content-sha256"]))
    assert len(parsed.signature) == 64


@pytest.mark.parametrize(
    "header",
    ["", "Basic abc", "ACS3-HMAC-SHA256", "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host", "HMAC Credential=a"],
)
def test_it_refuses_malformed_authorization(header):
    with pytest.raises(ValueError):
        signing.parse_authorization(header)


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    segments=st.lists(text.filter(bool), min_size=1, max_size=4),
    query=st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,10}", fullmatch=True), text, max_size=5),
    body=st.binary(max_size=200),
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE"]),
)
def test_it_agrees_with_the_oracle_on_arbitrary_requests(segments, query, body, method):
    headers = dict(BASE_HEADERS)
    uri = signing.encode_path(segments)
    assert ours(method, uri, query, headers, body) == oracle_authorization(method, uri, query, headers, body)
