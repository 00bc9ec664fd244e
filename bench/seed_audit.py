"""Fill the audit log up to N events with a valid hash chain, in bulk, then VACUUM ANALYZE.

`python -m bench.seed_audit --events 200000`, after the sync step (whose events
it continues). Events go in with COPY; hashes are computed in Python with
approvals.services.audit.event_hash, so `verify_chain` accepts the result — checked here.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import timedelta

from bench.common import exit_on_sigterm, progress, setup_django

ACTORS = ("alice", "bob", "carol", "dave", "erin")
# The version whose page the pages benchmark opens gets a realistic history of this many events.
HISTORY_OF_PAGE_VERSION = 40


def page_version() -> tuple[str, str]:
    """The (model_id, version_name) the pages benchmark shows: a Pending version of a mid-registry model."""
    return "model-bench0001000", "1.0.49"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    exit_on_sigterm()
    setup_django()
    from django.db import connection
    from django.utils import timezone

    from approvals.models import AuditEvent, ModelVersion
    from approvals.services import audit

    started = time.monotonic()
    keys = audit.current_hmac_keys()  # keyed like the events the sync wrote (AUDIT_HMAC_KEYS, bench/common.py)
    last = AuditEvent.objects.order_by("-seq").only("seq", "hash").first()
    seq, prev = (last.seq, last.hash) if last else (0, audit.GENESIS_HASH)
    missing = args.events - seq
    if missing <= 0:
        progress(f"audit: already {seq} events")
        return
    versions = list(
        ModelVersion.objects.values_list("workspace__workspace_id", "model__model_id", "model__name", "version_name")
    )
    by_key = {(v[1], v[3]): v for v in versions}
    featured = by_key[page_version()]
    rng = random.Random(8)
    start = timezone.now() - timedelta(milliseconds=10 * missing)
    # No foreign keys here: every column is named like its attribute.
    columns = [f.column for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    progress(f"audit: writing {missing:,} events after #{seq}")
    with connection.cursor() as cursor:
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with cursor.cursor.copy(f"COPY approvals_auditevent ({names}) FROM STDIN") as stream:
            for i in range(missing):
                seq += 1
                workspace_id, model_id, model_name, version_name = (
                    featured if i % (missing // HISTORY_OF_PAGE_VERSION) == 0 else rng.choice(versions)
                )
                kind = rng.random()
                if kind < 0.45:
                    actor, action = rng.choice(ACTORS), "version.edited"
                    payload = {
                        "fields": {"VersionDescription": [f"before {i}", f"after {i}"]},
                        "revision": rng.randint(1, 9),
                    }
                elif kind < 0.55:
                    actor, action = rng.choice(ACTORS), rng.choice(("version.approved", "version.rejected"))
                    payload = {
                        "fields": {"ApprovalStatus": ["Pending", action.split(".")[1].title()]},
                        "revision": 1,
                        "reason": "benchmark decision",
                    }
                elif kind < 0.95:
                    actor, action = "system", "push.done"
                    payload = {"revision": rng.randint(1, 9), "request_id": f"BENCH-{i:08d}"}
                else:
                    actor, action = "PAI", "pai.changed"
                    payload = {"fields": {"Metrics": [{}, {"auc": round(rng.random(), 4)}]}}
                event = AuditEvent(
                    seq=seq,
                    created_at=start + timedelta(milliseconds=10 * i),
                    actor=actor,
                    action=action,
                    workspace_id=workspace_id,
                    model_id=model_id,
                    model_name=model_name,
                    version_name=version_name,
                    payload=payload,
                    client_ip="127.0.0.1" if actor in ACTORS else None,
                    prev_hash=prev,
                    key_id=keys.current_id,
                )
                event.hash = prev = audit.event_hash(event, keys=keys)
                stream.write_row([json.dumps(payload) if c == "payload" else getattr(event, c) for c in columns])
    progress(f"audit: written in {time.monotonic() - started:.1f}s; verifying the whole chain")
    report = audit.verify_chain()
    if not report.ok or report.checked != args.events:
        raise SystemExit(f"the seeded chain does not verify: {report.checked} checked, {report.problems[:3]}")
    with connection.cursor() as cursor:
        # What autovacuum would do on its own after a bulk load: fresh statistics and a visibility map.
        cursor.execute("VACUUM ANALYZE")
    progress(f"audit: {report.checked:,} events, chain verified, database vacuumed and analyzed")


if __name__ == "__main__":
    main()
