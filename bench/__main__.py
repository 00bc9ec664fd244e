"""`python -m bench` (or `make bench`): run every benchmark and write bench/RESULTS.md.

The runner owns everything a run creates — the PostgreSQL database, the Redis DB,
the emulator and the step processes, a temporary folder — and removes it all on
the way out, on failure and on Ctrl-C too. Each step runs in a process of its own
so its peak memory is its own.

    python -m bench                  # all of them, at 100,000 versions
    python -m bench --scale 1000000  # at 1,000,000 versions over 20,000 models (`make bench SCALE=1000000`)
    python -m bench --only sync,pages
    python -m bench --profile sync   # also sample that step with py-spy into bench/profiles/
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import redis

from bench.common import (
    DB_NAME,
    PG_SERVER,
    REFERENCE_LOOP_END,
    REFERENCE_LOOP_START,
    ROOT,
    Section,
    broker_url,
    database_url,
    die_with_parent,
    django_env,
    free_port,
    machine,
    progress,
    reference_loop_ms,
)

RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
STEPS = ("sync", "pages", "push")
SCALE = 100_000  # versions, over SCALE / 50 models
# Besides its share of SCALE, one model holds this many versions: its pages are measured too.
LARGE_MODEL_VERSIONS = 10_000
AUDIT_EVENTS_PER_VERSION = 2
# Each step's ceiling at 100,000 versions, so a hung step cannot keep the run past its budget
# of 15 minutes; the steps that grow with the registry get proportionally more at larger scales.
STEP_TIMEOUT = {"migrate": 120, "sync": 360, "seed_audit": 180, "pages": 300, "push": 900}
SCALED_STEPS = ("sync", "seed_audit", "pages")


class Run:
    def __init__(self, keep: bool, profile_steps: tuple[str, ...] = (), scale: int = SCALE) -> None:
        self.keep = keep
        self.scale = scale
        self.profile_steps = profile_steps
        shm = Path("/dev/shm")
        # The emulator fsyncs its data file on every write; on tmpfs that stays PAI's latency, not our disk's.
        self.tmp = Path(tempfile.mkdtemp(prefix="pai-bench-", dir=shm if shm.is_dir() else None))
        self.processes: list[subprocess.Popen] = []
        self.database_created = False

    # ---- services ------------------------------------------------------------------

    def create_database(self) -> None:
        with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        self.database_created = True

    def drop_database(self) -> None:
        if not self.database_created or self.keep:
            return
        with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        self.database_created = False

    @staticmethod
    def flush_redis() -> None:
        client = redis.Redis.from_url(broker_url())
        try:
            client.flushdb()
        finally:
            client.close()

    def start_emulator(self, *, size: int, latency_ms: int = 0, large_model: int = 0) -> tuple[str, int]:
        port = free_port()
        data = self.tmp / f"pai-{size}.json"
        command = [sys.executable, "manage.py", "pai_emulator", "--port", str(port), "--data", str(data)]
        command += ["--seed-size", str(size), "--latency-ms", str(latency_ms)]
        if large_model:
            command += ["--seed-large-model", str(large_model)]
        log = (self.tmp / f"emulator-{size}.log").open("wb")
        process = subprocess.Popen(
            command, cwd=ROOT, env=django_env(), stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent
        )
        self.processes.append(process)
        # Seeding takes about 15 s per 100,000 versions on 2 cores.
        deadline = time.monotonic() + 60 * max(1.0, size / SCALE)
        log_path = self.tmp / f"emulator-{size}.log"
        while time.monotonic() < deadline:
            if "PAI emulator at" in log_path.read_text(errors="replace"):
                return f"http://127.0.0.1:{port}", process.pid
            if process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"the emulator did not start:\n{log_path.read_text(errors='replace')[-2000:]}")

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        if process in self.processes:
            self.processes.remove(process)

    def timeout(self, name: str) -> float:
        return STEP_TIMEOUT[name] * (max(1.0, self.scale / SCALE) if name in SCALED_STEPS else 1.0)

    def step(self, name: str, module: str, *args: str) -> None:
        """Run one step in its own process; its stderr (logs) goes to a file, shown if it fails."""
        log_path = self.tmp / f"{name}.log"
        command = [sys.executable, *(["-m", module] if module != "manage.py" else ["manage.py"]), *args]
        if name in self.profile_steps:
            # Sampled from outside, so the figures keep their speed; raw stacks, waits included.
            out = ROOT / "bench" / "profiles" / f"{name}.txt"
            out.parent.mkdir(exist_ok=True)
            command = [
                str(Path(sys.executable).with_name("py-spy")),
                "record",
                "--idle",
                "--threads",
                "--format",
                "raw",
                "-r",
                "200",
                "-o",
                str(out),
                "--",
                *command,
            ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=django_env(), stderr=log, preexec_fn=die_with_parent)
            self.processes.append(process)
            try:
                code = process.wait(self.timeout(name))
            except subprocess.TimeoutExpired:
                self.stop(process)
                raise RuntimeError(f"step {name} ran past {self.timeout(name):.0f}s and was stopped") from None
            self.processes.remove(process)
        if code != 0:
            tail = log_path.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"step {name} failed (exit {code}):\n{tail}")

    def cleanup(self) -> None:
        for process in list(self.processes):
            with contextlib.suppress(Exception):
                self.stop(process)
        try:
            self.drop_database()
        except Exception as exc:
            print(f"could not drop database {DB_NAME}: {exc}", file=sys.stderr)
        with contextlib.suppress(Exception):
            self.flush_redis()
        if self.keep:
            print(f"kept {self.tmp} and database {DB_NAME}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def markers(scale: int) -> tuple[str, str]:
    """The generated part's bounds: one part per scale, so a run at 1,000,000 keeps the one at 100,000."""
    if scale == SCALE:
        return BEGIN, END
    return f"<!-- bench:begin scale={scale} -->", f"<!-- bench:end scale={scale} -->"


def write_results(sections: list[Section], info: dict[str, str], seconds: float, scale: int = SCALE) -> None:
    """Replace the generated part of RESULTS.md for this scale; the hand-written findings around it stay."""
    begin, end = markers(scale)
    heading = "## Latest run" if scale == SCALE else f"## Latest run at {scale:,} versions"
    machine_rows = "\n".join(f"| {key} | {value} |" for key, value in info.items())
    generated = "\n".join(
        [
            begin,
            heading,
            "",
            "| machine | |",
            "|---|---|",
            machine_rows,
            f"| whole run | {seconds / 60:.1f} min |",
            "",
            *(section.markdown() for section in sections),
            end,
        ]
    )
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n" + begin + "\n" + end + "\n"
    if begin not in text:
        text += "\n" + begin + "\n" + end + "\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    RESULTS.write_text(pattern.sub(lambda _m: generated, text, count=1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(STEPS), help=f"comma-separated steps from {', '.join(STEPS)}")
    parser.add_argument(
        "--profile", default="", help="comma-separated steps to sample with py-spy (bench/requirements.txt)"
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=SCALE,
        metavar="N",
        help=f"N versions over N/50 models, plus one model of {LARGE_MODEL_VERSIONS:,}, and an audit log of "
        f"{AUDIT_EVENTS_PER_VERSION} x N events (default {SCALE:,})",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (logs) and the database for a look"
    )
    args = parser.parse_args()
    steps = [s for s in args.only.split(",") if s]
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    if "pages" in steps and "sync" not in steps:
        parser.error("pages needs the data the sync step loads: add sync")
    if args.scale < 60_000:
        parser.error("--scale must be at least 60,000 (the pages benchmark opens model 1,000)")

    # SIGTERM (and SIGHUP) end the run like Ctrl-C does, through the clean-up below.
    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    started = time.monotonic()
    info = machine()
    load, loop = info["load average (1, 5, 15 min) at start"], info[REFERENCE_LOOP_START]
    progress(f"machine: {info['cores']} cores, {info['memory']}, load {load}, reference loop {loop}")
    run = Run(keep=args.keep, profile_steps=tuple(s for s in args.profile.split(",") if s), scale=args.scale)
    sections: list[Section] = []
    try:
        progress(f"creating database {DB_NAME} on {PG_SERVER.rsplit('@', 1)[-1]} and flushing {broker_url()}")
        run.create_database()
        run.flush_redis()
        run.step("migrate", "manage.py", "migrate", "--noinput", "-v", "0")
        if "sync" in steps:
            progress(f"starting the emulator: {args.scale:,} synthetic versions, one model of {LARGE_MODEL_VERSIONS:,}")
            emulator, emulator_pid = run.start_emulator(size=args.scale, large_model=LARGE_MODEL_VERSIONS)
            out = str(run.tmp / "sync.json")
            run.step("sync", "bench.sync", "--emulator", emulator, "--emulator-pid", str(emulator_pid), "--out", out)
            sections.append(Section.load(run.tmp / "sync.json"))
            print(sections[-1].markdown(), flush=True)
            for process in list(run.processes):
                run.stop(process)
        if "pages" in steps:
            events = AUDIT_EVENTS_PER_VERSION * args.scale
            progress(f"seeding the audit log to {events:,} events")
            run.step("seed_audit", "bench.seed_audit", "--events", str(events))
            run.step("pages", "bench.pages", "--out", str(run.tmp / "pages.json"))
            sections.insert(0, Section.load(run.tmp / "pages.json"))
            print(sections[0].markdown(), flush=True)
        if "push" in steps:
            run.step("push", "bench.push", "--out-dir", str(run.tmp))
            for name in ("push_throughput", "push_limited", "push_e2e", "memory"):
                sections.append(Section.load(run.tmp / f"{name}.json"))
                print(sections[-1].markdown(), flush=True)
        if "pages" in steps and "push" in steps:
            # The web process's peak joins the worker's in the memory table.
            pages, memory = sections[0], sections[-1]
            memory.rows.append(["web process (pages benchmark, in-process requests)", *pages.figures["memory_row"]])
        sections.sort(key=lambda s: s.title)
        info[REFERENCE_LOOP_END] = f"{reference_loop_ms():.1f} ms"
        elapsed = time.monotonic() - started
        write_results(sections, info, elapsed, args.scale)
        progress(f"done in {elapsed / 60:.1f} min; results in bench/RESULTS.md")
        return 0
    except KeyboardInterrupt as exc:
        progress(f"interrupted ({exc}); cleaning up")
        return 130
    except Exception as exc:
        progress(f"failed: {exc}")
        return 1
    finally:
        run.cleanup()
        progress("cleaned up: processes stopped, database dropped, Redis DB flushed")


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
