"""The keyed chain: HMACs with keys from outside the database, rotation, and the legacy events."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from approvals.models import AuditEvent
from approvals.services.audit import GENESIS_HASH, KEYED_FIELDS, append_event, event_hash
from approvals.services.audit_keys import check_configuration, parse_hmac_keys
from tests.fixtures_audit import hmac_key, legacy_sha256, rewrite_chain, tampering, verify
from tests.production_env import manage, production_env

pytestmark = pytest.mark.django_db


def append_five() -> list[AuditEvent]:
    return [append_event(actor="alice", action="version.edit", payload={"n": n}) for n in range(1, 6)]


def insert_legacy_events(count: int) -> None:
    """Events as the code before the keyed chain stored them: no key id, a plain SHA-256."""
    prev = GENESIS_HASH
    for seq in range(1, count + 1):
        event = AuditEvent(seq=seq, created_at=timezone.now(), actor="bob", action="version.decide", prev_hash=prev)
        event.payload = {"old": seq}
        event.hash = legacy_sha256(event)
        event.save()
        prev = event.hash


def test_an_event_records_the_current_key_id_and_its_hash_is_an_hmac_with_that_key(settings):
    secret = b"k" * 32
    settings.AUDIT_HMAC_KEYS = f"now:{base64.b64encode(secret).decode()},{hmac_key('old')}"

    event = append_event(actor="alice", action="version.edit", payload={"说明": "中文"})

    stored = AuditEvent.objects.get(seq=event.seq)
    assert stored.key_id == "now"
    content = {name: getattr(stored, name) for name in KEYED_FIELDS}
    content["created_at"] = stored.created_at.isoformat(timespec="microseconds")
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    assert stored.hash == hmac.new(secret, encoded.encode(), hashlib.sha256).hexdigest()
    assert stored.hash != legacy_sha256(stored)


def test_an_edit_with_every_later_hash_recomputed_without_the_key_is_found():
    append_five()

    # The intruder changes #3 and rebuilds the chain from there with the only hash it can compute.
    def to_mallory(event):
        event.actor = "mallory"

    rewrite_chain(3, to_mallory, lambda e: hashlib.sha256(f"{e.seq}{e.actor}{e.prev_hash}".encode()).hexdigest())

    code, _, err = verify()
    assert code == 1
    assert "event #3: its content does not match its HMAC; it was edited" in err
    assert "(2 more problems after it)" in err
    assert AuditEvent.objects.get(seq=3).actor == "mallory"


def test_events_from_before_the_keyed_chain_still_verify_and_are_counted_as_unkeyed():
    insert_legacy_events(3)
    append_event(actor="alice", action="version.edit")
    append_event(actor="alice", action="version.edit")

    code, out, _ = verify()

    assert code == 0, out
    assert out.splitlines()[0] == "OK 5 events"
    assert "unkeyed: 3 events (#1 to #3)" in out
    assert list(AuditEvent.objects.order_by("seq").values_list("key_id", flat=True)) == ["", "", "", "test", "test"]
    assert AuditEvent.objects.get(seq=4).prev_hash == AuditEvent.objects.get(seq=3).hash


def test_an_edited_legacy_event_is_found():
    insert_legacy_events(3)
    with tampering() as cur:
        cur.execute("UPDATE approvals_auditevent SET actor = 'mallory' WHERE seq = 2")

    code, _, err = verify()
    assert code == 1
    assert "event #2: its content does not match its hash; it was edited" in err


def test_keyed_events_rewritten_as_unkeyed_ones_are_found():
    append_five()

    # Without the key, the intruder turns #4 and #5 into "legacy" events with plain SHA-256.
    def unkey(event):
        event.actor, event.key_id = "mallory", ""

    def unkey_rest(event):
        event.key_id = ""
        return legacy_sha256(event)

    rewrite_chain(4, unkey, unkey_rest)

    code, _, err = verify()
    assert code == 1
    assert "event #4: it is unkeyed but follows keyed events; it was rewritten" in err


def test_a_whole_log_rewritten_as_unkeyed_is_found_once_the_unkeyed_end_is_configured(settings):
    insert_legacy_events(2)
    append_five()

    def to_mallory(event):
        event.actor = "mallory"

    def unkey(event):
        event.key_id = ""
        return legacy_sha256(event)

    # Without any key: #3 edited, and it and every later event rehashed the pre-key way.
    rewrite_chain(3, to_mallory, unkey)
    code, out, _ = verify()
    assert (code, out.splitlines()[0]) == (0, "OK 7 events")  # the chain alone cannot tell
    assert "unkeyed: 7 events (#1 to #7)" in out

    settings.AUDIT_UNKEYED_UP_TO = 2
    code, _, err = verify()
    assert code == 1
    assert "event #3: it is unkeyed, but AUDIT_UNKEYED_UP_TO says only events up to #2 are; it was rewritten" in err


def test_legacy_events_up_to_the_configured_end_verify(settings):
    settings.AUDIT_UNKEYED_UP_TO = 3
    insert_legacy_events(3)
    append_event(actor="alice", action="version.edit")

    assert verify()[0] == 0


def test_keys_rotate_and_old_events_verify_with_their_old_key(settings):
    first, second = hmac_key("k1"), hmac_key("k2")
    settings.AUDIT_HMAC_KEYS = first
    append_event(actor="alice", action="version.edit")
    append_event(actor="alice", action="version.edit")
    settings.AUDIT_HMAC_KEYS = f"{second},{first}"
    append_event(actor="alice", action="version.edit")

    assert list(AuditEvent.objects.order_by("seq").values_list("key_id", flat=True)) == ["k1", "k1", "k2"]
    assert verify()[:2] == (0, "OK 3 events\n")

    settings.AUDIT_HMAC_KEYS = second
    code, _, err = verify()
    assert code == 1
    assert "event #1: it is hashed with key 'k1', which is not configured" in err
    assert "more problem" not in err


def test_an_event_moved_to_another_key_id_no_longer_verifies(settings):
    first, second = hmac_key("k1"), hmac_key("k2")
    settings.AUDIT_HMAC_KEYS = first
    append_event(actor="alice", action="version.edit")
    settings.AUDIT_HMAC_KEYS = f"{second},{first}"
    append_event(actor="alice", action="version.edit")
    with tampering() as cur:
        cur.execute("UPDATE approvals_auditevent SET key_id = 'k2' WHERE seq = 1")

    code, _, err = verify()
    assert code == 1
    assert "event #1: its content does not match its HMAC" in err


def test_without_a_key_an_append_is_refused_and_nothing_is_written(settings):
    settings.AUDIT_HMAC_KEYS = ""
    settings.AUDIT_HMAC_KEY_FILE = ""

    with pytest.raises(ImproperlyConfigured, match="AUDIT_HMAC_KEYS"):
        append_event(actor="alice", action="version.edit")
    assert AuditEvent.objects.count() == 0


def test_keys_can_come_from_a_file(settings, tmp_path):
    key_file = tmp_path / "audit-hmac-keys"
    key_file.write_text(f"# rotated 2025-01\n{hmac_key('file-key')}\n{hmac_key('older')}\n")
    settings.AUDIT_HMAC_KEYS = ""
    settings.AUDIT_HMAC_KEY_FILE = str(key_file)

    event = append_event(actor="alice", action="version.edit")

    assert event.key_id == "file-key"
    assert verify()[:2] == (0, "OK 1 events\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("k1", "each entry is id:base64secret"),
        ("bad id:" + base64.b64encode(b"x" * 32).decode(), "each entry is id:base64secret"),
        ("k1:not base64!", "is not base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "has 5 bytes; use at least 16"),
        (f"{hmac_key('k1')},{hmac_key('k1')}", "appears twice"),
        (" , ", "names no key"),
    ],
)
def test_a_malformed_key_list_is_refused_with_the_reason(text, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_hmac_keys(text, source="AUDIT_HMAC_KEYS")


def test_a_key_ring_never_shows_its_secrets():
    keys = parse_hmac_keys("k1:" + base64.b64encode(b"s3cr3t-s3cr3t-s3cr3t").decode(), source="test")
    assert "s3cr3t" not in repr(keys)
    assert base64.b64encode(b"s3cr3t-s3cr3t-s3cr3t").decode() not in repr(keys)


def test_the_system_check_refuses_production_without_a_key(settings):
    settings.DEBUG = False
    settings.AUDIT_HMAC_KEYS = ""
    assert [e.id for e in check_configuration()] == ["approvals.E101"]
    settings.AUDIT_HMAC_KEYS = hmac_key("k1")
    assert check_configuration() == []


def test_a_production_process_without_a_key_refuses_to_migrate_and_the_demo_has_one(tmp_path):
    env = production_env(tmp_path)
    env.pop("AUDIT_HMAC_KEYS")

    refused = manage(env, "check")
    assert refused.returncode != 0
    assert "The audit log needs an HMAC key that is not in the database" in refused.stderr

    assert manage({**env, "AUDIT_HMAC_KEYS": hmac_key("prod")}, "check").returncode == 0
    assert manage({**env, "DEBUG": "1"}, "check").returncode == 0


def test_event_hash_without_a_configured_key_for_the_event_says_which(settings):
    append_event(actor="alice", action="version.edit")
    settings.AUDIT_HMAC_KEYS = hmac_key("other")
    with pytest.raises(ImproperlyConfigured, match="'test' is not configured"):
        event_hash(AuditEvent.objects.get())
