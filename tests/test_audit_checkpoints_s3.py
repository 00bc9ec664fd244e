"""Checkpoints in an S3 bucket with object lock, against moto's S3 server run as its own process on loopback."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError

from approvals.models import AuditEvent
from approvals.services.audit import append_event, event_hash
from tests.fixtures_audit import rewrite_chain, tampering, verify

pytestmark = pytest.mark.django_db
PREFIX = "audit-checkpoints/"


def to_mallory(event: AuditEvent) -> None:
    event.actor = "mallory"


def append(count: int) -> None:
    for n in range(count):
        append_event(actor="alice", action="version.edit", payload={"n": n})


def versions(client, bucket: str) -> list[dict]:
    return client.list_object_versions(Bucket=bucket, Prefix=PREFIX).get("Versions", [])


def test_audit_checkpoint_puts_an_object_locked_in_compliance_mode(moto_server, checkpoint_bucket):
    append(3)

    code, out, err = verify("audit_checkpoint")

    assert code == 0, err
    client = moto_server.client()
    [version] = versions(client, checkpoint_bucket)
    assert version["Key"].startswith(PREFIX + "checkpoint-000000000003-")
    assert f"Checkpoint written: s3://{checkpoint_bucket}/{version['Key']}" in out
    head = client.head_object(Bucket=checkpoint_bucket, Key=version["Key"])
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > dt.datetime.now(dt.UTC)
    body = json.loads(client.get_object(Bucket=checkpoint_bucket, Key=version["Key"])["Body"].read())
    assert body["checkpoint"]["seq"] == 3
    assert body["checkpoint"]["hash"] == AuditEvent.objects.get(seq=3).hash
    # Not even the credentials that wrote it can remove it before its retention ends.
    with pytest.raises(ClientError, match="AccessDenied"):
        client.delete_object(Bucket=checkpoint_bucket, Key=version["Key"], VersionId=version["VersionId"])


def test_verify_reads_the_bucket_and_says_the_log_matches(checkpoint_bucket):
    append(2)
    verify("audit_checkpoint")

    code, out, err = verify()

    assert code == 0, err
    assert f"checkpoints: 1 match the log (bucket s3://{checkpoint_bucket}/{PREFIX})" in out


def test_a_cut_off_end_is_found_even_when_the_checkpoint_is_hidden_in_the_bucket(moto_server, checkpoint_bucket):
    append(3)
    verify("audit_checkpoint")
    client = moto_server.client()
    [locked] = versions(client, checkpoint_bucket)
    append(2)
    verify("audit_checkpoint")
    newest = next(v for v in versions(client, checkpoint_bucket) if v["Key"] != locked["Key"])

    # The intruder has the bucket credentials: it hides the newest checkpoint under a copy of
    # the older one and a delete marker, then cuts the log back to the older one's seq.
    older = client.get_object(Bucket=checkpoint_bucket, Key=locked["Key"])["Body"].read()
    client.put_object(Bucket=checkpoint_bucket, Key=newest["Key"], Body=older)
    client.delete_object(Bucket=checkpoint_bucket, Key=newest["Key"])
    assert [o["Key"] for o in client.list_objects_v2(Bucket=checkpoint_bucket).get("Contents", [])] == [locked["Key"]]
    with tampering() as cur:
        cur.execute("DELETE FROM approvals_auditevent WHERE seq > 3")

    code, _, err = verify()

    assert code == 1
    assert "names event #5, but the log ends at #3: events were cut off its end" in err
    assert "its name and its content name different events" in err


def test_a_rewrite_is_found_against_the_bucket_and_the_directory_alike(settings, checkpoint_bucket, checkpoint_dir):
    append(3)
    code, out, _ = verify("audit_checkpoint")
    assert out.count("Checkpoint written:") == 2
    rewrite_chain(2, to_mallory, event_hash)

    code, _, err = verify()

    assert code == 1
    assert f"checkpoint s3://{checkpoint_bucket}/" in err
    assert f"checkpoint {checkpoint_dir}/" in err
    assert err.count("names event #3 with another hash than the log has") == 2


def test_a_bucket_that_cannot_be_read_fails_the_verification(settings, checkpoint_bucket):
    append(1)
    settings.AUDIT_CHECKPOINT_S3_BUCKET = "no-such-bucket"

    code, _, err = verify()

    assert code == 1
    assert "bucket s3://no-such-bucket/audit-checkpoints/: the checkpoints could not be read" in err
    assert "NoSuchBucket" in err


def test_a_bucket_that_refuses_the_write_fails_the_command_and_the_directory_still_gets_it(
    settings, checkpoint_bucket, checkpoint_dir
):
    append(1)
    settings.AUDIT_CHECKPOINT_S3_BUCKET = "no-such-bucket"

    code, _, err = verify("audit_checkpoint")

    assert code == 1
    assert "The checkpoint of event #1 was not written to bucket s3://no-such-bucket/" in err
    assert len(list(checkpoint_dir.glob("checkpoint-000000000001-*.json"))) == 1
