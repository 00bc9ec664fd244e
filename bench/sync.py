"""Benchmark 3: a first sync of 100,000 versions (or `--scale`) against just fetching the same pages.

Run by the runner in its own process: `python -m bench.sync --emulator URL --out FILE`.
The ratio sync / fetch is the dashboard's own cost on top of reading PAI.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import (
    EMULATOR_KEY_ID,
    EMULATOR_KEY_SECRET,
    Section,
    cpu_seconds,
    exit_on_sigterm,
    progress,
    setup_django,
    verdict,
)

WORKSPACES = ("118493", "207651", "331072")  # the emulator's synthetic registry spreads its models over these
TARGET, AGAIN_TARGET = 1.5, 1.2  # a first sync, and a re-sync that changes nothing


def fetch_everything(client, workspace_ids: tuple[str, ...]) -> tuple[float, int, int]:
    """Every page the sync reads, in the same order and page size, doing nothing with them."""
    from approvals.sync import fetch

    started = time.perf_counter()
    models = versions = 0
    for workspace_id in workspace_ids:
        for model in client.list_models(workspace_id=workspace_id, page_size=fetch.PAGE_SIZE, **fetch.LIST_ORDER):
            models += 1
            for _version in client.list_model_versions(model["ModelId"], page_size=fetch.PAGE_SIZE, **fetch.LIST_ORDER):
                versions += 1
    return time.perf_counter() - started, models, versions


def sync_all(client, workspaces) -> tuple[float, int]:
    from approvals.sync import sync_workspace

    started = time.perf_counter()
    versions = 0
    for workspace in workspaces:
        versions += sync_workspace(workspace=workspace, client=client).versions
    return time.perf_counter() - started, versions


class CpuMeter:
    """CPU seconds of this process (all its threads), its PostgreSQL backend and the emulator.

    On a busy machine wall times wander; the CPU each party spent does not, and it
    says where the work is.
    """

    def __init__(self, emulator_pid: int) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.backend_pid = cursor.fetchone()[0]
        self.emulator_pid = emulator_pid

    def read(self) -> tuple[float, float, float]:
        return time.process_time(), cpu_seconds(self.backend_pid), cpu_seconds(self.emulator_pid)

    def measure(self, work: Callable[[], Any]) -> tuple[Any, tuple[float, float, float]]:
        before = self.read()
        value = work()
        after = self.read()
        return value, tuple(a - b for a, b in zip(after, before, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emulator", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--emulator-pid", type=int, required=True)
    args = parser.parse_args()
    exit_on_sigterm()
    setup_django()
    from approvals.models import ModelVersion, Workspace
    from approvals.pai.client import PaiClient, credentials

    client = PaiClient(endpoint=args.emulator, credentials=credentials(EMULATOR_KEY_ID, EMULATOR_KEY_SECRET))
    if ModelVersion.objects.exists():
        raise SystemExit("the bench database must be empty before the first sync")
    workspaces = [Workspace.objects.create(name=f"bench {w}", workspace_id=w) for w in WORKSPACES]
    meter = CpuMeter(args.emulator_pid)

    progress("sync: fetching every page once, to warm the emulator and the connection")
    fetch_everything(client, WORKSPACES)
    progress("sync: timing a plain fetch of every page")
    (fetch_seconds, models, fetched), fetch_cpu = meter.measure(lambda: fetch_everything(client, WORKSPACES))
    progress(f"sync: fetch {fetch_seconds:.1f}s for {models} models, {fetched} versions; now the first sync")
    (first_seconds, synced), first_cpu = meter.measure(lambda: sync_all(client, workspaces))
    progress(f"sync: first sync {first_seconds:.1f}s for {synced} versions; now a re-sync with nothing changed")
    (again_seconds, _), again_cpu = meter.measure(lambda: sync_all(client, workspaces))
    progress(f"sync: re-sync {again_seconds:.1f}s; VACUUM ANALYZE, as autovacuum does soon after a bulk load")
    vacuum_synced_tables()
    (vacuumed_seconds, _), vacuumed_cpu = meter.measure(lambda: sync_all(client, workspaces))
    progress(f"sync: re-sync after the vacuum {vacuumed_seconds:.1f}s; fetching once more")
    fetch_again, _, _ = fetch_everything(client, WORKSPACES)
    # The lower of two fetches: the baseline is what reading PAI costs at best.
    fetch_best = min(fetch_seconds, fetch_again)
    stored = ModelVersion.objects.count()
    if stored != fetched:
        raise SystemExit(f"the sync stored {stored} versions, the emulator lists {fetched}")

    first_ratio, again_ratio = first_seconds / fetch_best, again_seconds / fetch_best
    vacuumed_ratio = vacuumed_seconds / fetch_best
    section = Section(
        title=f"3. Sync of {fetched:,} versions over {models:,} models (PostgreSQL, emulator without latency)",
        columns=[
            "run",
            "seconds",
            "versions/s",
            "ratio to fetch",
            "target",
            "CPU s: client / PostgreSQL / emulator",
        ],
        rows=[
            [
                "fetch only (every page, client)",
                f"{fetch_best:.1f}",
                f"{fetched / fetch_best:,.0f}",
                "1.00",
                "",
                cpu(fetch_cpu),
            ],
            [
                "first sync (empty database)",
                f"{first_seconds:.1f}",
                f"{synced / first_seconds:,.0f}",
                f"{first_ratio:.2f}",
                f"≤ {TARGET}: {verdict(first_ratio <= TARGET)}",
                cpu(first_cpu),
            ],
            [
                "re-sync (nothing changed)",
                f"{again_seconds:.1f}",
                f"{synced / again_seconds:,.0f}",
                f"{again_ratio:.2f}",
                f"≤ {AGAIN_TARGET}: {verdict(again_ratio <= AGAIN_TARGET)}",
                cpu(again_cpu),
            ],
            [
                "re-sync after autovacuum's pass (nothing changed)",
                f"{vacuumed_seconds:.1f}",
                f"{synced / vacuumed_seconds:,.0f}",
                f"{vacuumed_ratio:.2f}",
                f"≤ {AGAIN_TARGET}: {verdict(vacuumed_ratio <= AGAIN_TARGET)}",
                cpu(vacuumed_cpu),
            ],
        ],
        notes=[
            f"Fetch: the lower of two timed passes ({fetch_seconds:.1f} s, {fetch_again:.1f} s) after a warm-up pass; "
            "ListModels then ListModelVersions per model, 100 per page, oldest first, as the sync reads them.",
            "The emulator runs in its own process (`manage.py pai_emulator`); its CPU competes for the same 2 cores.",
            "The first re-sync starts seconds after the first sync: it is the first to read the rows just loaded, so "
            "PostgreSQL sets their hint bits as it goes. Autovacuum does that (and ANALYZE) within about a minute of a "
            "bulk load (autovacuum_naptime, the insert threshold), long before a scheduled re-sync; the last row is a "
            "re-sync after `VACUUM (ANALYZE)` of the synced tables, which is not timed.",
        ],
        figures={
            "fetch": fetch_best,
            "first": first_seconds,
            "again": again_seconds,
            "again_vacuumed": vacuumed_seconds,
            "versions": fetched,
            "cpu": {"fetch": fetch_cpu, "first": first_cpu, "again": again_cpu, "again_vacuumed": vacuumed_cpu},
        },
    )
    section.save(args.out)


def vacuum_synced_tables() -> None:
    """What autovacuum does after a bulk load: hint bits and the visibility map set, statistics fresh."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) approvals_modelversion, approvals_registeredmodel")


def cpu(figures: tuple[float, float, float]) -> str:
    return " / ".join(f"{x:.1f}" for x in figures)


if __name__ == "__main__":
    main()
