"""Signed checkpoints in a directory, written on demand and by beat, and verify_audit held against them."""

from __future__ import annotations

import base64
import json
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings as django_settings

from approvals.models import AuditEvent
from approvals.services.audit import append_event, event_hash
from approvals.services.audit_checkpoints import SIGNING_CONTEXT, Checkpoint, checkpoint_sign
from approvals.services.audit_keys import check_configuration, fingerprint
from approvals.tasks import write_audit_checkpoint
from tests.fixtures_audit import legacy_sha256, rewrite_chain, tampering, verify, write_key_pair

pytestmark = pytest.mark.django_db


def append(count: int) -> list[AuditEvent]:
    return [append_event(actor="alice", action="version.edit", payload={"n": n}) for n in range(count)]


def files(folder) -> list:
    return sorted(folder.glob("checkpoint-*.json"))


def to_mallory(event: AuditEvent) -> None:
    event.actor = "mallory"


def test_audit_checkpoint_writes_a_signed_read_only_file_of_the_newest_event(checkpoint_dir, signing_keys):
    events = append(3)

    code, out, _ = verify("audit_checkpoint")

    assert code == 0
    [path] = files(checkpoint_dir)
    assert path.name.startswith("checkpoint-000000000003-")
    assert f"Checkpoint written: {path}" in out
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    document = json.loads(path.read_text())
    body = document["checkpoint"]
    assert (body["seq"], body["hash"], body["key_id"]) == (3, events[-1].hash, "test")
    # The signature checks with the public key alone, over the documented bytes.
    public = serialization.load_pem_public_key(signing_keys[1].read_bytes())
    signed = SIGNING_CONTEXT + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    public.verify(base64.b64decode(document["signature"]), signed)


def test_a_second_checkpoint_is_a_new_file_and_the_first_stays_as_it_was(checkpoint_dir):
    append(2)
    verify("audit_checkpoint")
    [first] = files(checkpoint_dir)
    content = first.read_bytes()
    append(1)

    verify("audit_checkpoint")

    assert [p.name[:23] for p in files(checkpoint_dir)] == ["checkpoint-000000000002", "checkpoint-000000000003"]
    assert first.read_bytes() == content


def test_verify_says_which_checkpoints_the_log_matched(checkpoint_dir):
    append(3)
    verify("audit_checkpoint")
    append(2)
    verify("audit_checkpoint")

    code, out, err = verify()

    assert code == 0, err
    assert out.splitlines()[0] == "OK 5 events"
    assert f"checkpoints: 2 match the log (directory {checkpoint_dir})" in out
    assert "the newest names event #5" in out


def test_a_cut_off_end_is_found_against_the_newest_checkpoint(checkpoint_dir):
    append(5)
    verify("audit_checkpoint")
    with tampering() as cur:
        cur.execute("DELETE FROM approvals_auditevent WHERE seq > 3")

    code, _, err = verify()

    assert code == 1
    assert "names event #5, but the log ends at #3: events were cut off its end" in err
    assert AuditEvent.objects.count() == 3


def test_a_whole_chain_rewritten_with_the_hmac_key_is_found_by_the_checkpoint(checkpoint_dir):
    append(5)
    verify("audit_checkpoint")

    # An intruder with the database and the HMAC key, but not the signing key.
    rewrite_chain(2, to_mallory, event_hash)

    code, _, err = verify()
    assert code == 1
    assert "names event #5 with another hash than the log has: the log was rewritten up to there" in err
    assert "FAILED after checking 5 events" in err


def test_a_chain_rewritten_as_unkeyed_from_the_start_is_found_by_the_checkpoint(checkpoint_dir):
    append(4)
    verify("audit_checkpoint")

    def unkey(event):
        event.key_id = ""
        return legacy_sha256(event)

    # Without any key: #1 edited, every event rehashed the pre-key way.
    rewrite_chain(1, to_mallory, unkey)

    code, _, err = verify()
    assert code == 1
    assert "names event #4 with another hash" in err


def test_an_event_removed_before_a_checkpoint_is_found_by_the_chain(checkpoint_dir):
    append(4)
    verify("audit_checkpoint")
    with tampering() as cur:
        cur.execute("DELETE FROM approvals_auditevent WHERE seq = 2")

    code, _, err = verify()
    assert code == 1
    assert "event #3: expected #2 here; events were removed or reordered" in err


def test_a_checkpoint_signed_with_another_key_is_called_forged(checkpoint_dir):
    append(2)
    checkpoint_dir.mkdir()
    stranger = Ed25519PrivateKey.generate()
    forged = Checkpoint(
        seq=2,
        hash="f" * 64,
        key_id="test",
        created_at="2030-01-01T00:00:00+00:00",
        signer=fingerprint(stranger.public_key()),
    )
    (checkpoint_dir / "checkpoint-000000000002-20300101T000000000000Z.json").write_bytes(
        checkpoint_sign(forged, stranger)
    )

    code, _, err = verify()
    assert code == 1
    assert "which is not a configured verify key; it is forged" in err


def test_an_edited_checkpoint_no_longer_verifies(checkpoint_dir):
    append(3)
    verify("audit_checkpoint")
    [path] = files(checkpoint_dir)
    document = json.loads(path.read_text())
    document["checkpoint"]["seq"] = 2
    path.chmod(0o644)
    path.write_text(json.dumps(document))

    code, _, err = verify()
    assert code == 1
    assert "its signature does not verify; it is forged or was altered" in err


def test_an_older_checkpoint_copied_under_a_newer_name_is_found(checkpoint_dir):
    append(2)
    verify("audit_checkpoint")
    [older] = files(checkpoint_dir)
    (checkpoint_dir / "checkpoint-000000000009-20300101T000000000000Z.json").write_bytes(older.read_bytes())

    code, _, err = verify()
    assert code == 1
    assert "its name and its content name different events" in err


def test_beat_writes_a_checkpoint_only_when_the_log_has_grown(checkpoint_dir):
    assert django_settings.CELERY_BEAT_SCHEDULE["write-audit-checkpoint"]["task"] == (
        "approvals.tasks.write_audit_checkpoint"
    )
    assert write_audit_checkpoint() == 0  # an empty log: nothing to vouch for
    append(2)

    assert write_audit_checkpoint() == 1
    assert write_audit_checkpoint() == 0
    append(1)
    assert write_audit_checkpoint() == 1
    assert [p.name[:23] for p in files(checkpoint_dir)] == ["checkpoint-000000000002", "checkpoint-000000000003"]


def test_without_a_sink_audit_checkpoint_says_what_to_set_and_verify_warns():
    append(1)

    code, _, err = verify("audit_checkpoint")
    assert code == 1
    assert "set AUDIT_CHECKPOINT_DIR or AUDIT_CHECKPOINT_S3_BUCKET" in err

    code, out, err = verify()
    assert (code, out) == (0, "OK 1 events\n")
    assert "warning: no checkpoint sink is configured" in err


def test_an_empty_log_gets_no_checkpoint(checkpoint_dir):
    code, out, _ = verify("audit_checkpoint")
    assert code == 0
    assert "The audit log is empty" in out
    assert files(checkpoint_dir) == []


def test_a_sink_without_a_signing_key_is_refused_by_the_command_and_the_system_check(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    settings.AUDIT_SIGNING_KEY_FILE = ""
    append(1)

    code, _, err = verify("audit_checkpoint")
    assert code == 1
    assert "set AUDIT_SIGNING_KEY_FILE" in err
    assert [e.id for e in check_configuration()] == ["approvals.E101"]
    assert not (tmp_path / "checkpoints").exists()


def test_checkpoints_signed_with_a_retired_key_verify_while_its_public_key_is_listed(
    settings, checkpoint_dir, signing_keys, tmp_path
):
    append(2)
    verify("audit_checkpoint")
    new_private, new_public = write_key_pair(tmp_path, "new-signing")
    settings.AUDIT_SIGNING_KEY_FILE = str(new_private)
    # The verify file lists the new public key and the retired one.
    both = tmp_path / "verify-keys.pem"
    both.write_bytes(new_public.read_bytes() + signing_keys[1].read_bytes())
    settings.AUDIT_VERIFY_KEY_FILE = str(both)
    append(1)
    verify("audit_checkpoint")

    code, out, err = verify()
    assert code == 0, err
    assert "checkpoints: 2 match the log" in out

    settings.AUDIT_VERIFY_KEY_FILE = ""  # only the new key, derived from the signing key
    code, _, err = verify()
    assert code == 1
    assert "is not a configured verify key" in err
