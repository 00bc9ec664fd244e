"""What every benchmark shares: where the services are, Django set-up, figures, tables, /proc readings.

Benchmarks never touch the tests' databases or Redis DB: they use a database of
their own (created and dropped by the runner) and one Redis DB number, flushed.
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Loopback services; each can be pointed elsewhere on this machine from the environment.
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB_NAME", "bench")
REDIS_SERVER = os.environ.get("BENCH_REDIS_SERVER", "redis://127.0.0.1:6379")
# Not 0: the test suite's broker lives there, and this one is flushed.
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "13"))
EMULATOR_KEY_ID = "LTAI5tDemoEmulatorKey"
EMULATOR_KEY_SECRET = "demo-emulator-secret-not-for-production"


def database_url(name: str = DB_NAME) -> str:
    return f"{PG_SERVER}/{name}"


def broker_url() -> str:
    return f"{REDIS_SERVER}/{REDIS_DB}"


def django_env(**extra: str) -> dict[str, str]:
    """The environment of every bench process: production-like settings on the bench's own services."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "registry_ui.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url(),
        # DEBUG off as in production (no query log kept in memory); the secret is for this run only.
        "DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        # The audit chain's HMAC key, outside the database as production requires; for this run only.
        "AUDIT_HMAC_KEYS": "bench:YmVuY2gtYXVkaXQta2V5LW5vdC1mb3ItcHJvZHVjdGlvbg==",
        "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
        # In-process requests come over plain HTTP; the redirect to HTTPS would answer every one.
        "SECURE_SSL_REDIRECT": "0",
        # The bench's emulators listen on loopback, on free ports.
        "PAI_ALLOWED_ENDPOINTS": "http://127.0.0.1:*",
        "PAI_ACCESS_KEY_ID": EMULATOR_KEY_ID,
        "PAI_ACCESS_KEY_SECRET": EMULATOR_KEY_SECRET,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        **extra,
    }
    env.pop("PAI_REGION", None)
    return env


def die_with_parent() -> None:
    """preexec_fn for children: the kernel sends them SIGTERM when their parent dies, even by SIGKILL,
    so no emulator or worker outlives a run that was killed."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def exit_on_sigterm() -> None:
    """SIGTERM ends a step like Ctrl-C would, through its `finally` clauses (its worker stops too)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_ui.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---- figures ----------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): a value that was actually observed."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


# ---- /proc -------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (its threads included), in seconds."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces; the fields after its closing parenthesis are fixed.
    fields_after = raw[raw.rindex(")") + 2 :].split()
    utime, stime = int(fields_after[11]), int(fields_after[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def status_kib(pid: int, key: str) -> int:
    """A /proc/<pid>/status figure in KiB, e.g. VmHWM (peak resident set) or VmRSS."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- results --------------------------------------------------------------------------


@dataclass
class Section:
    """One benchmark's table, its verdicts and notes, as RESULTS.md shows it."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)  # raw numbers for the summary

    def markdown(self) -> str:
        lines = [f"### {self.title}", "", table(self.columns, self.rows)]
        if self.notes:
            lines += [""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, path: Path) -> Section:
        return cls(**json.loads(path.read_text()))


def table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    out = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


REFERENCE_LOOP_START = "reference loop at start (median of 5; lower is a faster machine)"
REFERENCE_LOOP_END = "reference loop at end"


def reference_loop_ms() -> float:
    """The median of 5 timings of a fixed piece of pure Python (arithmetic, a dict, strings): how
    fast this machine runs this process right now. The shared cores' speed has been seen to
    differ two-fold between runs 17 minutes apart (Django admin's own pages too), so a run's
    absolute times are to be read beside it; ratios taken within one run do not need it."""
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        table: dict[str, int] = {}
        for i in range(200_000):
            key = f"k{i % 997}"
            table[key] = table.get(key, 0) + i * i % 7
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def machine() -> dict[str, str]:
    """Cores, memory, Python, PostgreSQL and Redis versions, load: what the figures were taken on."""
    meminfo = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break

    def run(*command: str) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    pg = run("psql", database_url("postgres"), "-tAc", "SHOW server_version")
    redis = run("redis-cli", "-u", REDIS_SERVER, "INFO", "server")
    redis_version = next((line.split(":", 1)[1] for line in redis.splitlines() if "redis_version" in line), "?")
    commit = run("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD")
    dirty = run("git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no")
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{int(meminfo[1]) / 1024 / 1024:.1f} GiB",
        "python": sys.version.split()[0],
        "postgresql": pg.strip().split()[0] if pg.strip() else "?",
        "redis": redis_version.strip(),
        "load average (1, 5, 15 min) at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        REFERENCE_LOOP_START: f"{reference_loop_ms():.1f} ms",
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "commit": commit + (" (with uncommitted changes in the work tree)" if dirty else ""),
    }
