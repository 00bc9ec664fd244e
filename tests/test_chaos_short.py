"""The short chaos run (what `make chaos` does at full size), as CI runs it: real
processes, faults, kills and restarts, and at the end nothing accepted is lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import need_service

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.services


def test_a_short_chaos_run_ends_with_no_mismatch_and_no_lost_change():
    need_service("PostgreSQL", os.environ.get("DATABASE_URL", "").startswith("postgres"))
    need_service("redis-server", shutil.which("redis-server") is not None)
    run = subprocess.Popen(
        [sys.executable, "-m", "tests.chaos", "--short", "--database", "postgres"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = run.communicate(timeout=330)  # the harness' own deadline is 280 s
    except subprocess.TimeoutExpired:
        run.terminate()  # SIGTERM: the harness stops every process it started
        stdout, stderr = run.communicate(timeout=60)
    tail = f"{stdout[-8000:]}\n{stderr[-4000:]}"
    assert run.returncode == 0, tail
    line = next(line for line in stdout.splitlines() if line.startswith("CHAOS-FIGURES "))
    figures = json.loads(line.removeprefix("CHAOS-FIGURES "))
    assert (figures["mismatches"], figures["lost_changes"], figures["push_problems"]) == (0, 0, 0), tail
    assert figures["users"] >= 20 and figures["operations_sent"] >= 1000 and figures["versions"] >= 100
    assert figures["worker_kills"] >= 3 and figures["redis_restarts"] == 1 and figures["web_restarts"] == 1
    assert all(figures["faults_injected"][kind] > 0 for kind in ("unavailable", "throttle", "stall")), figures
    # Most writes are accepted; the rest are 412s between users editing the same version.
    assert figures["changes"] >= 0.8 * figures["operations_sent"] and figures["decisions"] > 0, figures
    # Label edits travel too: delete then create, checked against PAI like every other field.
    assert figures["label_edits"] > 0 and figures["pai_requests"].get("DeleteModelVersionLabels", 0) > 0, figures
