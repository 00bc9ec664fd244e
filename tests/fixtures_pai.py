"""Fixtures for tests that talk to the PAI emulator over loopback.

`pai_emulator` is a running EmulatorServer with the demo data set; `pai_request`
sends requests to it signed with approvals.pai.signing (not the product client),
so the emulator's tests stand on their own.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from approvals.pai import signing
from approvals.pai.emulator import EmulatorServer

# The demo key, as registry_ui/settings.py has it (EMULATOR_ACCESS_KEY_ID / _SECRET).
PAI_KEY_ID = "LTAI5tDemoEmulatorKey"
PAI_KEY_SECRET = "demo-emulator-secret-not-for-production"
# An STS-style key: requests must carry its security token.
PAI_STS_KEY_ID = "STS.NTestEmulatorToken"
PAI_STS_SECRET = "sts-test-secret"
PAI_STS_TOKEN = "CAIS-test-security-token"
PAI_ACCESS_KEYS = {PAI_KEY_ID: PAI_KEY_SECRET, PAI_STS_KEY_ID: (PAI_STS_SECRET, PAI_STS_TOKEN)}


def acs_date(when: datetime | None = None) -> str:
    return (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_headers(
    *,
    method: str,
    host: str,
    path: str,
    query: Mapping[str, str] | None = None,
    body: bytes = b"",
    key_id: str = PAI_KEY_ID,
    secret: str = PAI_KEY_SECRET,
    extra: Mapping[str, str] | None = None,
    date: str | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """Headers for one request, signed over everything given (`extra` included)."""
    headers = {
        "host": host,
        "x-acs-action": "EmulatorTest",
        "x-acs-version": "2021-02-04",
        "x-acs-date": date or acs_date(),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        **(extra or {}),
    }
    if body:
        headers["content-type"] = "application/json; charset=utf-8"
    return signing.sign(
        method=method,
        canonical_uri=path,
        query=query,
        headers=headers,
        body=body,
        access_key_id=key_id,
        access_key_secret=secret,
    )


def pai_call(
    server: EmulatorServer,
    method: str,
    path: str,
    *,
    query: Mapping[str, str] | None = None,
    json_body: Any = None,
    body: bytes | None = None,
    timeout: float = 5,
    headers: Mapping[str, str] | None = None,
    **sign_options: Any,
) -> requests.Response:
    """Send a signed request. `path` is the raw (already percent-encoded) path.

    `headers` replaces the signed headers entirely (to send something broken).
    """
    if body is None:
        body = b"" if json_body is None else json.dumps(json_body, ensure_ascii=False).encode("utf-8")
    if headers is None:
        headers = signed_headers(method=method, host=server.endpoint, path=path, query=query, body=body, **sign_options)
    return requests.request(method, server.url + path, params=query, headers=headers, data=body, timeout=timeout)


@pytest.fixture
def pai_emulator(tmp_path) -> Iterator[EmulatorServer]:
    """A running emulator on 127.0.0.1 (free port) with the demo data in a temp file."""
    server = EmulatorServer(
        host="127.0.0.1",
        port=0,
        data_path=tmp_path / "pai-emulator.json",
        access_keys=PAI_ACCESS_KEYS,
        seed="demo",
        random_seed=1,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pai_request(pai_emulator):
    """`pai_request(method, path, **options)`: a signed request to the `pai_emulator`."""

    def call(method: str, path: str, **options: Any) -> requests.Response:
        return pai_call(pai_emulator, method, path, **options)

    return call
