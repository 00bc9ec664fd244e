"""What a settled run must show: PAI equals the dashboard, nothing accepted is lost,
every change was pushed once (or is visibly failed / in conflict), pushes never
went backwards, and the audit chain verifies. Each finding is a line of text."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F

from approvals.fields import WRITABLE_ATTRS
from approvals.models import AuditEvent, Change, ModelVersion, PushState
from approvals.pai.client import PaiClient
from approvals.services.audit import verify_chain
from approvals.sync.mapping import version_value

from .users import Entry

VISIBLE = (PushState.FAILED, PushState.CONFLICT)
# The audit event of each kind of change the dashboard makes (a change of kind `pai` is PAI's own,
# found by a sync: its `pai.changed` event may also report fields the sync did not apply).
CHANGE_ACTIONS = (
    "version.edited",
    "version.approved",
    "version.rejected",
    "version.conflict_resolved",
    "version.decision_withdrawn",
)


@dataclass
class Findings:
    mismatches: list[str] = field(default_factory=list)  # PAI differs from the dashboard
    lost: list[str] = field(default_factory=list)  # accepted, yet not in the dashboard or not in PAI
    pushes: list[str] = field(default_factory=list)  # pushed twice, never, or backwards
    audit: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def failures(self) -> list[str]:
        return self.mismatches + self.lost + self.pushes + self.audit


def key_of(version: ModelVersion) -> tuple[str, str]:
    return (version.model.model_id, version.version_name)


def unsettled(pks: list[int]) -> list[ModelVersion]:
    """Versions still owed a push that are neither failed nor in conflict (both are visible ends)."""
    return list(
        ModelVersion.objects.filter(pk__in=pks)
        .exclude(push_state__in=VISIBLE)
        .exclude(push_state=PushState.DONE, pushed_revision=F("revision"))
        .select_related("model")
    )


def check(
    *,
    pks: list[int],
    initial: dict[int, dict[str, Any]],
    journal: list[Entry],
    client: PaiClient,
    console_pks: set[int],
) -> Findings:
    """`console_pks`: versions also edited in PAI directly. Sync may take such an edit in (then the
    dashboard edit goes on top) or the push meets it first (a conflict that the harness resolved)."""
    found = Findings()
    versions = {v.pk: v for v in ModelVersion.objects.filter(pk__in=pks).select_related("model")}
    changes: dict[int, list[Change]] = defaultdict(list)
    for change in Change.objects.filter(version_id__in=pks).select_related("author").order_by("revision"):
        changes[change.version_id].append(change)

    for pk, version in versions.items():
        # The dashboard's desired state is the initial values with every accepted change replayed in order.
        replayed = dict(initial[pk])
        for change in changes[pk]:
            replayed.update({f: after for f, (_before, after) in change.fields.items() if f in replayed})
        desired = version.pai_values()
        for f, value in replayed.items():
            if desired[f] != value and pk not in console_pks:
                found.lost.append(
                    f"{key_of(version)} {f}: the dashboard holds {desired[f]!r}, its changes say {value!r}"
                )
        held = client.get_model_version(*key_of(version))
        for f in WRITABLE_ATTRS:  # UpdateModelVersion's fields and the labels
            theirs = version_value(f, held.get(f))
            if theirs != desired[f] and not _visibly_pending(version, changes[pk], f):
                found.mismatches.append(f"{key_of(version)} {f}: PAI {theirs!r}, dashboard {desired[f]!r}")
        _check_pushes(version, changes[pk], found)

    _check_journal(journal, changes, versions, found)
    _check_audit(changes, found)
    conflicts = AuditEvent.objects.filter(action="push.conflict")
    console_keys = {key_of(versions[pk]) for pk in console_pks}
    for event in conflicts:
        if (event.model_id, event.version_name) not in console_keys:
            found.pushes.append(f"{(event.model_id, event.version_name)}: a conflict nobody caused: {event.payload}")
    remote = AuditEvent.objects.filter(action="pai.changed").exclude(version_name="")
    unexplained = [e for e in remote if (e.model_id, e.version_name) not in console_keys]
    found.figures.update(
        changes=sum(len(c) for c in changes.values()),
        edits=sum(1 for cs in changes.values() for c in cs if c.kind == "edit"),
        label_edits=sum(1 for cs in changes.values() for c in cs if c.kind == "edit" and "Labels" in c.fields),
        decisions=sum(1 for cs in changes.values() for c in cs if c.kind == "decision"),
        conflicts=conflicts.count(),
        console_edits=len(console_pks),
        remote_changes_reported_by_sync=len(remote),
        remote_changes_nobody_made=len(unexplained),
        visibly_failed=sum(1 for v in versions.values() if v.push_state == PushState.FAILED),
        push_done_events=AuditEvent.objects.filter(action="push.done").count(),
        push_retrying_events=AuditEvent.objects.filter(action="push.retrying").count(),
    )
    return found


def _visibly_pending(version: ModelVersion, changes: list[Change], f: str) -> bool:
    """A field PAI lacks is acceptable only while its version is visibly failed or in conflict."""
    return version.push_state in VISIBLE and any(
        c.revision > version.pushed_revision and f in c.fields for c in changes
    )


def _check_pushes(version: ModelVersion, changes: list[Change], found: Findings) -> None:
    key = key_of(version)
    if version.push_state not in VISIBLE and version.pushed_revision != version.revision:
        found.pushes.append(
            f"{key}: stuck in {version.push_state} at r{version.pushed_revision} of r{version.revision}"
        )
    # Every successful push, oldest first: revisions only go up, and each change is marked by the first that covered it.
    done = list(
        AuditEvent.objects.filter(
            action="push.done", model_id=version.model.model_id, version_name=version.version_name
        ).order_by("seq")
    )
    revisions = [e.payload["revision"] for e in done]
    if any(b <= a for a, b in itertools.pairwise(revisions)):
        found.pushes.append(f"{key}: successful pushes went backwards or repeated: {revisions}")
    for change in changes:
        pushed = change.revision <= version.pushed_revision
        if pushed != (change.pushed_at is not None):
            found.pushes.append(
                f"{key} r{change.revision}: pushed_at {change.pushed_at} at pushed r{version.pushed_revision}"
            )
            continue
        if not pushed and version.push_state not in VISIBLE:
            found.pushes.append(f"{key} r{change.revision}: never pushed and nothing shows it")
        if pushed and change.kind != "pai":  # PAI's own change needs no push: PAI holds it
            first = next((e for e in done if e.payload["revision"] >= change.revision), None)
            if first is None:
                found.pushes.append(f"{key} r{change.revision}: marked pushed with no successful push covering it")
            elif first.payload.get("request_id", "") != change.push_request_id:
                found.pushes.append(f"{key} r{change.revision}: marked by a later push than the first to cover it")


def _check_journal(
    journal: list[Entry], changes: dict[int, list[Change]], versions: dict[int, ModelVersion], found: Findings
) -> None:
    """Every change a user was told was accepted is a Change row; resolve the unknown ones by reading back."""
    by_key = {key_of(v): pk for pk, v in versions.items()}
    counts: dict[str, int] = defaultdict(int)
    for entry in journal:
        counts[entry.outcome or "unfinished"] += 1
        pk = by_key[entry.version]
        wanted = {f: v for f, v in entry.fields.items() if f != "Reason"}
        mine = [
            c
            for c in changes[pk]
            if c.author is not None
            and c.author.username == entry.user
            and all(c.fields.get(f, [None, None])[1] == v for f, v in wanted.items())
        ]
        if entry.kind == "decision":
            mine = [c for c in mine if c.kind == "decision"]
        if entry.outcome == "accepted" and not mine:
            found.lost.append(f"{entry.version}: {entry.user}'s accepted {entry.kind} {wanted} has no Change row")
        if entry.outcome in ("refused", "stale") and mine and entry.kind == "edit":
            found.lost.append(f"{entry.version}: {entry.user}'s refused edit {wanted} was applied anyway")
        if entry.lost_answers:
            counts["answers_lost"] += 1
            counts["answers_lost_but_accepted"] += bool(mine)
    found.figures["requests_by_outcome"] = dict(counts)


def _check_audit(changes: dict[int, list[Change]], found: Findings) -> None:
    report = verify_chain()
    if not report.ok:
        found.audit.append(f"audit chain: {report.problems[0]}")
    found.figures["audit_events"] = report.checked
    n_changes = sum(1 for cs in changes.values() for c in cs if c.kind != "pai")
    n_events = AuditEvent.objects.filter(action__in=CHANGE_ACTIONS).count()
    if n_events != n_changes:
        found.audit.append(f"{n_changes} changes but {n_events} audit events of changes")
