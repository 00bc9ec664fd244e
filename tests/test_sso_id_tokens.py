"""The ID token's checks, on tokens signed here with a test key that a small JWKS server on
loopback publishes: the backend fetches the key over HTTP and verifies as it does for a
real provider. Wrong issuer, wrong audience, expired, issued in the future, clock skew
at the edge of OIDC_LEEWAY_SECONDS, a foreign key, `none` and HMAC algorithms, a nonce
from another sign-in."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import SuspiciousOperation
from jwt.algorithms import RSAAlgorithm

from approvals.web.oidc.backend import ProviderBackend
from approvals.web.oidc.discovery import forget_endpoints

ISSUER = "https://idp.example.test/realms/pai"
CLIENT_ID = "pai-review"
KID = "test-key-1"
LEEWAY = 60


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNING_KEY = rsa_key()


class JwksServer(ThreadingHTTPServer):
    keys: list[dict[str, Any]]


class JwksHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"keys": self.server.keys}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer(("127.0.0.1", 0), JwksHandler)
    public = json.loads(RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
    server.keys = [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def backend(settings, jwks_server) -> ProviderBackend:
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "secret-known-to-the-client-and-32-bytes-long"
    settings.OIDC_LEEWAY_SECONDS = LEEWAY
    # Every endpoint given by hand: no discovery document is read.
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{ISSUER}/auth"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{ISSUER}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{ISSUER}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"http://127.0.0.1:{jwks_server.server_address[1]}/jwks"
    forget_endpoints()
    yield ProviderBackend()
    forget_endpoints()


def id_token(key: Any = None, *, algorithm: str = "RS256", kid: str | None = KID, **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "alice-sub", "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": "n-1"}
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    headers = {"kid": kid} if kid else {}
    return jwt.encode(claims, SIGNING_KEY if key is None else key, algorithm=algorithm, headers=headers)


def refused(backend: ProviderBackend, token: str, match: str, nonce: str = "n-1") -> None:
    with pytest.raises(SuspiciousOperation, match=match):
        backend.verify_token(token, nonce=nonce)


def test_a_token_of_the_provider_for_this_client_is_accepted(backend):
    claims = backend.verify_token(id_token(), nonce="n-1")

    assert (claims["sub"], claims["iss"], claims["aud"]) == ("alice-sub", ISSUER, CLIENT_ID)


def test_a_token_from_another_issuer_is_refused(backend):
    refused(backend, id_token(iss="https://evil.example.test/realms/pai"), "Invalid issuer")


def test_a_token_for_another_client_is_refused(backend):
    refused(backend, id_token(aud="some-other-app"), "Audience doesn.t match")


def test_a_token_for_several_clients_needs_this_one_as_the_authorized_party(backend):
    refused(backend, id_token(aud=[CLIENT_ID, "other"]), "azp")
    assert backend.verify_token(id_token(aud=[CLIENT_ID, "other"], azp=CLIENT_ID), nonce="n-1")["sub"] == "alice-sub"


def test_an_expired_token_is_refused(backend):
    now = int(time.time())
    refused(backend, id_token(iat=now - 3600, exp=now - 600), "expired")


def test_a_token_expired_within_the_leeway_passes_and_just_beyond_it_does_not(backend):
    now = int(time.time())
    inside = id_token(iat=now - 600, exp=now - (LEEWAY - 10))
    beyond = id_token(iat=now - 600, exp=now - (LEEWAY + 10))

    assert backend.verify_token(inside, nonce="n-1")["sub"] == "alice-sub"
    refused(backend, beyond, "expired")


def test_a_provider_clock_ahead_within_the_leeway_passes_and_beyond_it_does_not(backend):
    now = int(time.time())
    inside = id_token(iat=now + (LEEWAY - 10), exp=now + 600)
    beyond = id_token(iat=now + (LEEWAY + 10), exp=now + 600)

    assert backend.verify_token(inside, nonce="n-1")["sub"] == "alice-sub"
    refused(backend, beyond, "not yet valid")


def test_a_token_without_an_expiry_is_refused(backend):
    refused(backend, id_token(exp=None), "exp")


def test_a_token_signed_with_another_key_under_the_providers_kid_is_refused(backend):
    refused(backend, id_token(rsa_key()), "Signature verification failed")


def test_a_token_naming_a_key_the_provider_does_not_publish_is_refused(backend):
    refused(backend, id_token(kid="unknown-key"), "No single key")


def test_unsigned_and_hmac_tokens_are_refused(backend, settings):
    unsigned = jwt.encode({"iss": ISSUER, "sub": "x", "aud": CLIENT_ID}, None, algorithm="none")
    refused(backend, unsigned, "'none'")
    # HS256 keyed with the client secret: anyone holding the secret could mint one.
    hmac_token = id_token(settings.OIDC_RP_CLIENT_SECRET, algorithm="HS256")
    refused(backend, hmac_token, "'HS256'")


def test_a_token_with_the_nonce_of_another_sign_in_is_refused(backend):
    refused(backend, id_token(nonce="n-of-another-sign-in"), "nonce", nonce="n-1")
