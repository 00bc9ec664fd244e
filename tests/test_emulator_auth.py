"""Signature verification on the emulator: what PAI's gateway accepts and refuses."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from approvals.pai.emulator import NonceCache
from tests.fixtures_pai import PAI_KEY_SECRET, PAI_STS_KEY_ID, PAI_STS_SECRET, PAI_STS_TOKEN, acs_date, signed_headers

MODELS = "/api/v1/models"


def send(server, headers, path=MODELS, query=None, method="GET", body=b""):
    return requests.request(method, server.url + path, params=query, headers=headers, data=body, timeout=5)


def headers_for(server, **options):
    return signed_headers(method=options.pop("method", "GET"), host=server.endpoint, path=MODELS, **options)


def refused(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["Code"] == code
    assert body["RequestId"] and response.headers["x-acs-request-id"] == body["RequestId"]
    return body


def test_a_correctly_signed_request_with_a_query_is_accepted(pai_emulator):
    query = {"Query": "asr zh ~!*()'", "PageSize": "5", "Empty": ""}
    response = send(pai_emulator, headers_for(pai_emulator, query=query), query=query)
    assert response.status_code == 200, response.text


def test_extra_signed_headers_as_the_sdk_sends_are_accepted(pai_emulator):
    extra = {
        "user-agent": "AlibabaCloud (Linux; x86_64) Python/3.11 Core/1.0 TeaDSL/2",
        "accept": "application/json",
        "x-acs-credentials-provider": "static_ak",
    }
    response = send(pai_emulator, headers_for(pai_emulator, extra=extra))
    assert response.status_code == 200, response.text


def test_an_unsigned_header_that_is_not_host_or_x_acs_is_allowed(pai_emulator):
    headers = {**headers_for(pai_emulator), "x-trace": "abc", "user-agent": "curl/8"}
    assert send(pai_emulator, headers).status_code == 200


def test_an_unsigned_x_acs_header_is_refused(pai_emulator):
    headers = {**headers_for(pai_emulator), "x-acs-action": "DeleteModel"}  # replaced, still signed: a mismatch
    refused(send(pai_emulator, headers), 400, "SignatureDoesNotMatch")
    headers = {**headers_for(pai_emulator), "x-acs-extra": "sneaked in"}
    body = refused(send(pai_emulator, headers), 400, "IncompleteSignature")
    assert "x-acs-extra" in body["Message"]


def test_an_unsigned_host_is_refused(pai_emulator):
    headers = headers_for(pai_emulator)
    credential, _, rest = headers["authorization"].partition(",SignedHeaders=")
    names, _, signature = rest.partition(",")
    kept = ";".join(n for n in names.split(";") if n != "host")
    headers["authorization"] = f"{credential},SignedHeaders={kept},{signature}"
    body = refused(send(pai_emulator, headers), 400, "IncompleteSignature")
    assert "host" in body["Message"]


def test_a_request_without_authorization_is_refused(pai_emulator):
    headers = headers_for(pai_emulator)
    del headers["authorization"]
    refused(send(pai_emulator, headers), 400, "IncompleteSignature")


@pytest.mark.parametrize(
    "value",
    [
        "Bearer abc",
        "ACS3-HMAC-SHA256 Credential=k,Signature=abc",
        "ACS3-HMAC-SHA256",
        "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=x",
    ],
)
def test_a_malformed_authorization_is_refused(pai_emulator, value):
    headers = {**headers_for(pai_emulator), "authorization": value}
    refused(send(pai_emulator, headers), 400, "IncompleteSignature")


@pytest.mark.parametrize("missing", ["x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"])
def test_a_request_missing_a_required_header_is_refused(pai_emulator, missing):
    headers = headers_for(pai_emulator)
    del headers[missing]
    body = refused(send(pai_emulator, headers), 400, "IncompleteSignature")
    assert missing in body["Message"]


def test_an_unknown_access_key_is_refused(pai_emulator):
    response = send(pai_emulator, headers_for(pai_emulator, key_id="LTAI5tUnknown"))
    refused(response, 403, "InvalidAccessKeyId.NotFound")


def test_a_wrong_secret_is_refused_showing_the_string_to_sign_but_no_secret(pai_emulator):
    body = refused(send(pai_emulator, headers_for(pai_emulator, secret="wrong")), 400, "SignatureDoesNotMatch")
    assert "ACS3-HMAC-SHA256\n" in body["Message"]
    assert PAI_KEY_SECRET not in body["Message"] and "wrong" not in body["Message"]


def test_a_tampered_query_is_refused(pai_emulator):
    headers = headers_for(pai_emulator, query={"PageSize": "5"})
    refused(send(pai_emulator, headers, query={"PageSize": "6"}), 400, "SignatureDoesNotMatch")


def test_a_body_that_does_not_match_its_content_hash_is_refused(pai_emulator):
    model = pai_emulator.store.list_models({})["Models"][0]
    path = f"/api/v1/models/{model['ModelId']}/versions/{model['LatestVersion']['VersionName']}"
    signed_body = b'{"VersionDescription":"signed"}'
    headers = signed_headers(method="PUT", host=pai_emulator.endpoint, path=path, body=signed_body)
    response = send(pai_emulator, headers, path=path, method="PUT", body=b'{"VersionDescription":"swapped"}')
    body = refused(response, 400, "SignatureDoesNotMatch")
    assert "content hash" in body["Message"]
    assert (
        pai_emulator.store.get_version(model["ModelId"], model["LatestVersion"]["VersionName"])["VersionDescription"]
        == model["LatestVersion"]["VersionDescription"]
    )


@pytest.mark.parametrize("minutes", [16, -16])
def test_a_date_more_than_15_minutes_off_is_refused(pai_emulator, minutes):
    date = acs_date(datetime.now(UTC) + timedelta(minutes=minutes))
    refused(send(pai_emulator, headers_for(pai_emulator, date=date)), 400, "InvalidTimeStamp.Expired")


def test_a_date_14_minutes_off_is_accepted(pai_emulator):
    date = acs_date(datetime.now(UTC) - timedelta(minutes=14))
    assert send(pai_emulator, headers_for(pai_emulator, date=date)).status_code == 200


@pytest.mark.parametrize("date", ["yesterday", "2026-13-45T99:00:00Z", "Thu, 26 Nov 2026 19:00:00 GMT"])
def test_a_malformed_date_is_refused(pai_emulator, date):
    refused(send(pai_emulator, headers_for(pai_emulator, date=date)), 400, "InvalidTimeStamp.Expired")


def test_it_refuses_a_reused_nonce(pai_emulator):
    nonce = uuid.uuid4().hex
    assert send(pai_emulator, headers_for(pai_emulator, nonce=nonce)).status_code == 200
    body = refused(send(pai_emulator, headers_for(pai_emulator, nonce=nonce)), 400, "SignatureNonceUsed")
    assert "nonce" in body["Message"]


def test_a_nonce_from_a_refused_signature_is_not_burnt(pai_emulator):
    nonce = uuid.uuid4().hex
    refused(send(pai_emulator, headers_for(pai_emulator, nonce=nonce, secret="wrong")), 400, "SignatureDoesNotMatch")
    assert send(pai_emulator, headers_for(pai_emulator, nonce=nonce)).status_code == 200


def test_the_nonce_cache_forgets_expired_nonces_so_memory_stays_bounded():
    now = [1000.0]
    cache = NonceCache(window_seconds=900, clock=lambda: now[0])
    assert cache.add("a") and cache.add("b")
    assert not cache.add("a")
    now[0] += 901
    assert cache.add("c")
    assert len(cache) == 1  # a and b were evicted
    assert cache.add("a")  # and a is fresh again


def test_sts_credentials_with_their_token_are_accepted(pai_emulator):
    headers = headers_for(
        pai_emulator, key_id=PAI_STS_KEY_ID, secret=PAI_STS_SECRET, extra={"x-acs-security-token": PAI_STS_TOKEN}
    )
    assert send(pai_emulator, headers).status_code == 200


@pytest.mark.parametrize("token", [None, "CAIS-some-other-token"])
def test_sts_credentials_without_the_matching_token_are_refused(pai_emulator, token):
    extra = {"x-acs-security-token": token} if token else {}
    headers = headers_for(pai_emulator, key_id=PAI_STS_KEY_ID, secret=PAI_STS_SECRET, extra=extra)
    refused(send(pai_emulator, headers), 400, "InvalidSecurityToken.Mismatch")


def test_control_endpoints_need_no_signature(pai_emulator):
    assert requests.get(pai_emulator.url + "/_emulator/faults", timeout=5).json()["unavailable_rate"] == 0.0
