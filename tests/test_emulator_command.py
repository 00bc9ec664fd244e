"""`python manage.py pai_emulator` as a person runs it: start, serve, stop on SIGTERM."""

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests

from tests.fixtures_pai import PAI_KEY_ID, PAI_KEY_SECRET, pai_call

REPO = Path(__file__).resolve().parent.parent


class Running:
    """Just enough of EmulatorServer's interface for pai_call."""

    def __init__(self, url):
        self.url = url
        self.endpoint = url.removeprefix("http://")


def start(*args):
    process = subprocess.Popen(
        [sys.executable, "manage.py", "pai_emulator", "--port", "0", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first_line = process.stdout.readline()
    return process, first_line


def stop(process):
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=15)
    return process.returncode, out, err


def test_it_seeds_serves_with_the_demo_key_and_flushes_on_sigterm(tmp_path):
    data = tmp_path / "var" / "pai.json"
    process, line = start("--data", str(data), "--seed", "demo", "--throttle-rate", "0")
    try:
        match = re.match(r"PAI emulator at (http://127\.0\.0\.1:\d+) key (\S+): (\d+) models, (\d+) versions", line)
        assert match, line
        url, key_id, models = match.group(1), match.group(2), int(match.group(3))
        assert key_id == PAI_KEY_ID and models >= 25
        server = Running(url)
        listed = pai_call(server, "GET", "/api/v1/models", query={"PageSize": "1"})
        assert listed.json()["TotalCount"] == models
        model = listed.json()["Models"][0]
        path = f"/api/v1/models/{model['ModelId']}/versions/{model['LatestVersion']['VersionName']}"
        body = {"VersionDescription": "written through the command"}
        assert pai_call(server, "PUT", path, json_body=body, secret=PAI_KEY_SECRET).status_code == 200
        faults = requests.put(f"{url}/_emulator/faults", json={"latency_ms": 1}, timeout=5).json()
        assert faults["latency_ms"] == 1
    finally:
        code, out, err = stop(process)
    assert code == 0, err
    assert "stopped" in out
    saved = json.loads(data.read_text(encoding="utf-8"))
    stored = {v["VersionName"]: v for v in saved["versions"][model["ModelId"]]}
    assert stored[model["LatestVersion"]["VersionName"]]["VersionDescription"] == "written through the command"


def test_it_takes_fault_flags_and_other_keys(tmp_path):
    process, line = start(
        "--data",
        str(tmp_path / "d.json"),
        "--seed-size",
        "100",
        "--unavailable-rate",
        "1",
        "--access-key-id",
        "LTAI5tOther",
        "--access-key-secret",
        "other-secret",
    )
    try:
        assert "key LTAI5tOther: 2 models, 100 versions" in line
        url = re.search(r"http://\S+", line).group(0)
        assert requests.get(f"{url}/_emulator/faults", timeout=5).json()["unavailable_rate"] == 1.0
        requests.put(f"{url}/_emulator/faults", json={"unavailable_rate": 0}, timeout=5)
        server = Running(url)
        assert pai_call(server, "GET", "/api/v1/models").status_code == 403  # the demo key is not accepted now
        ok = pai_call(server, "GET", "/api/v1/models", key_id="LTAI5tOther", secret="other-secret")
        assert ok.status_code == 200
    finally:
        code, _, err = stop(process)
    assert code == 0, err


def test_bad_fault_flags_stop_it_with_a_clear_message(tmp_path):
    command = [sys.executable, "manage.py", "pai_emulator", "--port", "0", "--data", str(tmp_path / "d.json")]
    done = subprocess.run(
        [*command, "--unavailable-rate", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode != 0
    assert "unavailable_rate must be from 0 to 1" in done.stderr


def test_it_takes_a_rate_limit_per_access_key_and_it_can_be_changed_at_run_time(tmp_path):
    # One token every 20 s: only the burst of 2 decides, however slow the machine.
    process, line = start("--data", str(tmp_path / "d.json"), "--seed-size", "100", "--rate-limit", "0.05")
    try:
        url = re.search(r"http://\S+", line).group(0)
        assert requests.get(f"{url}/_emulator/rate-limit", timeout=5).json() == {"rate": 0.05, "burst": 1}
        changed = requests.put(f"{url}/_emulator/rate-limit", json={"rate": 0.05, "burst": 2}, timeout=5)
        assert changed.json() == {"rate": 0.05, "burst": 2}
        server = Running(url)
        answers = [pai_call(server, "GET", "/api/v1/models") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[2].json()["Code"] == "Throttling.User"
        assert 0 < int(answers[2].headers["x-acs-retry-after"]) <= 20_000
        requests.put(f"{url}/_emulator/rate-limit", json={"rate": 0}, timeout=5)
        assert pai_call(server, "GET", "/api/v1/models").status_code == 200
    finally:
        code, _, err = stop(process)
    assert code == 0, err


def test_the_rate_burst_flag_sets_the_burst(tmp_path):
    process, line = start(
        "--data", str(tmp_path / "d.json"), "--seed-size", "100", "--rate-limit", "0.05", "--rate-burst", "3"
    )
    try:
        url = re.search(r"http://\S+", line).group(0)
        assert requests.get(f"{url}/_emulator/rate-limit", timeout=5).json() == {"rate": 0.05, "burst": 3}
        server = Running(url)
        statuses = [pai_call(server, "GET", "/api/v1/models").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
    finally:
        code, _, err = stop(process)
    assert code == 0, err


def test_a_burst_without_a_rate_stops_it_with_a_clear_message(tmp_path):
    command = [sys.executable, "manage.py", "pai_emulator", "--port", "0", "--data", str(tmp_path / "d.json")]
    done = subprocess.run(
        [*command, "--rate-burst", "5"], cwd=REPO, capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode != 0
    assert "burst needs a rate above zero" in done.stderr
    assert not (tmp_path / "d.json").exists()
