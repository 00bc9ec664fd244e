"""Benchmarks 2, 4 and the worker's half of 5: push throughput, edit-to-PAI latency, worker memory.

`python -m bench.push --out-dir DIR`, on the bench database (emptied here) and the
bench Redis DB. The emulator runs in this process (its Python API) with a small
registry, so the time each update landed in "PAI" is read from its store, not
polled over HTTP; the worker is a real `celery worker -P threads -c 8` process.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import redis

from bench.common import (
    EMULATOR_KEY_ID,
    EMULATOR_KEY_SECRET,
    ROOT,
    Section,
    broker_url,
    cpu_seconds,
    database_url,
    die_with_parent,
    django_env,
    exit_on_sigterm,
    ms,
    percentile,
    progress,
    setup_django,
    status_kib,
    verdict,
)
from bench.sync import WORKSPACES

REGISTRY_SIZE = 2_000  # the emulator rewrites its data file on every write: keep it small here
EDITS = 2_000
LATENCY_MS = 50
CONCURRENCY = 8
E2E_EDITS = 100
THROUGHPUT_TARGET, E2E_P50_TARGET, E2E_P99_TARGET = 0.8, 0.150, 0.500
DEFAULT, PERSISTENT = "default settings", "persistent DB connections"
# PAI's rate limit per AccessKey (the emulator's token bucket), and the workers pacing themselves to it.
RATE_LIMIT = 20  # requests a second; a push is two, so at most 10 pushes a second
LIMITED_EDITS = 600  # a minute at that rate
LIMITED_TARGET, THROTTLED_TARGET = 0.9, 0.02


class Landed:
    """When each update reached the emulator's store (durable), by (model id, version name)."""

    def __init__(self, store: Any) -> None:
        self._lock = threading.Lock()
        self.reset()
        original = store.update_version

        def update_version(model_id: str, version_name: str, body: Any) -> None:
            original(model_id, version_name, body)
            with self._lock:
                self.times[(model_id, version_name)] = time.monotonic()
                self.count += 1

        store.update_version = update_version

    def reset(self) -> None:
        with self._lock:
            self.times: dict[tuple[str, str], float] = {}
            self.count = 0


def start_worker(log_path: Path, emulator_url: str, database: str, **extra: str) -> subprocess.Popen:
    # LOG_LEVEL as deployed (INFO): a log line per PAI request is part of the cost.
    env = django_env(PAI_ENDPOINT=emulator_url, LOG_LEVEL="INFO", DATABASE_URL=database, **extra)
    command = [sys.executable, "-m", "celery", "-A", "registry_ui", "worker", "-P", "threads", "-c", str(CONCURRENCY)]
    command += ["-n", f"bench-{os.getpid()}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    command += ["-l", "INFO"]  # as `make run` starts it: a log line per task is part of the cost
    with log_path.open("wb") as log:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent
        )


def profile_worker(pid: int) -> subprocess.Popen | None:
    """With BENCH_PROFILE_WORKER=1, sample the worker's busy threads during the throughput run."""
    if os.environ.get("BENCH_PROFILE_WORKER") != "1":
        return None
    out = ROOT / "bench" / "profiles" / "worker.txt"
    out.parent.mkdir(exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    command = [str(spy), "record", "--pid", str(pid), "--threads", "--format", "raw", "-r", "100"]
    return subprocess.Popen([*command, "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)


def wait_ready(worker: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if " ready." in log_path.read_text(errors="replace"):
            return
        if worker.poll() is not None:
            break
        time.sleep(0.02)
    raise SystemExit(f"the worker did not start:\n{log_path.read_text(errors='replace')[-3000:]}")


def wait_until(predicate, timeout: float, what: str, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise SystemExit(f"timed out after {timeout:.0f}s waiting for {what}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out-dir", type=Path, required=True)
    args = parser.parse_args()
    exit_on_sigterm()
    setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.db.models import Count, F

    from approvals.models import Membership, ModelVersion, PushState, Workspace
    from approvals.pai.client import PaiClient, credentials
    from approvals.pai.emulator import EmulatorServer
    from approvals.permissions import EDITOR
    from approvals.services.versions import version_edit
    from approvals.sync import sync_workspace
    from registry_ui.celery import app

    with connection.cursor() as cursor:
        # The audit log refuses TRUNCATE (migration 0011) by a trigger; this is the bench's own
        # database, emptied for the run: triggers off for this one statement (superuser only).
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "TRUNCATE approvals_change, approvals_approval, approvals_modelversion, approvals_registeredmodel, "
            "approvals_auditevent, approvals_workspace RESTART IDENTITY CASCADE"
        )
        cursor.execute("RESET session_replication_role")
    app.control.purge()
    emulator = EmulatorServer(
        data_path=args.out_dir / "pai-push.json",
        access_keys={EMULATOR_KEY_ID: EMULATOR_KEY_SECRET},
        seed_size=REGISTRY_SIZE,
        reset=True,
    ).start()
    worker: subprocess.Popen | None = None
    try:
        client = PaiClient(endpoint=emulator.url, credentials=credentials(EMULATOR_KEY_ID, EMULATOR_KEY_SECRET))
        for workspace_id in WORKSPACES:
            sync_workspace(
                workspace=Workspace.objects.create(name=workspace_id, workspace_id=workspace_id), client=client
            )
        emulator.faults.update({"latency_ms": LATENCY_MS})
        landed = Landed(emulator.store)
        editor = get_user_model().objects.create_user("bench-editor", password="bench-password-1")
        Membership.objects.get_or_create(user=editor, role=EDITOR)
        versions = list(ModelVersion.objects.select_related("model").order_by("pk")[:EDITS])
        if len(versions) < EDITS:
            raise SystemExit(f"only {len(versions)} versions to edit")

        # ---- 2. throughput: every edit queued before the worker starts -----------------------
        limit = CONCURRENCY / (2 * LATENCY_MS / 1000)

        def throughput_run(
            label: str, database_query: str, edits: int = EDITS, **worker_env: str
        ) -> tuple[subprocess.Popen, dict[str, float]]:
            """Queue `edits` edits, start a worker, time it until PAI holds every one; the worker is left running."""
            progress(f"push ({label}): saving {edits:,} edits (each enqueues its push in Redis on commit)")
            started = time.perf_counter()
            for i, version in enumerate(versions[:edits]):
                version.refresh_from_db(fields=["revision"])
                version_edit(
                    version_id=version.pk,
                    user=editor,
                    values={"VersionDescription": f"bench throughput edit {i} ({label})"},
                    base_revision=version.revision,
                )
            save_seconds = time.perf_counter() - started
            broker = redis.Redis.from_url(broker_url())
            queued = broker.llen("celery")  # Celery's default queue, a Redis list
            broker.close()
            progress(f"push ({label}): saved in {save_seconds:.1f}s, {queued:,} tasks queued; starting the worker")
            landed.reset()
            log_path = args.out_dir / f"worker-{label.split()[0]}.log"
            worker = start_worker(log_path, emulator.url, database_url() + database_query, **worker_env)
            wait_ready(worker, log_path)
            spy = profile_worker(worker.pid)
            stats0 = emulator.injector.stats()
            t0, cpu0, emulator_cpu0 = time.monotonic(), cpu_seconds(worker.pid), time.process_time()
            wait_until(lambda: landed.count >= edits, timeout=240, what=f"{edits} updates in the emulator", every=0.05)
            t_landed, emulator_cpu = max(landed.times.values()), time.process_time() - emulator_cpu0
            wait_until(
                lambda: not ModelVersion.objects.filter(pushed_revision__lt=F("revision")).exists(),
                timeout=60,
                what="every push recorded",
            )
            t_done, cpu1 = time.monotonic(), cpu_seconds(worker.pid)
            if spy is not None:
                spy.send_signal(signal.SIGINT)  # py-spy writes its profile on SIGINT
                spy.wait(30)
            stats1 = emulator.injector.stats()
            states = dict(ModelVersion.objects.values_list("push_state").annotate(n=Count("id")))
            if states.get(PushState.DONE, 0) != ModelVersion.objects.count():
                raise SystemExit(f"not every push is done: {states}")
            wrong = [
                v.version_name
                for i, v in enumerate(versions[:edits])
                if emulator.store.get_version(v.model.model_id, v.version_name)["VersionDescription"]
                != f"bench throughput edit {i} ({label})"
            ]
            if wrong:
                raise SystemExit(f"{len(wrong)} versions do not hold their edit in the emulator, e.g. {wrong[:3]}")
            requests_sent = sum(stats1["requests"].values()) - sum(stats0["requests"].values())
            throttled = sum(n for k, n in stats1["responses"].items() if k.startswith("429")) - sum(
                n for k, n in stats0["responses"].items() if k.startswith("429")
            )
            rate = edits / (t_landed - t0)
            figures = {
                "rate": rate,
                "ratio": rate / limit,
                "seconds": t_landed - t0,
                "recorded": t_done - t0,
                "cpu_ms_per_push": (cpu1 - cpu0) / edits * 1000,
                "emulator_cpu_ms_per_push": emulator_cpu / edits * 1000,
                "saves_per_second": edits / save_seconds,
                "hwm": status_kib(worker.pid, "VmHWM"),
                "requests": requests_sent,
                "throttled": throttled,
                "throttled_share": throttled / requests_sent if requests_sent else 0.0,
            }
            ceiling = RATE_LIMIT / 2 if worker_env else limit  # paced: PAI's limit, two requests a push
            progress(
                f"push ({label}): {rate:.1f} pushes/s ({rate / ceiling:.2f} of the limit), "
                f"{figures['cpu_ms_per_push']:.1f} ms worker CPU each"
            )
            return worker, figures

        runs = {}
        # As configured by default: Django closes a task's database connection when it ends.
        worker, runs[DEFAULT] = throughput_run(DEFAULT, "")
        stop_worker(worker)
        # The same with persistent connections, which DATABASE_URL can ask for without a code change.
        worker, runs[PERSISTENT] = throughput_run(PERSISTENT, "?conn_max_age=300&conn_health_checks=true")
        stop_worker(worker)
        worker = None

        def row(name: str, key: str, fmt: str, target: str = "") -> list[str]:
            return [name, *(fmt.format(runs[label][key]) for label in runs), target]

        best = max(figures["ratio"] for figures in runs.values())
        throughput = Section(
            title=f"2. Push throughput: {EDITS:,} queued edits, Redis, worker -P threads -c {CONCURRENCY}, "
            f"emulator +{LATENCY_MS} ms per request",
            columns=["figure", *runs, "target"],
            rows=[
                row("pushes per second", "rate", "{:.1f}"),
                row(
                    f"ratio to the limit ({CONCURRENCY} ÷ (2 × {LATENCY_MS} ms) = {limit:.0f}/s)",
                    "ratio",
                    "{:.2f}",
                    f"≥ {THROUGHPUT_TARGET}: {verdict(best >= THROUGHPUT_TARGET)}",
                ),
                row("time from worker ready to the last update in PAI (s)", "seconds", "{:.1f}"),
                row("… to the last push recorded in the database (s)", "recorded", "{:.1f}"),
                row("worker CPU per push, utime + stime (ms)", "cpu_ms_per_push", "{:.1f}"),
                row("emulator CPU per push (ms)", "emulator_cpu_ms_per_push", "{:.1f}"),
                row("saving the edits beforehand (web side, sequential, edits/s)", "saves_per_second", "{:.0f}"),
            ],
            notes=[
                "Every edit was saved (services.version_edit: Change, audit event, push enqueued on commit) "
                "before the worker started; the clock starts when the worker logs `ready.` and stops when the "
                f"emulator holds the last one. A registry of {REGISTRY_SIZE:,} versions, in this process's "
                "emulator; every push reads (GetModelVersion) then writes (UpdateModelVersion), each answered "
                "after the added latency. All pushes ended `done` and the emulator holds every edit (checked).",
                f"`{PERSISTENT}`: the worker's DATABASE_URL ends in `?conn_max_age=300&conn_health_checks=true`, "
                "so each of its threads keeps its PostgreSQL connection instead of opening one per task.",
            ],
            figures={"runs": runs},
        )
        throughput.save(args.out_dir / "push_throughput.json")

        # ---- 2b. at PAI's rate limit: the emulator throttles, the workers pace themselves -------
        emulator.rate_limiter.configure(RATE_LIMIT)  # burst = the rate, as PAI's buckets
        worker, paced = throughput_run(
            "paced",
            "",
            LIMITED_EDITS,
            PAI_REQUESTS_PER_SECOND=str(RATE_LIMIT),
            PAI_REQUESTS_BURST="1",
        )
        stop_worker(worker)
        worker = None
        emulator.rate_limiter.configure(0)
        push_limit = RATE_LIMIT / 2
        paced_ratio = paced["rate"] / push_limit
        limited = Section(
            title=f"2b. Push throughput at PAI's rate limit: {LIMITED_EDITS} queued edits, emulator limited to "
            f"{RATE_LIMIT} requests/s per AccessKey (+{LATENCY_MS} ms), workers paced to it through Redis",
            columns=["figure", "value", "target"],
            rows=[
                ["pushes per second", f"{paced['rate']:.2f}", ""],
                [
                    f"ratio to the limit ({RATE_LIMIT} requests/s ÷ 2 requests a push = {push_limit:.0f}/s)",
                    f"{paced_ratio:.2f}",
                    f"≥ {LIMITED_TARGET}: {verdict(paced_ratio >= LIMITED_TARGET)}",
                ],
                [
                    "throttled answers (429 Throttling.User) / requests",
                    f"{paced['throttled']} / {paced['requests']} = {paced['throttled_share']:.2%}",
                    f"< {THROTTLED_TARGET:.0%}: {verdict(paced['throttled_share'] < THROTTLED_TARGET)}",
                ],
                ["worker CPU per push, utime + stime (ms)", f"{paced['cpu_ms_per_push']:.1f}", ""],
                ["emulator CPU per push (ms)", f"{paced['emulator_cpu_ms_per_push']:.1f}", ""],
            ],
            notes=[
                f"The emulator's token bucket per AccessKey (rate {RATE_LIMIT}, burst {RATE_LIMIT}) answers past it "
                "with 429 Throttling.User and x-acs-retry-after; the worker (-P threads -c "
                f"{CONCURRENCY}) runs with PAI_REQUESTS_PER_SECOND={RATE_LIMIT} and PAI_REQUESTS_BURST=1, "
                "so its threads take their turns from one bucket in Redis (approvals/pai_pacing.py). "
                "Requests and throttled answers are counted by the emulator over the run.",
            ],
            figures={"paced": paced},
        )
        limited.save(args.out_dir / "push_limited.json")
        worker = start_worker(args.out_dir / "worker-e2e.log", emulator.url, database_url())
        wait_ready(worker, args.out_dir / "worker-e2e.log")

        # ---- 4. end to end: one edit at a time, idle workers --------------------------------
        progress(f"push: {E2E_EDITS} single edits, each awaited in PAI")
        latencies = []
        for i, version in enumerate(versions[:E2E_EDITS]):
            version.refresh_from_db(fields=["revision"])
            committed: list[float] = []
            with transaction.atomic():
                # Registered before the service's own on_commit (the enqueue): runs first, at the commit.
                transaction.on_commit(lambda committed=committed: committed.append(time.monotonic()))
                version_edit(
                    version_id=version.pk,
                    user=editor,
                    values={"VersionDescription": f"bench e2e edit {i}"},
                    base_revision=version.revision,
                )
            key = (version.model.model_id, version.version_name)
            wait_until(
                lambda key=key, since=committed[0]: landed.times.get(key, 0) > since,
                timeout=10,
                what=f"edit {i} in the emulator",
                every=0.001,
            )
            latencies.append(landed.times[key] - committed[0])
            # Idle workers for the next one: this push recorded, nothing else in flight.
            wait_until(
                lambda pk=version.pk: ModelVersion.objects.filter(pk=pk, pushed_revision=F("revision")).exists(),
                timeout=10,
                what=f"edit {i} recorded",
                every=0.005,
            )
        p50, p95, p99 = percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99)
        progress(f"push: edit to PAI p50 {ms(p50)} ms, p95 {ms(p95)} ms, p99 {ms(p99)} ms")
        e2e = Section(
            title=f"4. End to end: a saved edit until PAI holds it ({E2E_EDITS} edits, idle worker, Redis, "
            f"emulator +{LATENCY_MS} ms per request)",
            columns=[
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "max ms",
                "floor ms (read + write latency)",
                f"target p50 ≤ {E2E_P50_TARGET * 1000:.0f} ms",
                f"target p99 ≤ {E2E_P99_TARGET * 1000:.0f} ms",
            ],
            rows=[
                [
                    ms(p50),
                    ms(p95),
                    ms(p99),
                    ms(max(latencies)),
                    str(2 * LATENCY_MS),
                    verdict(p50 <= E2E_P50_TARGET),
                    verdict(p99 <= E2E_P99_TARGET),
                ]
            ],
            notes=[
                "From the commit of services.version_edit (an on_commit hook registered before the service's "
                "enqueue) to the emulator's store holding the new value (its write durable), one edit at a time.",
            ],
            figures={"p50": p50, "p95": p95, "p99": p99},
        )
        e2e.save(args.out_dir / "push_e2e.json")
        worker_hwm_after_e2e = status_kib(worker.pid, "VmHWM")
        worker_hwm_after_throughput = runs[DEFAULT]["hwm"]
        memory = Section(
            title="5. Memory: peak resident set (VmHWM)",
            columns=["process", "peak RSS", "when"],
            rows=[
                [
                    f"worker (-P threads -c {CONCURRENCY})",
                    f"{worker_hwm_after_throughput / 1024:.0f} MiB",
                    f"after {EDITS:,} pushes (throughput run)",
                ],
                [
                    f"worker (-P threads -c {CONCURRENCY})",
                    f"{worker_hwm_after_e2e / 1024:.0f} MiB",
                    f"a fresh worker after {E2E_EDITS} single pushes (end-to-end run)",
                ],
            ],
        )
        memory.save(args.out_dir / "memory.json")
    finally:
        if worker is not None:
            stop_worker(worker)
        emulator.stop()
        app.control.purge()


if __name__ == "__main__":
    main()
