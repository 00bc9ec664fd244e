"""A real OpenID Connect provider for the tests: oidc-provider-mock, run as its own process on
loopback over HTTP, with people and their groups; and the dashboard configured to use it.

`sign_in_through_provider` walks the authorization code flow as a browser would, with
requests following redirects: the dashboard's start, the provider's authorization form
(posted as the person), the callback, the page asked for.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from approvals.web.oidc.discovery import forget_endpoints

CLIENT_ID = "pai-review-tests"
CLIENT_SECRET = "tests-client-secret"
PEOPLE = {
    "alice-sub": {"preferred_username": "alice", "email": "alice@example.com", "name": "Alice Liu",
                  "groups": ["pai-118493-approver", "pai-all-viewer"]},
    "bob-sub": {"preferred_username": "bob", "email": "bob@example.com", "name": "Bob Wang", "groups": []},
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Provider:
    url: str
    process: subprocess.Popen

    def set_person(self, sub: str, claims: dict[str, Any]) -> None:
        """Who `sub` is at the provider from now on (PUT /users/<sub>)."""
        requests.put(f"{self.url}/users/{sub}", json=claims, timeout=5).raise_for_status()

    def revoke(self, sub: str) -> None:
        """The provider ends every grant of `sub`, as off-boarding there does: refreshes fail."""
        requests.post(f"{self.url}/users/{sub}/revoke-tokens", timeout=5).raise_for_status()


def start_provider(*, token_max_age: int = 3600, people: dict[str, dict] | None = None) -> Provider:
    port = free_port()
    command = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--token-max-age", str(token_max_age), "--require-nonce"]
    for sub, claims in (PEOPLE if people is None else people).items():
        command += ["--user-claims", json.dumps({"sub": sub, **claims})]
    env = {**os.environ, "NO_COLOR": "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the provider exited with {process.returncode}")
        try:
            if requests.get(f"{url}/.well-known/openid-configuration", timeout=1).ok:
                return Provider(url=url, process=process)
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the provider did not start within 30 s")


@pytest.fixture(scope="session")
def identity_provider() -> Iterator[Provider]:
    provider = start_provider()
    yield provider
    provider.process.terminate()
    provider.process.wait(10)


@pytest.fixture
def sso(settings, identity_provider) -> Iterator[Provider]:
    """The dashboard signs in through the provider; each test starts with the provider's people as above."""
    for sub, claims in PEOPLE.items():
        identity_provider.set_person(sub, claims)
    settings.OIDC_ISSUER = identity_provider.url
    settings.OIDC_ENABLED = True
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    forget_endpoints()
    yield identity_provider
    forget_endpoints()


def sign_in_through_provider(
    base: str, sub: str | None, *, session: requests.Session | None = None, next_path: str = "/"
) -> tuple[requests.Session, requests.Response]:
    """Sign in at `base` as `sub` at the provider (None: the person presses Deny there)."""
    session = session or requests.Session()
    form = session.get(f"{base}/oidc/authenticate/", params={"next": next_path}, timeout=10)
    assert form.status_code == 200 and "/oauth2/authorize" in form.url, (form.status_code, form.url)
    data = {"sub": sub} if sub is not None else {"action": "deny"}
    return session, session.post(form.url, data=data, timeout=10)
