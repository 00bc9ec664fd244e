"""The emulator's data file: durable, atomic, consistent under concurrent updates."""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from approvals.pai.emulator import EmulatorServer, store
from approvals.pai.signing import encode_path
from tests.fixtures_pai import PAI_ACCESS_KEYS, pai_call

REPO = Path(__file__).resolve().parent.parent


def version_path(model_id, version_name):
    return encode_path(["api", "v1", "models", model_id, "versions", version_name])


def all_versions(server):
    out = []
    for model in server.store.list_models({"PageSize": "100"})["Models"]:
        versions = server.store.list_versions(model["ModelId"], {"PageSize": "100"})["Versions"]
        out += [(model["ModelId"], v) for v in versions]
    return out


def on_disk(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {(mid, v["VersionName"]): v for mid, rows in data["versions"].items() for v in rows}


def test_updates_survive_a_restart(pai_emulator, tmp_path):
    model_id, version = all_versions(pai_emulator)[0]
    body = {"VersionDescription": "重启之后还在", "Metrics": {"Results": []}}
    assert pai_call(pai_emulator, "PUT", version_path(model_id, version["VersionName"]), json_body=body).ok
    counts = pai_emulator.store.counts()
    pai_emulator.stop()

    # seed="demo" again: the file has data, so it must be loaded, not reseeded
    again = EmulatorServer(data_path=pai_emulator.store.path, access_keys=PAI_ACCESS_KEYS, seed="demo").start()
    try:
        assert not again.seeded
        assert again.store.counts() == counts
        got = pai_call(again, "GET", version_path(model_id, version["VersionName"])).json()
        assert (got["VersionDescription"], got["Metrics"]) == ("重启之后还在", {"Results": []})
    finally:
        again.stop()


def test_a_failed_write_leaves_the_old_file_whole_and_no_temp_file(pai_emulator, monkeypatch):
    path = pai_emulator.store.path
    before = path.read_bytes()
    model_id, version = all_versions(pai_emulator)[0]

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.os, "replace", broken_replace)
    response = pai_call(pai_emulator, "PUT", version_path(model_id, version["VersionName"]), json_body={})
    assert response.status_code == 500
    assert response.json()["Code"] == "InternalError"
    assert "Traceback" not in response.text
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]

    monkeypatch.undo()  # the disk is back: the next update writes both
    body = {"VersionDescription": "after the disk came back"}
    assert pai_call(pai_emulator, "PUT", version_path(model_id, version["VersionName"]), json_body=body).ok
    assert on_disk(path)[(model_id, version["VersionName"])]["VersionDescription"] == "after the disk came back"


CRASH_SCRIPT = """
import os, sys
from approvals.pai.emulator import EmulatorServer, store
server = EmulatorServer(data_path=sys.argv[1], access_keys={"k": "s"}, seed="demo").start()
model = server.store.list_models({})["Models"][0]
store.os.replace = lambda src, dst: os._exit(9)  # the process dies after the temp file, before the rename
server.store.update_version(model["ModelId"], model["LatestVersion"]["VersionName"], {"VersionDescription": "lost"})
"""


def test_a_crash_between_the_temp_write_and_the_rename_keeps_the_old_file(tmp_path):
    path = tmp_path / "data.json"
    done = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(path)], cwd=REPO, timeout=30, check=False)
    assert done.returncode == 9
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers, "the crash should have happened after the temp file was written"
    versions = on_disk(path)  # still parses: the old, seeded file
    assert "lost" not in {v["VersionDescription"] for v in versions.values()}
    server = EmulatorServer(data_path=path, access_keys=PAI_ACCESS_KEYS).start()
    try:
        assert server.store.counts()["versions"] == len(versions)
    finally:
        server.stop()


def test_fifty_threads_updating_at_once_all_land_in_a_valid_file(pai_emulator):
    targets = all_versions(pai_emulator)[:50]
    assert len(targets) == 50
    results = []
    start = threading.Barrier(50)

    def update(i, model_id, version):
        start.wait()
        body = {"VersionDescription": f"thread {i}", "ExtraInfo": {"thread": i}}
        results.append(pai_call(pai_emulator, "PUT", version_path(model_id, version["VersionName"]), json_body=body))

    threads = [threading.Thread(target=update, args=(i, *t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.status_code for r in results) == [200] * 50
    saved = on_disk(pai_emulator.store.path)
    for i, (model_id, version) in enumerate(targets):
        assert saved[(model_id, version["VersionName"])]["ExtraInfo"] == {"thread": i}
        assert pai_emulator.store.get_version(model_id, version["VersionName"])["VersionDescription"] == f"thread {i}"


def test_concurrent_updates_share_file_writes(pai_emulator, monkeypatch):
    real_write = store.atomic_write

    def slow_write(path, data):
        time.sleep(0.2)  # a slow disk: requests pile up behind the write in progress
        real_write(path, data)

    monkeypatch.setattr(store, "atomic_write", slow_write)
    targets = all_versions(pai_emulator)[:20]
    writes_before = pai_emulator.store.writes
    threads = [
        threading.Thread(
            target=pai_emulator.store.update_version, args=(mid, v["VersionName"], {"VersionDescription": "grouped"})
        )
        for mid, v in targets
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert pai_emulator.store.writes - writes_before <= 4  # not 20
    saved = on_disk(pai_emulator.store.path)
    assert all(saved[(mid, v["VersionName"])]["VersionDescription"] == "grouped" for mid, v in targets)


def test_an_update_is_on_disk_before_it_is_answered(pai_emulator):
    model_id, version = all_versions(pai_emulator)[3]
    body = {"VersionDescription": "durable"}
    assert pai_call(pai_emulator, "PUT", version_path(model_id, version["VersionName"]), json_body=body).ok
    assert on_disk(pai_emulator.store.path)[(model_id, version["VersionName"])]["VersionDescription"] == "durable"


def test_it_refuses_to_start_on_a_file_that_is_not_its_own_and_leaves_it_alone(tmp_path):
    path = tmp_path / "data.json"
    path.write_text('{"something": "else"}')
    with pytest.raises(ValueError, match="not a PAI emulator data file"):
        EmulatorServer(data_path=path, access_keys=PAI_ACCESS_KEYS, seed="demo").start()
    assert path.read_text() == '{"something": "else"}'
