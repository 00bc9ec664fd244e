"""The scenario of a chaos run, in the harness process (itself a Django process of the run)."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import django
import requests

from . import notifications, setup
from .processes import Cluster, Service, wait_until
from .run import FAULTS, Deadline, Plan, Sweeper, emulator_stats, put_faults
from .users import Api, Budget, Counters, Entry, User

CONSOLE_USER = "console-tester"


class Scenario:
    def __init__(
        self,
        plan: Plan,
        cluster: Cluster,
        ports: dict[str, int],
        tmp: Path,
        *,
        seed: int,
        started: float,
        database: str,
    ) -> None:
        self.plan, self.cluster, self.ports, self.tmp = plan, cluster, ports, tmp
        self.rng = random.Random(seed)
        self.seed = seed
        self.started = started
        self.database = "PostgreSQL" if database != "sqlite" else "SQLite"
        self.emulator_url = f"http://127.0.0.1:{ports['emulator']}"
        self.web_url = f"http://127.0.0.1:{ports['web']}"
        self.events: dict[str, int] = {
            "worker_kills": 0,
            "redis_restarts": 0,
            "web_restarts": 0,
            "receiver_restarts": 0,
        }
        self.receiver_log = tmp / "receiver.jsonl"
        # Processes that exited on their own, restarted as a supervisor (systemd, compose) would.
        self.exits: dict[str, int] = {}
        self.journal: list[Entry] = []
        self.counters = Counters()

    def left(self) -> float:
        remaining = self.plan.deadline - (time.monotonic() - self.started)
        if remaining <= 0:
            raise Deadline(f"the run passed its deadline of {self.plan.deadline:.0f} s")
        return remaining

    # ---- set-up -------------------------------------------------------------------

    def start(self) -> None:
        setup.seed_emulator(self.tmp / "pai.json", self.plan.versions)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        c = self.cluster
        c.emulator(self.ports["emulator"], self.tmp / "pai.json", self.seed).start()
        c.redis(self.ports["redis"], self.tmp / "redis").start()
        notifications.receiver(c, self.ports["receiver"], self.receiver_log).start()
        self._sync_and_people()
        try:
            import gunicorn  # noqa: F401

            use_gunicorn = True
        except ImportError:  # until requirements.txt has it everywhere
            use_gunicorn = False
        self.web_server = "gunicorn" if use_gunicorn else "runserver"
        c.web(self.ports["web"], use_gunicorn=use_gunicorn).start()
        self.workers = [c.worker("worker-1").start(), c.worker("worker-2").start()]
        c.beat(self.tmp / "celerybeat-schedule").start()
        requests.delete(f"{self.emulator_url}/_emulator/stats", timeout=5)
        put_faults(self.emulator_url, FAULTS)

    def _sync_and_people(self) -> None:
        from approvals.fields import EDITABLE_NAMES
        from approvals.models import ModelVersion, Workspace, WorkspacePolicy
        from approvals.pai.emulator.seed import WORKSPACES
        from approvals.services.tokens import api_token_create
        from approvals.sync import sync_workspace
        from tests.factories import make_user

        for workspace_id in WORKSPACES:
            workspace, _ = Workspace.objects.get_or_create(workspace_id=workspace_id, defaults={"name": workspace_id})
            if workspace_id == WORKSPACES[0]:
                # Before the sync: its new Pending versions are the first notifications (a digest).
                self.channel_id = notifications.configure_channel(workspace, self.ports["receiver"]).pk
            # The harness tests delivery, not the approval policy: every field stays editable once decided,
            # as before policies, so edits after a decision still travel the pipeline (tests/test_policies.py
            # covers the freeze).
            WorkspacePolicy.objects.update_or_create(
                workspace=workspace, defaults={"editable_after_decision": list(EDITABLE_NAMES)}
            )
            sync_workspace(workspace=workspace)
        versions = list(ModelVersion.objects.select_related("model").order_by("pk"))
        assert len(versions) == self.plan.versions, f"synced {len(versions)} versions"
        self.pks = [v.pk for v in versions]
        self.initial = {v.pk: v.pai_values() for v in versions}
        keys = [(v.model.model_id, v.version_name) for v in versions]
        self.rng.shuffle(keys)
        self.console_keys = keys[: self.plan.console_edits]
        self.user_keys = keys[self.plan.console_edits :]
        by_key = {(v.model.model_id, v.version_name): v.pk for v in versions}
        self.console_pks = {by_key[k] for k in self.console_keys}
        self.people: list[tuple[str, str, str]] = []  # (username, role, token)
        for i in range(self.plan.users):
            role = "approver" if i < self.plan.approvers else "editor"
            name = f"{role}-{i:02d}"
            self.people.append((name, role, api_token_create(user=make_user(name, group=role), name="chaos")[1]))
        self.console = make_user(CONSOLE_USER, group="editor")
        self.console_token = api_token_create(user=self.console, name="chaos")[1]

    # ---- the load and the breakage ------------------------------------------------

    def load(self) -> float:
        budget = Budget(self.plan.operations)
        decided: set[tuple[str, str]] = set()
        users = [
            User(name, role, Api(self.web_url, token, self.counters), self.user_keys, budget, self.journal, i, decided)
            for i, (name, role, token) in enumerate(self.people)
        ]
        load_started = time.monotonic()
        for user in users:
            user.start()
        schedule = self._schedule()
        while schedule:
            self.left()
            self._supervise()
            at, what = schedule[0]
            if budget.done_fraction >= at or not any(u.is_alive() for u in users):
                schedule.pop(0)
                what()
            time.sleep(0.2)
        for user in users:
            user.join(max(1.0, self.left()))
            if user.error is not None:
                raise RuntimeError(f"user {user.name} broke: {user.error!r}") from user.error
        return time.monotonic() - load_started

    def _schedule(self) -> list[tuple[float, Any]]:
        kills = self.plan.worker_kills
        plan: list[tuple[float, Any]] = [(0.1 + 0.75 * i / kills, self._kill_worker) for i in range(kills)]
        plan.append((0.45, self._restart_redis))
        plan.append((0.7, self._restart_web))
        plan += [(0.3, self._restart_receiver), (0.6, self._restart_receiver)]
        plan += [(0.2 + 0.6 * i / self.plan.console_edits, self._console_edit) for i in range(self.plan.console_edits)]
        return sorted(plan, key=lambda item: item[0])

    def _supervise(self) -> None:
        for name in ("web", "worker-1", "worker-2", "beat", "receiver"):
            service = self.cluster.services[name]
            if not service.alive:
                self.exits[name] = self.exits.get(name, 0) + 1
                print(f"supervisor: {name} exited on its own; restarting it\n{service.log_tail(600)}")
                service.start()

    def _kill_worker(self) -> None:
        worker = self.workers[self.events["worker_kills"] % len(self.workers)]
        worker.kill()
        self.events["worker_kills"] += 1
        worker.start()  # the replacement

    def _restart(self, service: Service, down_for: float) -> None:
        service.kill()
        time.sleep(down_for)
        service.start()

    def _restart_redis(self) -> None:
        self._restart(self.cluster.services["redis"], 2)
        self.events["redis_restarts"] += 1

    def _restart_receiver(self) -> None:
        self._restart(self.cluster.services["receiver"], 3)
        self.events["receiver_restarts"] += 1

    def _restart_web(self) -> None:
        self._restart(self.cluster.services["web"], 1)
        self.events["web_restarts"] += 1

    def _console_edit(self) -> None:
        """Someone edits a field in the PAI console, then a user edits it in the dashboard: a real conflict."""
        from approvals.pai.errors import PaiError
        from approvals.pai_clients import client_for

        key = self.console_keys[len(getattr(self, "_console_done", []))]
        self._console_done = [*getattr(self, "_console_done", []), key]
        for _ in range(50):
            try:
                client_for().update_model_version(*key, {"VersionDescription": f"console edit of {key[1]}"})
                client_for().create_model_version_labels(*key, {"console": "set in PAI"})
                break
            except PaiError:
                time.sleep(0.2)
        api = Api(self.web_url, self.console_token, self.counters)
        response, _ = api.call("GET", api.path(key))
        assert response is not None and response.status_code == 200, response
        body = {
            "VersionDescription": f"dashboard edit of {key[1]}",
            "Labels": [{"Key": "console", "Value": f"set in the dashboard for {key[1]}"}],
        }
        patch, lost = api.call("PATCH", api.path(key), json=body, headers={"If-Match": response.headers["ETag"]})
        entry = Entry(CONSOLE_USER, "edit", key, body, "accepted" if patch and patch.status_code == 200 else "unknown")
        entry.lost_answers = lost
        self.journal.append(entry)

    # ---- settling -------------------------------------------------------------------

    def settle(self) -> float:
        """Until every version is pushed or visibly failed; console conflicts are resolved as a person would."""
        from approvals import services
        from approvals.models import ModelVersion, PushState

        from .checks import unsettled

        settle_started = time.monotonic()
        while True:
            self.left()
            self._supervise()
            for version in ModelVersion.objects.filter(pk__in=self.console_pks, push_state=PushState.CONFLICT):
                keep = {field: "yours" for field in version.conflict}
                services.version_resolve_conflict(version_id=version.pk, user=self.console, keep=keep)
            waiting = unsettled(self.pks)
            conflicts = ModelVersion.objects.filter(pk__in=self.console_pks, push_state=PushState.CONFLICT).exists()
            if not waiting and not conflicts and not notifications.pending(self.channel_id):
                return time.monotonic() - settle_started
            time.sleep(0.5)

    def run(self) -> bool:
        django.setup()
        from .checks import check
        from .report import report

        sweeper = Sweeper()
        try:
            self.start()
            self.setup_seconds = time.monotonic() - self.started
            sweeper.start()
            load_seconds = self.load()
            converge_seconds = self.settle()
        except Deadline as exc:
            print(f"FAILED: {exc}")
            self._print_stuck()
            return False
        finally:
            sweeper.stopping.set()
        stats = emulator_stats(self.emulator_url)
        for name in ("web", "beat", "worker-1", "worker-2"):
            self.cluster.services[name].stop()
        put_faults(self.emulator_url, {k: 0 for k in ("latency_ms", "unavailable_rate", "throttle_rate", "stall_rate")})
        from approvals.pai_clients import client_for

        found = check(
            pks=self.pks, initial=self.initial, journal=self.journal, client=client_for(), console_pks=self.console_pks
        )
        notifications.check(self.channel_id, self.receiver_log, found)
        return report(self, found, stats, load_seconds, converge_seconds, sweeper)

    def _print_stuck(self) -> None:
        try:
            from .checks import unsettled

            print(f"  notifications still pending: {notifications.pending(self.channel_id)}")
            for v in unsettled(self.pks)[:20]:
                print(f"  stuck: {v.model.model_id} {v.version_name} {v.push_state} r{v.pushed_revision}/r{v.revision}")
        except Exception as exc:  # the database may be what broke
            print(f"  (could not list stuck versions: {exc!r})")


def wait_for_web(url: str, timeout: float = 30) -> None:
    wait_until(lambda: requests.get(url, timeout=2).status_code < 500, timeout=timeout, what="the web server")
