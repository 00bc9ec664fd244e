"""One chaos run, start to finish: set up, load, break things, settle, check, report."""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

from . import notifications, setup
from .processes import Cluster, free_port


@dataclass(frozen=True)
class Plan:
    users: int
    approvers: int
    operations: int
    versions: int
    worker_kills: int
    console_edits: int
    deadline: float  # seconds for the whole run, set-up and checks included
    lease: int = 15
    sync_every: int = 20


SHORT = Plan(users=20, approvers=6, operations=1000, versions=100, worker_kills=3, console_edits=2, deadline=280)
FULL = Plan(users=24, approvers=7, operations=3000, versions=200, worker_kills=6, console_edits=4, deadline=1500)
FAULTS = {
    "latency_ms": 30,
    "unavailable_rate": 0.08,
    "throttle_rate": 0.05,
    "throttle_retry_after_ms": 500,
    "stall_rate": 0.05,
    "stall_seconds": 3,
}


class Deadline(Exception):
    pass


def main(plan: Plan, *, database: str = "auto", seed: int = 7, keep_logs: bool = False) -> int:
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="pai-chaos-"))
    server = setup.choose_database(database)
    db_name = f"chaos_{os.getpid()}"
    database_url = setup.create_database(server, db_name) if server != "sqlite" else f"sqlite:///{tmp / 'chaos.db'}"
    ports = {"redis": free_port(), "emulator": free_port(), "web": free_port(), "receiver": free_port()}
    env = setup.environment(
        tmp=tmp,
        database_url=database_url,
        redis_port=ports["redis"],
        emulator_port=ports["emulator"],
        lease=plan.lease,
        sync_every=plan.sync_every,
    )
    env |= notifications.environment(ports["receiver"])
    os.environ.update(env)  # this process is a Django process of the run too (set-up, sweep, checks)
    (tmp / "var").mkdir()
    (tmp / "redis").mkdir()
    cluster = Cluster(log_dir=tmp, env=env)
    ok = False
    try:
        from .scenario import Scenario

        scenario = Scenario(plan, cluster, ports, tmp, seed=seed, started=started, database=server)
        ok = scenario.run()
    finally:
        cluster.stop_all()
        if server != "sqlite" and not ok and keep_logs:
            print(f"database {db_name} kept for a post-mortem; drop it when done")
        elif server != "sqlite":
            from django.db import connections

            connections.close_all()
            setup.drop_database(server, db_name)
        if ok and not keep_logs:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"logs kept in {tmp}")
    return 0 if ok else 1


def put_faults(emulator_url: str, faults: dict[str, Any]) -> None:
    requests.put(f"{emulator_url}/_emulator/faults", data=json.dumps(faults), timeout=5).raise_for_status()


def emulator_stats(emulator_url: str) -> dict[str, Any]:
    return requests.get(f"{emulator_url}/_emulator/stats", timeout=5).json()


class Sweeper(threading.Thread):
    """beat's sweeps, at a pace a short run can wait for: every few seconds, versions owed a push for 15 s,
    and channels owed a notification."""

    def __init__(self, every: float = 4, older_than: float = 15) -> None:
        super().__init__(name="sweeper", daemon=True)
        self.every, self.older_than = every, timedelta(seconds=older_than)
        self.stopping = threading.Event()
        self.enqueued = 0
        self.broker_errors = 0

    def run(self) -> None:
        from approvals import tasks
        from approvals.services import push
        from approvals.services.outbox import destinations_owed

        while not self.stopping.wait(self.every):
            try:
                for version_id in push.overdue_versions(older_than=self.older_than):
                    tasks.push_version.delay(version_id)
                    self.enqueued += 1
                # And beat's outbox sweep: a delivery whose task a killed worker or Redis lost.
                channel_ids, _sinks = destinations_owed()
                for channel_id in channel_ids:
                    tasks.deliver_channel.delay(channel_id)
            except Exception:  # a broker being restarted; the next round tries again
                self.broker_errors += 1
            finally:
                from django.db import connection

                connection.close()


def seeded_rng(seed: int) -> random.Random:
    return random.Random(seed)
