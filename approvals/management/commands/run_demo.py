"""`make run`: the emulator with demo data, a local OpenID Connect provider with demo people,
a worker and beat, and the dashboard, in one terminal."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from approvals.management.commands.create_demo_users import DEMO_USERS, DEMO_WORKSPACE_NAMES, demo_password, demo_role
from approvals.models import NotificationChannel, RegisteredModel, Workspace
from approvals.services.channels import channel_save
from approvals.services.notification_kinds import SUBSCRIBABLE

ROOT = Path(settings.BASE_DIR)
# The demo channel's signing secret: public, like every demo key.
DEMO_WEBHOOK_SECRET = "whsec_ZGVtby13ZWJob29rLXNlY3JldC1ub3QtZm9yLXByb2Q="  # noqa: S105
DEMO_CHANNEL = "Demo webhook receiver"

# The demo provider's people (oidc-provider-mock): their groups give their roles at sign-in
# through OIDC_GROUP_ROLES' default patterns, `pai-<WorkspaceId>-<role>` and `pai-all-<role>`.
SSO_DEMO_PEOPLE: dict[str, dict[str, Any]] = {
    "ana": {"name": "Ana Zhang", "groups": ["pai-118493-approver", "pai-all-viewer"]},
    "ben": {"name": "Ben Li", "groups": ["pai-207651-editor"]},
    "chen": {"name": "Chen Wu", "groups": ["pai-all-auditor"]},
}
SSO_DEMO_CLIENT = {"OIDC_CLIENT_ID": "pai-review-demo", "OIDC_CLIENT_SECRET": "demo-client-secret"}


def sso_demo_command(port: int) -> list[str]:
    command = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    for username, person in SSO_DEMO_PEOPLE.items():
        claims = {"sub": username, "preferred_username": username, "email": f"{username}@example.com", **person}
        command += ["--user-claims", json.dumps(claims)]
    return command


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def wait_for_port(host: str, port: int, what: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        if process.poll() is not None:
            raise CommandError(f"{what} exited with code {process.returncode}; see its log under var/.")
        time.sleep(0.2)
    raise CommandError(f"{what} did not start within {seconds:.0f} s.")


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the demo: the PAI emulator with demo data, a Celery worker and beat, and the dashboard."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="The dashboard's address.")
        parser.add_argument("--port", type=int, default=8000, help="The dashboard's port.")
        parser.add_argument("--oidc-port", type=int, default=9400, help="The demo identity provider's port.")
        parser.add_argument("--receiver-port", type=int, default=8790, help="The demo webhook receiver's port.")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        if port_open(host, port):
            raise CommandError(f"Port {port} is taken; stop what runs there or pass --port.")
        var = Path(settings.VAR_DIR)
        children: list[subprocess.Popen] = []
        signal.signal(signal.SIGTERM, _interrupt)  # stop the children on `kill` too, not only on Ctrl-C
        python = sys.executable
        try:
            endpoint = urlsplit(settings.PAI_ENDPOINT)
            using_emulator = settings.PAI_ACCESS_KEY_ID == settings.EMULATOR_ACCESS_KEY_ID
            if using_emulator:
                emulator_port = endpoint.port or 8765
                if port_open("127.0.0.1", emulator_port):
                    raise CommandError(f"Port {emulator_port} is taken; is another demo running?")
                self.stdout.write(f"Starting the PAI emulator on {settings.PAI_ENDPOINT} …")
                data = str(var / "pai-emulator.json")
                command = [python, "manage.py", "pai_emulator", "--port", str(emulator_port), "--data", data]
                emulator = self._spawn([*command, "--seed", "demo"], var / "emulator.log")
                children.append(emulator)
                wait_for_port("127.0.0.1", emulator_port, "The emulator", emulator)
                self._allow_endpoint(settings.PAI_ENDPOINT)
                for workspace_id, name in DEMO_WORKSPACE_NAMES.items():
                    Workspace.objects.get_or_create(workspace_id=workspace_id, defaults={"name": name})
            sso_demo = not os.environ.get("OIDC_ISSUER")
            if sso_demo:
                children.append(self._start_sso_demo(options["oidc_port"], var))
            call_command("create_demo_users", stdout=open(var / "demo-users.log", "w"))  # noqa: SIM115
            receiver_log = self._start_receiver(options["receiver_port"], var, children, f"http://{host}:{port}")
            self.stdout.write("Syncing PAI into the dashboard …")
            # The progress bar says enough; one log line per PAI request would bury it.
            logging.getLogger("approvals").setLevel(logging.WARNING)
            call_command("sync_pai")
            children.append(self._spawn(self._celery("worker", "-P", "threads", "-c", "8"), var / "worker.log"))
            children.append(self._spawn(self._celery("beat", "-s", str(var / "celerybeat-schedule")), var / "beat.log"))
            web = self._spawn([python, "manage.py", "runserver", f"{host}:{port}", "--noreload"], var / "web.log")
            children.append(web)
            wait_for_port(host, port, "The dashboard", web)
            self._banner(f"http://{host}:{port}/", using_emulator, sso_demo, receiver_log)
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            broken = next(child for child in children if child.poll() is not None)
            raise CommandError(f"{' '.join(broken.args[:4])} stopped; see the logs under var/.")
        except KeyboardInterrupt:
            # Ctrl-C (or kill): a second one must not cut the clean stop short with a traceback.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            self.stdout.write("\nStopping …")
            stopped_by_user = True
        else:
            stopped_by_user = False
        finally:
            for child in reversed(children):
                if child.poll() is None:
                    child.terminate()
            # One budget of 10 s for all of them together, not 10 s each: under load a worker's
            # warm shutdown and the others' would add up past what a person waits for Ctrl-C.
            deadline = time.monotonic() + 10
            for child in children:
                try:
                    child.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait(5)
        if stopped_by_user:
            self.stdout.write("Stopped everything it started. Goodbye.")

    def _start_sso_demo(self, port: int, var: Path) -> subprocess.Popen:
        """The demo provider on loopback; the dashboard it starts next signs in through it."""
        if port_open("127.0.0.1", port):
            raise CommandError(f"Port {port} is taken; stop what runs there or pass --oidc-port.")
        issuer = f"http://127.0.0.1:{port}"
        self.stdout.write(f"Starting the demo identity provider on {issuer} …")
        provider = self._spawn(sso_demo_command(port), var / "oidc-provider.log")
        wait_for_port("127.0.0.1", port, "The demo identity provider", provider)
        os.environ.update({"OIDC_ISSUER": issuer, "OIDC_PROVIDER_NAME": "Demo SSO", **SSO_DEMO_CLIENT})
        return provider

    def _start_receiver(self, port: int, var: Path, children: list[subprocess.Popen], dashboard: str) -> Path:
        """A local receiver that checks signatures and logs messages, and the first workspace's channel to it."""
        if port_open("127.0.0.1", port):
            raise CommandError(f"Port {port} is taken; pass --receiver-port.")
        log = var / "demo-webhooks.log"
        url = f"http://127.0.0.1:{port}/hooks/review"
        command = [sys.executable, "manage.py", "demo_webhook_receiver", "--port", str(port), "--log", str(log)]
        receiver = self._spawn([*command, "--secret", DEMO_WEBHOOK_SECRET], var / "demo-receiver.log")
        children.append(receiver)
        wait_for_port("127.0.0.1", port, "The demo webhook receiver", receiver)
        # This process (the first sync), and the worker and dashboard it starts next, may send there.
        allowed = [*settings.NOTIFY_ALLOWED_URLS, f"http://127.0.0.1:{port}"]
        settings.NOTIFY_ALLOWED_URLS, settings.DASHBOARD_URL = allowed, dashboard
        os.environ["NOTIFY_ALLOWED_URLS"], os.environ["DASHBOARD_URL"] = ",".join(allowed), dashboard
        workspace = Workspace.objects.order_by("pk").first()
        if workspace is not None:
            channel = NotificationChannel.objects.filter(workspace=workspace, name=DEMO_CHANNEL).first()
            channel = channel or NotificationChannel(workspace=workspace, name=DEMO_CHANNEL, channel_type="webhook")
            channel.events = [kind.value for kind in SUBSCRIBABLE]
            channel.enabled, channel.paused_at = True, None
            admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
            channel_save(channel=channel, url=url, secret=DEMO_WEBHOOK_SECRET, user=admin)
        return log

    @staticmethod
    def _allow_endpoint(endpoint: str) -> None:
        """The emulator this command started may receive signed requests: here (the first sync)
        and in the worker and the dashboard it starts next, which inherit the environment."""
        allowed = [*settings.PAI_ALLOWED_ENDPOINTS, endpoint]
        settings.PAI_ALLOWED_ENDPOINTS = allowed
        os.environ["PAI_ALLOWED_ENDPOINTS"] = ",".join(allowed)

    @staticmethod
    def _celery(*args: str) -> list[str]:
        return [sys.executable, "-m", "celery", "-A", "registry_ui", *args, "-l", "INFO"]

    @staticmethod
    def _spawn(command: list[str], log: Path) -> subprocess.Popen:
        with log.open("ab") as out:
            # A session of its own: Ctrl-C reaches this command only, which stops the children in
            # order; children that got it too would die first and look like a crash.
            return subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    @staticmethod
    def _journey_lines(receiver_log: Path) -> list[str]:
        """How to make a new Pending version appear in the emulator while this runs (README "Try a review")."""
        workspace = Workspace.objects.order_by("pk").first()
        model = RegisteredModel.objects.filter(workspace=workspace).order_by("name").first() if workspace else None
        if model is None:
            return []
        return [
            "",
            f"Try a review: a new Pending version of {model.name} (workspace {workspace.workspace_id}) in the",
            "emulator, and a sync that finds it, from another terminal:",
            f"  DEBUG=1 .venv/bin/python manage.py pai_emulator_add_version --model {model.name} --sync",
            f'(or POST {{"Model": "{model.name}"}} to {settings.PAI_ENDPOINT}/_emulator/versions and wait for',
            "beat's sync). Its reviewers are told in their Inbox, by mail (var/worker.log), and the receiver",
            f"logs the signed message to {receiver_log}.",
        ]

    def _banner(self, url: str, using_emulator: bool, sso_demo: bool, receiver_log: Path) -> None:
        lines = ["", f"The dashboard is at {url}", "", "Demo logins (user / password / role):"]
        for username in DEMO_USERS:
            lines.append(f"  {username:<16} {demo_password(username):<28} {demo_role(username)}")
        lines.append("Each team's approvers see and decide only their workspace; compare reviewer and vision-reviewer.")
        if sso_demo:
            lines += ["", f'Single sign-on: press "Sign in with Demo SSO" on {url}accounts/login/, then a person\'s']
            lines.append(f"button at the demo provider ({os.environ['OIDC_ISSUER']}); their groups give their roles:")
            for username, person in SSO_DEMO_PEOPLE.items():
                lines.append(f"  {username:<16} {', '.join(person['groups'])}")
            lines.append("Change someone's groups there (PUT /users/<name>) and sign in again to see roles follow.")
        lines.append(
            "New Pending versions found by a sync land in the reviewers' Inbox; notification mails are printed "
            "to var/worker.log (set EMAIL_HOST to send them)."
        )
        if using_emulator:
            lines += [
                "",
                f"PAI emulator: {settings.PAI_ENDPOINT}  (AccessKey {settings.EMULATOR_ACCESS_KEY_ID} / "
                f"{settings.EMULATOR_ACCESS_KEY_SECRET})",
            ]
        lines += [
            "",
            f'Notifications: the first workspace\'s channel "{DEMO_CHANNEL}" posts signed webhooks to a local',
            f"receiver; every message it receives is logged to {receiver_log}",
        ]
        if using_emulator:
            lines += self._journey_lines(receiver_log)
        lines += [
            "Logs: var/web.log, var/worker.log, var/beat.log, var/emulator.log, var/oidc-provider.log,",
            "      var/demo-receiver.log",
            "Press Ctrl-C to stop.",
            "",
        ]
        self.stdout.write("\n".join(lines))
