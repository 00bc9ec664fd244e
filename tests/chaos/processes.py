"""The processes a chaos run starts, each in its own process group so a kill takes
its children too, and every one of them stopped at the end whatever happened."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str, poll: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(poll)
    raise RuntimeError(f"{what} did not happen within {timeout:.0f} s")


@dataclass
class Service:
    """One long-running process: started, SIGKILLed, restarted, stopped."""

    name: str
    command: list[str]
    log_dir: Path
    env: dict[str, str]
    ready: Callable[[Service], bool]
    process: subprocess.Popen | None = None
    starts: int = 0

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def start(self, timeout: float = 60) -> Service:
        with self.log_path.open("ab") as log:
            log.write(f"\n==== start {self.starts + 1} ====\n".encode())
            log.flush()
            # A new session: killpg reaches the whole tree (gunicorn's workers, redis' forks).
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready(self):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start:\n{self.log_tail()}")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _signal_group(self, sig: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a lost machine would: no cleanup, no goodbye."""
        self._signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(10)

    def stop(self, grace: float = 5) -> None:
        if self.process is None:
            return
        self._signal_group(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(grace)
        self._signal_group(signal.SIGKILL)  # stragglers of the group too
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)


def python_command(*args: str) -> list[str]:
    return [sys.executable, *args]


def log_says(text: str) -> Callable[[Service], bool]:
    def check(service: Service) -> bool:
        return text in service.log_tail(200_000).rsplit("==== start", 1)[-1]

    return check


def listens(port: int) -> Callable[[Service], bool]:
    return lambda _service: port_open(port)


@dataclass
class Cluster:
    """Every process of a run; `stop_all` is safe to call at any point."""

    log_dir: Path
    env: dict[str, str]
    services: dict[str, Service] = field(default_factory=dict)

    def add(self, name: str, command: list[str], ready: Callable[[Service], bool]) -> Service:
        service = Service(name, command, self.log_dir, self.env, ready)
        self.services[name] = service
        return service

    def redis(self, port: int, data_dir: Path) -> Service:
        # Our own server with AOF on, so it can be killed and restarted without touching the machine's Redis.
        command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(data_dir)]
        return self.add("redis", command, listens(port))

    def emulator(self, port: int, data: Path, fault_seed: int) -> Service:
        command = python_command("manage.py", "pai_emulator", "--port", str(port), "--data", str(data))
        return self.add("emulator", [*command, "--fault-seed", str(fault_seed)], listens(port))

    def web(self, port: int, *, use_gunicorn: bool) -> Service:
        if use_gunicorn:
            # The production configuration (gunicorn.conf.py), on a loopback port.
            command = python_command("-m", "gunicorn", "registry_ui.wsgi:application", "-b", f"127.0.0.1:{port}")
        else:
            command = python_command("manage.py", "runserver", f"127.0.0.1:{port}", "--noreload")
        return self.add("web", command, listens(port))

    def worker(self, name: str) -> Service:
        command = python_command("-m", "celery", "-A", "registry_ui", "worker", "-P", "threads", "-c", "4")
        command += ["-n", f"{name}@%h", "--without-gossip", "--without-mingle", "-l", "INFO"]
        return self.add(name, command, log_says("ready."))

    def beat(self, schedule: Path) -> Service:
        command = python_command("-m", "celery", "-A", "registry_ui", "beat", "-s", str(schedule), "-l", "INFO")
        return self.add("beat", command, log_says("beat: Starting"))

    def stop_all(self) -> None:
        for service in reversed(list(self.services.values())):
            service.stop()
