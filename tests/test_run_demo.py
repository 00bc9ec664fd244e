"""`make run`'s command, run as a user runs it: it starts everything, prints where
and who, serves the dashboard, and stops every process it started."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signed_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    login = session.get(f"{base}/accounts/login/", timeout=10)
    session.post(
        f"{base}/accounts/login/",
        data={
            "username": username,
            "password": f"demo-{username}-pass",
            "csrfmiddlewaretoken": login.cookies["csrftoken"],
        },
        headers={"Referer": login.url},
        timeout=10,
    )
    return session


def test_run_demo_serves_the_synced_dashboard_prints_the_logins_and_stops_cleanly(tmp_path):
    web_port, pai_port, oidc_port, receiver_port = free_port(), free_port(), free_port(), free_port()
    # As `make run` starts it: DEBUG=1 and nothing else, so the demo key and the emulator's
    # address are the command's own doing.
    unset = ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SECRET_KEY", "PAI_ALLOWED_ENDPOINTS", "OIDC_ISSUER")
    unset += ("NOTIFY_ALLOWED_URLS", "NOTIFY_SECRETS_KEYS")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env |= {
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path),
        "PAI_ENDPOINT": f"http://127.0.0.1:{pai_port}",
        "PAI_ACCESS_KEY_ID": "LTAI5tDemoEmulatorKey",
        "PAI_ACCESS_KEY_SECRET": "demo-emulator-secret-not-for-production",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    demo = subprocess.Popen(
        [
            *manage,
            "run_demo",
            "--port",
            str(web_port),
            "--oidc-port",
            str(oidc_port),
            "--receiver-port",
            str(receiver_port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Its own process group, as a terminal's foreground job: Ctrl-C goes to the whole group.
        start_new_session=True,
    )
    output = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            output.append(line)
            if "Press Ctrl-C to stop." in line or demo.poll() is not None:
                break
        text = "".join(output)
        assert f"The dashboard is at http://127.0.0.1:{web_port}/" in text, text
        assert "reviewer         demo-reviewer-pass" in text and "approver of 118493 (Search & NLP)" in text
        assert "vision-reviewer  demo-vision-reviewer-pass" in text and "editor of every workspace" in text

        base = f"http://127.0.0.1:{web_port}"
        reviewer, editor = signed_in(base, "reviewer"), signed_in(base, "editor")
        queue = reviewer.get(f"{base}/", timeout=10)
        assert queue.status_code == 200 and "Review queue" in queue.text
        assert "sentiment-classifier" in editor.get(f"{base}/versions/?q=sentiment", timeout=10).text
        # Two teams: the reviewer reads only Search & NLP's workspace.
        me = reviewer.get(f"{base}/api/me/", timeout=10).json()
        assert me["memberships"] == [{"workspace": "118493", "role": "approver", "source": "manual"}]
        assert reviewer.get(f"{base}/api/workspaces/207651", timeout=10).status_code == 404
        assert editor.get(f"{base}/api/workspaces/207651", timeout=10).status_code == 200

        # Single sign-on through the demo provider it started: ana's groups make her an approver of 118493.
        assert "Sign in with Demo SSO" in text and "ana              pai-118493-approver" in text
        sso = requests.Session()
        form = sso.get(f"{base}/oidc/authenticate/", timeout=10)
        assert form.url.startswith(f"http://127.0.0.1:{oidc_port}/oauth2/authorize")
        assert "Review queue" in sso.post(form.url, data={"sub": "ana"}, timeout=10).text
        me = sso.get(f"{base}/api/me/", timeout=10).json()
        assert me["username"] == "ana"
        assert {"workspace": "118493", "role": "approver", "source": "idp"} in me["memberships"]
        # The first sync's new Pending versions reached the demo channel's receiver, signed.
        log = tmp_path / "demo-webhooks.log"
        assert f"every message it receives is logged to {log}" in text
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (log.exists() and log.read_text().strip()):
            time.sleep(0.2)
        first = json.loads(log.read_text().splitlines()[0])
        assert first["signature_ok"] and not first["duplicate"] and first["id"].startswith("msg_")
        assert first["type"] in ("digest", "version.pending")

        # The review journey's start, as the banner says: a new Pending version in the emulator, and a sync
        # the demo's worker runs, whose message reaches the receiver's log.
        model = re.search(r"manage\.py pai_emulator_add_version --model (\S+) --sync", text).group(1)
        added = subprocess.run(
            [*manage, "pai_emulator_add_version", "--model", model, "--sync"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        name = re.search(r"Added version (\S+) \(Pending\)", added.stdout).group(1)
        assert f"{log}" in text and "/_emulator/versions" in text

        def announced() -> dict | None:
            for line in log.read_text().splitlines():
                entry = json.loads(line)
                if entry["type"] == "version.pending" and f"{model} {name}" in (entry["text"] or ""):
                    return entry
            return None

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and announced() is None:
            time.sleep(0.2)
        entry = announced()
        assert entry is not None, log.read_text()[-2000:]
        assert entry["signature_ok"] and not entry["duplicate"]
    finally:
        # Ctrl-C in a terminal: SIGINT to every process of the foreground group.
        os.killpg(demo.pid, signal.SIGINT)
        try:
            # It stops its processes within 10 s, then kills what is left; a loaded machine takes longer.
            rest, _ = demo.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            rest, _ = demo.communicate()
            logs = {log.name: log.read_text(errors="replace")[-3000:] for log in tmp_path.glob("*.log")}
            raise AssertionError(f"run_demo did not stop within 60 s of Ctrl-C:\n{rest}\n{logs}") from None
    assert demo.returncode == 0, rest
    assert "Stopped everything it started. Goodbye." in rest
    assert "Traceback" not in rest and "CommandError" not in rest
    for port in (web_port, pai_port, oidc_port, receiver_port):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still served after stop"
