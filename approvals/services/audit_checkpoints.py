"""Signed checkpoints of the audit log, kept outside the database.

A checkpoint names the newest event's seq, hash and key id at a time, signed with
an Ed25519 key that neither the database nor the HMAC key gives: a log cut short
of a checkpoint's seq, or rewritten (even with the HMAC key) before it, no longer
matches. Events after the newest checkpoint are protected by the HMAC only, which
is why beat writes one every AUDIT_CHECKPOINT_INTERVAL_SECONDS.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass, field

from botocore.exceptions import BotoCoreError, ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from approvals.errors import ApplicationError
from approvals.models import AuditEvent
from approvals.services import audit_keys
from approvals.services.audit_sinks import MAX_CHECKPOINT_BYTES, Sink, checkpoint_name, configured_sinks, name_seq

FORMAT = "pai-review-audit-checkpoint/1"
# Signed before the body, so a signature over anything else never verifies as a checkpoint.
SIGNING_CONTEXT = b"pai-review audit checkpoint v1\n"
SINK_ERRORS = (OSError, BotoCoreError, ClientError)


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    key_id: str
    created_at: str
    signer: str
    format: str = FORMAT


def _signed_bytes(body: dict) -> bytes:
    return SIGNING_CONTEXT + json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def checkpoint_sign(checkpoint: Checkpoint, private_key) -> bytes:
    body = asdict(checkpoint)
    signature = base64.b64encode(private_key.sign(_signed_bytes(body))).decode()
    return json.dumps({"checkpoint": body, "signature": signature}, indent=2, sort_keys=True).encode() + b"\n"


def checkpoint_read(raw: bytes, public_keys: tuple[Ed25519PublicKey, ...]) -> tuple[Checkpoint | None, str]:
    """The checkpoint in a file's bytes if its signature holds; else None and why not."""
    if len(raw) > MAX_CHECKPOINT_BYTES:
        return None, "it is too large to be a checkpoint"
    try:
        document = json.loads(raw)
        body, signature = document["checkpoint"], base64.b64decode(document["signature"], validate=True)
        checkpoint = Checkpoint(**body)
        if checkpoint.format != FORMAT or not isinstance(checkpoint.seq, int) or checkpoint.seq < 1:
            raise ValueError
    except (ValueError, TypeError, KeyError, binascii.Error):
        return None, "it is not a readable checkpoint"
    signer = next((key for key in public_keys if audit_keys.fingerprint(key) == checkpoint.signer), None)
    if signer is None:
        return None, f"it is signed by {checkpoint.signer}, which is not a configured verify key; it is forged"
    try:
        signer.verify(signature, _signed_bytes(body))
    except InvalidSignature:
        return None, "its signature does not verify; it is forged or was altered"
    return checkpoint, ""


def checkpoint_write(*, only_if_new: bool = False, sinks: list[Sink] | None = None) -> list[str]:
    """Sign the newest event into a checkpoint in every sink; return where it went.

    `only_if_new` (beat) skips a sink that already holds a checkpoint of that seq.
    Every sink is tried; if any failed, one ApplicationError names them after.
    """
    sinks = configured_sinks() if sinks is None else sinks
    if not sinks:
        return []
    private_key = audit_keys.signing_key()
    if private_key is None:
        raise ImproperlyConfigured("A checkpoint sink is configured: set AUDIT_SIGNING_KEY_FILE to sign them.")
    newest = AuditEvent.objects.order_by("-seq").only("seq", "hash", "key_id").first()
    if newest is None:
        return []
    now = timezone.now()
    checkpoint = Checkpoint(
        seq=newest.seq,
        hash=newest.hash,
        key_id=newest.key_id,
        created_at=now.isoformat(timespec="microseconds"),
        signer=audit_keys.fingerprint(private_key.public_key()),
    )
    raw, name = checkpoint_sign(checkpoint, private_key), checkpoint_name(checkpoint.seq, now)
    written, failures = [], []
    for sink in sinks:
        try:
            if not (only_if_new and sink.has_seq(checkpoint.seq)):
                written.append(sink.write(name, raw))
        except SINK_ERRORS as exc:
            failures.append(f"{sink.describe()}: {exc}")
    if failures:
        raise ApplicationError(f"The checkpoint of event #{checkpoint.seq} was not written to " + "; ".join(failures))
    return written


@dataclass
class CheckpointReport:
    sources: list[str]
    read: int = 0
    newest: Checkpoint | None = None
    problems: list[str] = field(default_factory=list)


def checkpoints_verify(*, sinks: list[Sink] | None = None) -> CheckpointReport:
    """Read every checkpoint in every sink and hold each against the log."""
    sinks = configured_sinks() if sinks is None else sinks
    report = CheckpointReport(sources=[sink.describe() for sink in sinks])
    public_keys = audit_keys.verify_keys()
    found: list[tuple[str, Checkpoint]] = []
    for sink in sinks:
        try:
            items = list(sink.read_all())
        except SINK_ERRORS as exc:
            report.problems.append(f"{sink.describe()}: the checkpoints could not be read ({exc})")
            continue
        if items and not public_keys:
            report.problems.append("checkpoints cannot be checked: set AUDIT_VERIFY_KEY_FILE or AUDIT_SIGNING_KEY_FILE")
            return report
        for location, name, raw in items:
            checkpoint, problem = checkpoint_read(raw, public_keys)
            if checkpoint is None:
                report.problems.append(f"checkpoint {location}: {problem}")
            elif name_seq(name) != checkpoint.seq:
                report.problems.append(f"checkpoint {location}: its name and its content name different events")
            else:
                found.append((location, checkpoint))
    report.read = len(found)
    report.newest = max((c for _, c in found), key=lambda c: (c.seq, c.created_at), default=None)
    report.problems.extend(_against_the_log(found))
    return report


def _against_the_log(found: list[tuple[str, Checkpoint]]) -> list[str]:
    if not found:
        return []
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    seqs = sorted({c.seq for _, c in found})
    stored: dict[int, tuple[str, str]] = {}
    for start in range(0, len(seqs), 1000):
        rows = AuditEvent.objects.filter(seq__in=seqs[start : start + 1000]).values_list("seq", "hash", "key_id")
        stored.update({seq: (hash_, key_id) for seq, hash_, key_id in rows})
    problems, beyond = [], []
    for location, checkpoint in sorted(found, key=lambda item: -item[1].seq):
        if checkpoint.seq > last:
            beyond.append((location, checkpoint))
        elif checkpoint.seq not in stored:
            problems.append(f"checkpoint {location} names event #{checkpoint.seq}, which is no longer in the log")
        elif stored[checkpoint.seq] != (checkpoint.hash, checkpoint.key_id):
            problems.append(
                f"checkpoint {location} (of {checkpoint.created_at}) names event #{checkpoint.seq} with another "
                "hash than the log has: the log was rewritten up to there"
            )
    if beyond:
        location, checkpoint = beyond[0]
        problems.insert(
            0,
            f"checkpoint {location} (of {checkpoint.created_at}) names event #{checkpoint.seq}, but the log ends "
            f"at #{last}: events were cut off its end",
        )
    return problems
