"""A real worker process paced to PAI's limit: the emulator throttles per AccessKey, the
worker (PAI_REQUESTS_PER_SECOND, shared through Redis when the broker is Redis, in the
process otherwise) keeps under it, and every push completes with no throttled answer."""

from __future__ import annotations

import uuid

import pytest
import requests

from approvals import services
from approvals.models import ModelVersion, PushState
from registry_ui.celery import app
from tests.fixtures_worker import WorkerProcess, wait_for, worker_env

pytestmark = pytest.mark.django_db(transaction=True)

RATE = 5  # requests a second, PAI's and ours
EDITS = 12  # 24 requests: past the emulator's burst of 5 several times over


def paced_worker(pai_emulator, tmp_path, rate: str) -> WorkerProcess:
    env = worker_env(
        pai_emulator,
        PAI_REQUESTS_PER_SECOND=rate,
        PAI_REQUESTS_BURST="1",
        CACHE_KEY_PREFIX=f"test-{uuid.uuid4().hex[:8]}",  # a bucket of its own in a shared Redis
    )
    return WorkerProcess(tmp_path / "worker.log", env).start()


@pytest.mark.parametrize("rate", [str(RATE), ""], ids=["paced", "unpaced"])
def test_a_paced_worker_pushes_everything_without_being_throttled(
    synced_workspace, editor, pai_emulator, tmp_path, rate
):
    versions = list(ModelVersion.objects.filter(workspace=synced_workspace).order_by("pk")[:EDITS])
    assert len(versions) == EDITS
    app.control.purge()  # tasks left by earlier tests belong to rows that are gone
    for i, version in enumerate(versions):
        services.version_edit(
            version_id=version.pk,
            user=editor,
            values={"VersionDescription": f"paced {i}"},
            base_revision=version.revision,
        )
    limit = requests.put(f"{pai_emulator.url}/_emulator/rate-limit", json={"rate": RATE, "burst": RATE}, timeout=5)
    assert limit.ok
    before = pai_emulator.injector.stats()["responses"].get("429 Throttling.User", 0)
    worker = paced_worker(pai_emulator, tmp_path, rate)
    try:

        def all_pushed():
            return all(
                v.push_state == PushState.DONE and v.pushed_revision == v.revision
                for v in ModelVersion.objects.filter(pk__in=[v.pk for v in versions])
            )

        wait_for(all_pushed, timeout=60, what="every push done")
    finally:
        worker.stop()
    for i, version in enumerate(versions):
        held = pai_emulator.store.get_version(version.model.model_id, version.version_name)
        assert held["VersionDescription"] == f"paced {i}"
    throttled = pai_emulator.injector.stats()["responses"].get("429 Throttling.User", 0) - before
    if rate:
        assert throttled <= 1, f"{throttled} throttled answers while paced"
    else:
        # The same pushes unpaced run into the limit: what the pacing is for.
        assert throttled > 0
