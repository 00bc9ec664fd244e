"""The audit stream: every event to another system, at least once, in order, with its seq and hash.

Real receivers on loopback: a Splunk HEC-shaped HTTP server and a syslog TCP server
that parses RFC 5424 messages framed by octet counting (tests/fixtures_receivers.py).
"""

from __future__ import annotations

import json
import time

import pytest

from approvals.models import AuditEvent, DeliveryAttempt, OutboxMessage
from approvals.services.audit_stream import sls_body, stream_deliver
from tests.factories import make_event, make_version
from tests.fixtures_receivers import HecReceiver, SyslogReceiver, self_signed_tls
from tests.fixtures_worker import wait_for

pytestmark = pytest.mark.django_db
TOKEN = "hec-token-0f6c2b8e-4a1d-4c7e-9f3a-2d5b6e7f8a9b"


@pytest.fixture(autouse=True)
def quick_retries(settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 0.05
    settings.NOTIFY_RETRY_MAX_DELAY_SECONDS = 1
    settings.NOTIFY_TIMEOUT_SECONDS = 2


@pytest.fixture
def hec(settings):
    receiver = HecReceiver(TOKEN).start()
    settings.AUDIT_STREAM_URL, settings.AUDIT_STREAM_TOKEN, settings.AUDIT_STREAM_FORMAT = receiver.url, TOKEN, "hec"
    yield receiver
    receiver.stop()


@pytest.fixture
def syslog(settings):
    receiver = SyslogReceiver().start()
    settings.AUDIT_SYSLOG_ADDRESS = f"127.0.0.1:{receiver.port}"
    yield receiver
    receiver.stop()


def drain(sink: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while OutboxMessage.objects.filter(sink=sink, state="pending").exists():
        assert time.monotonic() < deadline, f"the {sink} sink was not drained in time"
        outcome = stream_deliver(sink=sink)
        if outcome.retry_in:
            time.sleep(min(outcome.retry_in, 0.3))


def test_every_event_is_written_for_every_sink_in_its_transaction(hec, syslog):
    event = make_event(actor="abe", action="token.created", payload={"name": "ci"})
    rows = OutboxMessage.objects.filter(event=event)
    assert sorted(rows.values_list("sink", flat=True)) == ["http", "syslog"]
    assert {r.seq for r in rows} == {event.seq}


def test_no_sink_configured_writes_no_row():
    make_event(actor="abe", action="token.created")
    assert not OutboxMessage.objects.exists()


def test_hec_receives_each_event_with_its_seq_hash_and_key_id(hec, settings):
    settings.AUDIT_STREAM_BATCH = 2
    version = make_version()
    events = [make_event(version, actor="abe", action="version.edited", payload={"n": n}) for n in range(5)]
    drain("http")
    assert hec.seqs() == [e.seq for e in events]
    first = hec.events[0]
    assert first["sourcetype"] == "_json" and first["source"] == "pai-model-review"
    assert first["event"]["hash"] == events[0].hash and first["event"]["prev_hash"] == events[0].prev_hash
    assert first["event"]["key_id"] == events[0].key_id and first["event"]["payload"] == {"n": 0}
    assert abs(first["time"] - events[0].created_at.timestamp()) < 0.001
    assert DeliveryAttempt.objects.filter(sink="http", ok=True).count() == 3  # batches of 2, 2, 1


def test_a_receiver_failing_in_the_middle_blocks_what_follows_and_nothing_is_lost_or_reordered(hec, settings):
    settings.AUDIT_STREAM_BATCH = 2
    hec.fail_requests = {2, 3}
    events = [make_event(actor="abe", action="token.created", payload={"n": n}) for n in range(6)]
    outcome = stream_deliver(sink="http")
    assert outcome.sent == 2 and outcome.retry_in is not None  # the second batch failed: it stopped there
    assert hec.seqs() == [e.seq for e in events[:2]]
    assert OutboxMessage.objects.filter(sink="http", state="pending").count() == 4
    drain("http")
    seqs = hec.seqs()
    assert seqs == sorted(seqs) and seqs == [e.seq for e in events]  # in order, once each, no gap
    failures = DeliveryAttempt.objects.filter(sink="http", ok=False)
    assert [a.status_code for a in failures] == [503, 503]


def test_a_wrong_token_is_a_failed_attempt_that_never_shows_the_token(hec, settings):
    settings.AUDIT_STREAM_TOKEN = "wrong-token-value-123456"
    make_event(actor="abe", action="token.created")
    stream_deliver(sink="http")
    attempt = DeliveryAttempt.objects.get(sink="http")
    assert not attempt.ok and attempt.status_code == 401
    assert "wrong-token-value-123456" not in attempt.error


def test_a_plain_http_stream_url_not_listed_is_refused(hec, settings):
    settings.NOTIFY_ALLOWED_URLS = []
    make_event(actor="abe", action="token.created")
    stream_deliver(sink="http")
    attempt = DeliveryAttempt.objects.get(sink="http")
    assert not attempt.ok and "https" in attempt.error and hec.requests == 0


def test_syslog_receives_rfc5424_frames_in_order_with_structured_data(syslog):
    version = make_version()
    events = [make_event(version, actor="abe", action="version.approved", payload={"n": n}) for n in range(3)]
    drain("syslog")
    wait_for(lambda: len(syslog.seqs()) == 3, timeout=5, what="the receiver to read the frames")
    assert syslog.seqs() == [e.seq for e in events]
    message = syslog.messages[0]
    assert message["pri"] == 13 * 8 + 5 and message["app"] == "pai-model-review"
    assert message["msgid"] == "version.approved" and message["sd_id"] == "audit@32473"
    assert message["params"]["hash"] == events[0].hash and message["params"]["key_id"] == events[0].key_id
    assert message["event"]["seq"] == events[0].seq and message["event"]["model_id"] == version.model.model_id
    assert message["timestamp"].endswith("Z")


def test_syslog_down_then_up_delivers_everything_in_order(settings):
    receiver = SyslogReceiver().start()
    settings.AUDIT_SYSLOG_ADDRESS = f"127.0.0.1:{receiver.port}"
    receiver.stop()
    events = [make_event(actor="abe", action="token.created") for _ in range(3)]
    outcome = stream_deliver(sink="syslog")
    assert outcome.sent == 0 and outcome.retry_in is not None
    assert "ConnectionRefused" in DeliveryAttempt.objects.get(sink="syslog").error
    receiver = SyslogReceiver().start()
    settings.AUDIT_SYSLOG_ADDRESS = f"127.0.0.1:{receiver.port}"
    try:
        drain("syslog")
        wait_for(lambda: len(receiver.seqs()) == 3, timeout=5, what="the receiver to read the frames")
    finally:
        receiver.stop()
    assert receiver.seqs() == [e.seq for e in events]


def test_syslog_without_tls_goes_only_to_a_listed_address(syslog, settings):
    settings.NOTIFY_ALLOWED_URLS = ["http://127.0.0.1:*"]
    make_event(actor="abe", action="token.created")
    stream_deliver(sink="syslog")
    assert "TLS" in DeliveryAttempt.objects.get(sink="syslog").error and not syslog.messages


def test_the_sls_shape_carries_string_values_with_the_seq():
    event = make_event(actor="abe", action="token.created", payload={"name": "ci"})
    body = json.loads(sls_body([AuditEvent.objects.get(pk=event.pk)]))
    log = body["__logs__"][0]
    assert body["__topic__"] == "audit" and all(isinstance(v, str) for v in log.values())
    assert log["seq"] == str(event.seq) and log["hash"] == event.hash and json.loads(log["payload"]) == {"name": "ci"}


def test_syslog_over_tls_checks_the_receivers_certificate(settings, tmp_path):
    context, ca_file = self_signed_tls(tmp_path)
    receiver = SyslogReceiver(tls=context).start()
    settings.NOTIFY_ALLOWED_URLS = []  # TLS needs no listing
    settings.AUDIT_SYSLOG_ADDRESS = f"tls://127.0.0.1:{receiver.port}"
    try:
        event = make_event(actor="abe", action="token.created")
        outcome = stream_deliver(sink="syslog")  # the system's CAs do not know this certificate
        assert outcome.sent == 0 and "CERTIFICATE_VERIFY_FAILED" in DeliveryAttempt.objects.get(sink="syslog").error
        settings.AUDIT_SYSLOG_CA_FILE = ca_file
        drain("syslog")
        wait_for(lambda: receiver.seqs() == [event.seq], timeout=5, what="the TLS receiver to read the frame")
    finally:
        receiver.stop()
    assert receiver.messages[0]["params"]["hash"] == event.hash
