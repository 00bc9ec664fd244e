"""A property of the push pipeline, against the live emulator: whatever the
interleaving of edits, decisions, duplicate and late task deliveries, 503s,
throttling, updates that PAI applies but answers too late, workers killed after
the call and claims that expire, PAI ends up holding the newest value of every
field, and no push of our own is ever taken for somebody else's change."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from approvals import services
from approvals.models import Change, ModelVersion, PushState
from approvals.pai_clients import client_for, reset_clients
from approvals.services import push

pytestmark = pytest.mark.django_db

# A small pool of values, so a field often goes back to a value it had before.
TEXTS = st.sampled_from(["a", "b", "c", "说明"])
SPECS = st.sampled_from([{}, {"k": 1}, {"k": 2}, {"nested": {"x": [1, 2]}}])
EDITS = st.one_of(
    st.tuples(st.just("VersionDescription"), TEXTS),
    st.tuples(st.just("Options"), st.sampled_from(["{}", '{"a":1}', '{"b":2}'])),
    st.tuples(st.just("ExtraInfo"), SPECS),
    st.tuples(st.just("TrainingSpec"), SPECS),
)
# What PAI does to the next push: nothing, 503, 429, or apply the update and answer too late.
FAULTS = st.sampled_from([None, None, "unavailable", "throttle", "stall"])
STEPS = st.one_of(
    st.tuples(st.just("edit"), EDITS),
    st.tuples(st.just("decide"), st.sampled_from(["Approved", "Rejected"])),
    st.tuples(st.just("push"), FAULTS),  # a delivery: the first, a duplicate or a late one
    st.tuples(st.just("killed"), st.none()),  # a worker dies after its call, before recording it
    st.tuples(st.just("time passes"), st.none()),  # backoff holds and dead workers' claims expire
)
STALL_SECONDS = 0.4
READ_TIMEOUT = 0.15  # below STALL_SECONDS: a stalled update reaches the client as a timeout


@contextmanager
def faults(emulator: Any, kind: str | None) -> Iterator[None]:
    rates = {"unavailable": "unavailable_rate", "throttle": "throttle_rate", "stall": "stall_rate"}
    if kind:
        setattr(emulator.faults, rates[kind], 1.0)
    try:
        yield
    finally:
        emulator.faults.unavailable_rate = emulator.faults.throttle_rate = emulator.faults.stall_rate = 0.0


class WorkerKilled(Exception):
    pass


def killed_push(version_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A push whose worker dies once PAI answered: the update is applied, nothing recorded, the claim held."""

    def die(*args: Any, **kwargs: Any) -> None:
        raise WorkerKilled

    with monkeypatch.context() as m:
        m.setattr(push, "_finish", die)
        with suppress(WorkerKilled):
            push.push_version(version_id=version_id)


def expire_claims(version_id: int) -> None:
    ModelVersion.objects.filter(pk=version_id).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def version_and_baseline(pending_version, pai_emulator):
    store = pai_emulator.store
    key = (pending_version.model.model_id, pending_version.version_name)
    with store._lock:
        remote = copy.deepcopy(store._versions[key[0]][key[1]])
    return pending_version, key, remote


# The regressions: an update PAI applied but nobody recorded (a timeout, a killed
# worker), then a newer edit to the same field, once ended in a false `conflict`.
APPLIED_UNRECORDED_THEN_EDITED = [
    ("edit", ("VersionDescription", "a")),
    ("killed", None),
    ("edit", ("VersionDescription", "b")),
]
STALLED_THEN_EDITED_BACK = [
    ("edit", ("VersionDescription", "a")),
    ("push", "stall"),
    ("edit", ("VersionDescription", "c")),
    ("time passes", None),
    ("push", None),
]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEPS, min_size=1, max_size=20))
@example(steps=APPLIED_UNRECORDED_THEN_EDITED)
@example(steps=STALLED_THEN_EDITED_BACK)
def test_any_interleaving_ends_with_pai_holding_the_newest_value_of_every_field(
    steps, version_and_baseline, editor, approver, pai_emulator, settings_override, monkeypatch
):
    version, (model_id, version_name), remote_baseline = version_and_baseline
    note(f"steps: {steps}")
    # Every example starts from the same version, in PAI and in the dashboard.
    with pai_emulator.store._lock:
        pai_emulator.store._versions[model_id][version_name] = copy.deepcopy(remote_baseline)
    with transaction.atomic():
        newest = ModelVersion.objects.get(pk=version.pk).pai_values()
        try:
            run(steps, version.pk, editor, approver, pai_emulator, monkeypatch, newest)
        finally:
            transaction.set_rollback(True)


def run(steps, version_id, editor, approver, emulator, monkeypatch, newest: dict[str, Any]) -> None:
    for action, arg in steps:
        current = ModelVersion.objects.get(pk=version_id)
        if action == "edit":
            field, value = arg
            # Once decided, the default policy keeps all but the description as approved.
            editable = current.approval_status == "Pending" or field == "VersionDescription"
            if current.pai_values()[field] != value and editable:
                services.version_edit(
                    version_id=version_id, user=editor, values={field: value}, base_revision=current.revision
                )
                newest[field] = value
        elif action == "decide":
            if current.approval_status == "Pending" and current.push_state not in services.BLOCKING_PUSH_STATES:
                services.version_decide(version_id=version_id, user=approver, status=arg, reason="property test")
                newest["ApprovalStatus"] = arg
        elif action == "push":
            with faults(emulator, arg):
                push.push_version(version_id=version_id)
        elif action == "killed":
            killed_push(version_id, monkeypatch)
        else:
            expire_claims(version_id)
        state = ModelVersion.objects.get(pk=version_id).push_state
        assert state not in (PushState.CONFLICT, PushState.FAILED), f"{state} after {action} {arg}"

    # The faults stop; the sweep and the last retries deliver what is owed.
    for _ in range(4):
        expire_claims(version_id)
        push.push_version(version_id=version_id)
    settled = ModelVersion.objects.get(pk=version_id)
    assert (settled.push_state, settled.pushed_revision) == (PushState.DONE, settled.revision)
    held = client_for().get_model_version(settled.model.model_id, settled.version_name)
    assert {f: held.get(f) for f in newest} == newest
    assert settled.pai_values() == newest
    assert not Change.objects.filter(version_id=version_id, pushed_at__isnull=True).exists()


@pytest.fixture
def settings_override(settings, pai_settings, pai_emulator):
    settings.PAI_READ_TIMEOUT = READ_TIMEOUT
    pai_emulator.faults.stall_seconds = STALL_SECONDS
    reset_clients()
    yield
    reset_clients()
