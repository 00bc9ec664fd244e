"""A real Celery worker process, for tests where the pipeline itself is under test.

It shares the test database (a file on SQLite, the test database on PostgreSQL)
and the broker of the test run, and talks to the test's emulator over loopback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from approvals.pai_clients import reset_clients
from registry_ui.celery import app
from tests.fixtures_pai import PAI_KEY_ID, PAI_KEY_SECRET

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class WorkerProcess:
    def __init__(self, log_path: Path, env: dict[str, str], args: tuple[str, ...] = ()) -> None:
        self.log_path = log_path
        self.env = env
        self.args = args  # more of the worker's options, e.g. ("-B", "-s", path) to run beat in it
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        name = f"test-{uuid.uuid4().hex[:8]}@%h"
        command = [sys.executable, "-m", "celery", "-A", "registry_ui", "worker", "-P", "threads", "-c", "4"]
        command += ["-n", name, "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]
        command += list(self.args)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if "ready." in self.log_path.read_text(errors="replace"):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"the worker did not start:\n{self.log_path.read_text(errors='replace')[-3000:]}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(2)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def pai_settings(settings, pai_emulator) -> Iterator[None]:
    """Point the dashboard at the test's emulator."""
    settings.PAI_ENDPOINT = pai_emulator.url
    settings.PAI_ACCESS_KEY_ID = PAI_KEY_ID
    settings.PAI_ACCESS_KEY_SECRET = PAI_KEY_SECRET
    reset_clients()
    yield
    reset_clients()


def worker_env(pai_emulator, **extra: str) -> dict[str, str]:
    """A worker process's environment: this test's database, broker and emulator, quick retries."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(settings.VAR_DIR),
        "PAI_ENDPOINT": pai_emulator.url,
        "PAI_ACCESS_KEY_ID": PAI_KEY_ID,
        "PAI_ACCESS_KEY_SECRET": PAI_KEY_SECRET,
        "PUSH_RETRY_MAX_DELAY_SECONDS": "1",
        **extra,
    }


@pytest.fixture
def celery_worker_process(transactional_db, pai_settings, pai_emulator, tmp_path) -> Iterator[WorkerProcess]:
    """A running worker; the test's own process only enqueues."""
    app.control.purge()  # tasks left by earlier tests belong to rows that are gone
    env = worker_env(pai_emulator, PAI_READ_TIMEOUT="2", PUSH_LEASE_SECONDS="5")
    worker = WorkerProcess(tmp_path / "worker.log", env).start()
    yield worker
    worker.stop()


def wait_for(predicate: Callable[[], object], *, timeout: float = 20, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
