"""Fixtures for the audit log's keys and checkpoint sinks.

`signing_keys` writes an Ed25519 key pair and configures it; `checkpoint_dir` and
`checkpoint_bucket` configure a sink (the bucket lives in moto's S3 server, run as
its own process on loopback, with object lock on). The flush of transactional tests
on PostgreSQL passes the audit log's TRUNCATE trigger the only way the table's owner
can: disabling it for the flush's own transaction.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.db import connection

AUDIT_TABLE = "approvals_auditevent"
# The fields the chain hashed before it was keyed, as the code before the change had them.
LEGACY_FIELDS = (
    "seq",
    "created_at",
    "actor",
    "action",
    "workspace_id",
    "model_id",
    "model_name",
    "version_name",
    "payload",
    "client_ip",
    "prev_hash",
)


def legacy_sha256(event) -> str:
    """The unkeyed hash exactly as the code before the keyed chain computed it."""
    content = {name: getattr(event, name) for name in LEGACY_FIELDS}
    content["created_at"] = event.created_at.isoformat(timespec="microseconds")
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


@contextlib.contextmanager
def tampering() -> Iterator:
    """A cursor that may change the log behind the ORM's back (as an intruder would)."""
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cur:
        if postgres:
            cur.execute(f"ALTER TABLE {AUDIT_TABLE} DISABLE TRIGGER approvals_auditevent_append_only")
        try:
            yield cur
        finally:
            if postgres:
                cur.execute(f"ALTER TABLE {AUDIT_TABLE} ENABLE TRIGGER approvals_auditevent_append_only")


def rewrite_chain(from_seq: int, change: Callable, rehash: Callable) -> None:
    """Apply `change` to event `from_seq`, then relink and rehash it and every later event with `rehash`."""
    from approvals.models import AuditEvent

    events = list(AuditEvent.objects.filter(seq__gte=from_seq).order_by("seq"))
    previous = AuditEvent.objects.filter(seq__lt=from_seq).order_by("-seq").first()
    prev_hash = previous.hash if previous else "0" * 64
    with tampering() as cur:
        for n, event in enumerate(events):
            if n == 0:
                change(event)
            event.prev_hash = prev_hash
            event.hash = rehash(event)
            cur.execute(
                f"UPDATE {AUDIT_TABLE} SET actor = %s, payload = %s, key_id = %s, prev_hash = %s, hash = %s "  # noqa: S608
                "WHERE seq = %s",
                [event.actor, json.dumps(event.payload), event.key_id, event.prev_hash, event.hash, event.seq],
            )
            prev_hash = event.hash


def verify(command: str = "verify_audit") -> tuple[int, str, str]:
    """Run a command as an operator would: (exit code, stdout, stderr with the error)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, stdout=out, stderr=err)
    except CommandError as exc:
        return 1, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_truncate_trigger() -> Iterator[None]:
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        sql = original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if AUDIT_TABLE not in tables:
            return sql
        # execute_sql_flush runs these in one transaction: the trigger is off for nobody else.
        return [
            f"ALTER TABLE {AUDIT_TABLE} DISABLE TRIGGER USER;",
            *sql,
            f"ALTER TABLE {AUDIT_TABLE} ENABLE TRIGGER USER;",
        ]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


def hmac_key(key_id: str) -> str:
    """One `id:base64secret` entry with a fresh random secret."""
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def write_key_pair(folder: Path, name: str = "audit-signing") -> tuple[Path, Path]:
    private = Ed25519PrivateKey.generate()
    private_path, public_path = folder / f"{name}.pem", folder / f"{name}.pub.pem"
    private_path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    public_path.write_bytes(
        private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private_path, public_path


@pytest.fixture
def signing_keys(settings, tmp_path) -> tuple[Path, Path]:
    folder = tmp_path / "keys"
    folder.mkdir()
    private_path, public_path = write_key_pair(folder)
    settings.AUDIT_SIGNING_KEY_FILE = str(private_path)
    settings.AUDIT_VERIFY_KEY_FILE = str(public_path)
    return private_path, public_path


@pytest.fixture
def checkpoint_dir(settings, tmp_path, signing_keys) -> Path:
    path = tmp_path / "checkpoints"
    settings.AUDIT_CHECKPOINT_DIR = str(path)
    return path


@dataclass(frozen=True)
class MotoServer:
    endpoint: str
    access_key_id: str = "moto-test-key"
    secret_access_key: str = "moto-test-secret"  # moto accepts any

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory) -> Iterator[MotoServer]:
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    server = MotoServer(endpoint=f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(server.endpoint + "/moto-api/", timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto's server did not start:\n{log.read_text(errors='replace')}") from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def checkpoint_bucket(settings, moto_server, signing_keys) -> str:
    bucket = f"audit-{uuid.uuid4().hex[:12]}"
    moto_server.client().create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    settings.AUDIT_CHECKPOINT_S3_BUCKET = bucket
    settings.AUDIT_CHECKPOINT_S3_ENDPOINT_URL = moto_server.endpoint
    settings.AUDIT_CHECKPOINT_S3_ADDRESSING_STYLE = "path"
    settings.AUDIT_CHECKPOINT_S3_ACCESS_KEY_ID = moto_server.access_key_id
    settings.AUDIT_CHECKPOINT_S3_SECRET_ACCESS_KEY = moto_server.secret_access_key
    settings.AUDIT_CHECKPOINT_S3_LOCK_MODE = "COMPLIANCE"
    settings.AUDIT_CHECKPOINT_S3_RETAIN_DAYS = 1
    return bucket
