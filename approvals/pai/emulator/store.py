"""The emulator's registry: models, versions and datasets in memory, persisted as one JSON file.

Indexes: models by id, and per model its versions by name, so Get/Update are
O(1) and ListModelVersions touches one model's versions only. Stored dicts are
never changed in place: an update replaces the dict, so a snapshot for the file
is a cheap list of references taken under the lock and serialized outside it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from approvals.pai import fields, labels

from . import additions, listing
from .durable import atomic_write
from .errors import ApiError, invalid_parameter

FORMAT = "pai-emulator/1"


def iso_millis(ms: int) -> str:
    """2026-11-26T19:00:00.123Z"""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_iso_millis(value: str) -> int:
    dt = datetime.strptime(value.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
    return int(dt.timestamp() * 1000 + 0.5)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Snapshot(NamedTuple):
    models: list[dict[str, Any]]
    datasets: list[dict[str, Any]]
    versions: list[tuple[str, int, list[dict[str, Any]]]]  # (model id, revision, its versions)


class Store:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._models: dict[str, dict[str, Any]] = {}
        self._versions: dict[str, dict[str, dict[str, Any]]] = {}
        self._latest: dict[str, str] = {}  # model id -> name of its newest version
        self._datasets: dict[str, dict[str, Any]] = {}
        # The account's workspaces are those its models live in; a dataset elsewhere
        # belongs to a workspace the caller is not a member of, and answers 403.
        self._workspaces: set[str] = set()
        self._last_ms = 0
        # Per model, a revision that changes whenever its versions do; the writer keeps
        # each model's serialized versions and re-encodes only the models that changed.
        self._revisions: dict[str, int] = {}
        self._revision_counter = 0
        self._encoded: dict[str, tuple[int, bytes]] = {}  # touched only by the one writer
        # Group commit state: every mutation bumps _generation; a flush records the
        # generation its snapshot covered in _durable.
        self._generation = 0
        self._durable = 0
        self._flushing = False
        self._flush_cond = threading.Condition()
        self.writes = 0  # completed file writes, for tests and stats

    # ---- loading and seeding ------------------------------------------------

    def read_file(self) -> dict[str, Any] | None:
        """The data file's content; None when it is missing or blank; ValueError if it is not ours."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw.strip():
            return None
        data = json.loads(raw)
        if not isinstance(data, dict) or not isinstance(data.get("models"), list):
            raise ValueError(f"{self.path} is not a PAI emulator data file")
        return data

    def load(self, data: Mapping[str, Any] | None) -> None:
        """Take over what read_file() returned; the file already holds it."""
        data = data or {"models": [], "versions": {}}
        # Files written before datasets existed have none; they load as they are.
        self.replace_all(data["models"], data.get("versions") or {}, data.get("datasets") or [])
        with self._flush_cond:
            self._durable = self._generation

    def replace_all(
        self,
        models: list[dict[str, Any]],
        versions: Mapping[str, list[dict[str, Any]]],
        datasets: list[dict[str, Any]] | None = None,
    ) -> None:
        with self._lock:
            self._models = {m["ModelId"]: m for m in models}
            self._workspaces = {m["WorkspaceId"] for m in models if m.get("WorkspaceId")}
            self._datasets = {d["DatasetId"]: d for d in datasets or []}
            self._versions = {mid: {v["VersionName"]: v for v in versions.get(mid, [])} for mid in self._models}
            self._latest = {mid: self._newest(vs) for mid, vs in self._versions.items() if vs}
            self._revisions = {mid: self._next_revision() for mid in self._models}
            stamps = [m.get("GmtLatestVersionModifiedTime") or "" for m in models]
            stamps += [v.get("GmtModifiedTime") or "" for vs in self._versions.values() for v in vs.values()]
            newest = max(stamps, default="")
            self._last_ms = parse_iso_millis(newest) if newest else 0
            self._generation += 1

    def _next_revision(self) -> int:
        self._revision_counter += 1
        return self._revision_counter

    @staticmethod
    def _newest(versions: Mapping[str, dict[str, Any]]) -> str:
        # Insertion order breaks ties, so the later of two same-time versions wins.
        best = max(enumerate(versions.values()), key=lambda iv: (iv[1].get("GmtCreateTime") or "", iv[0]))
        return best[1]["VersionName"]

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {"models": len(self._models), "versions": sum(len(v) for v in self._versions.values())}

    # ---- reads ----------------------------------------------------------------

    def _model(self, model_id: str) -> dict[str, Any]:
        model = self._models.get(model_id)
        if model is None:
            raise ApiError(404, "ModelNotFound", f"The model {model_id!r} does not exist.")
        return model

    def _version(self, model_id: str, version_name: str) -> dict[str, Any]:
        self._model(model_id)
        version = self._versions[model_id].get(version_name)
        if version is None:
            raise ApiError(404, "ModelVersionNotFound", f"The model {model_id!r} has no version {version_name!r}.")
        return version

    def _model_view(self, model: dict[str, Any]) -> dict[str, Any]:
        out = dict(model)
        latest = self._latest.get(model["ModelId"])
        if latest is not None:
            out["LatestVersion"] = self._versions[model["ModelId"]][latest]
        return out

    def list_models(self, params: Mapping[str, str]) -> dict[str, Any]:
        number, size = listing.paging(params)
        with self._lock:
            rows = listing.filter_models(self._models.values(), params)
            rows = listing.sort_rows(rows, params, listing.MODEL_SORT_KEYS, tie="ModelId")
            return {"TotalCount": len(rows), "Models": [self._model_view(m) for m in listing.page(rows, number, size)]}

    def get_model(self, model_id: str) -> dict[str, Any]:
        with self._lock:
            return self._model_view(self._model(model_id))

    def list_versions(self, model_id: str, params: Mapping[str, str]) -> dict[str, Any]:
        number, size = listing.paging(params)
        with self._lock:
            self._model(model_id)
            rows = listing.filter_versions(self._versions[model_id].values(), params)
        rows = listing.sort_rows(rows, params, listing.VERSION_SORT_KEYS, tie="VersionName")
        return {"TotalCount": len(rows), "Versions": listing.page(rows, number, size)}

    def get_version(self, model_id: str, version_name: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._version(model_id, version_name))

    def get_dataset(self, dataset_id: str) -> dict[str, Any]:
        with self._lock:
            dataset = self._datasets.get(dataset_id)
            if dataset is None:
                raise ApiError(404, "DatasetNotFound", f"The dataset {dataset_id!r} does not exist.")
            if dataset.get("WorkspaceId") not in self._workspaces:
                raise ApiError(
                    403, "NoPermission", f"You are not authorized to read the dataset {dataset_id!r} in its workspace."
                )
            return dict(dataset)

    # ---- writes -----------------------------------------------------------------

    def _tick(self) -> str:
        """A modification time strictly after every earlier one, even within one millisecond."""
        self._last_ms = max(int(time.time() * 1000), self._last_ms + 1)
        return iso_millis(self._last_ms)

    def _store_version(self, model_id: str, updated: dict[str, Any]) -> int:
        """Put a changed copy of a version in place, stamped now (lock held); return the generation to await."""
        updated["GmtModifiedTime"] = self._tick()
        self._versions[model_id][updated["VersionName"]] = updated
        self._models[model_id] = {**self._models[model_id], "GmtLatestVersionModifiedTime": updated["GmtModifiedTime"]}
        self._revisions[model_id] = self._next_revision()
        self._generation += 1
        return self._generation

    def update_version(self, model_id: str, version_name: str, body: Any) -> None:
        if not isinstance(body, dict):
            raise invalid_parameter("The request body must be a JSON object.")
        with self._lock:
            current = self._version(model_id, version_name)
            problems = fields.check_update(body, current)
            if problems:
                raise invalid_parameter(f"{problems[0].field}: {problems[0].message}")
            updated = dict(current)
            updated.update({f: body[f] for f in fields.UPDATABLE_FIELDS if f in body})
            generation = self._store_version(model_id, updated)
        self.wait_durable(generation)

    def add_version(self, body: Any) -> dict[str, Any]:
        """POST /_emulator/versions: a new version of the model the body names (additions.py)."""
        ref = additions.model_ref(body)
        with self._lock:
            model = self._models.get(ref) or next((m for m in self._models.values() if m["ModelName"] == ref), None)
            if model is None:
                raise ApiError(404, "ModelNotFound", f"No model has the ModelId or ModelName {ref!r}.")
            mid, versions = model["ModelId"], self._versions[model["ModelId"]]
            latest = versions.get(self._latest.get(mid, ""))
            version = additions.new_version(body, latest=latest, names=set(versions), model_id=mid, now=self._tick())
            generation = self._store_version(mid, version)
            self._latest[mid] = version["VersionName"]
        self.wait_durable(generation)
        return {"ModelId": mid, "ModelName": model["ModelName"], "WorkspaceId": model.get("WorkspaceId"), **version}

    def create_labels(self, model_id: str, version_name: str, body: Any) -> None:
        """Set each label given: a new key is added, an existing key gets the new value."""
        if not isinstance(body, dict):
            raise invalid_parameter("The request body must be a JSON object.")
        with self._lock:
            current = self._version(model_id, version_name)
            problems = labels.check_labels(body.get("Labels"), current.get("Labels") or [])
            if problems:
                raise invalid_parameter(problems[0].message)
            generation = self._set_labels(model_id, current, labels.merge(current.get("Labels") or [], body["Labels"]))
        self.wait_durable(generation)

    def delete_labels(self, model_id: str, version_name: str, label_keys: str | None) -> None:
        """Remove the labels named in `label_keys` ("k1,k2"); keys that are not there are ignored."""
        keys = labels.parse_label_keys(label_keys or "")
        if not keys:
            raise invalid_parameter("LabelKeys must name at least one label key, e.g. LabelKeys=k1,k2.")
        with self._lock:
            current = self._version(model_id, version_name)
            generation = self._set_labels(model_id, current, labels.remove(current.get("Labels") or [], keys))
        self.wait_durable(generation)

    def _set_labels(self, model_id: str, current: dict[str, Any], new: list[dict[str, Any]]) -> int:
        # A call that changes nothing (a missing key deleted, a value set again) leaves
        # the version and its modification time alone, so sync sees no change.
        if new == (current.get("Labels") or []):
            return self._generation  # nothing to write, yet what it read must be on disk
        return self._store_version(model_id, {**current, "Labels": new})

    # ---- group commit ---------------------------------------------------------

    def _snapshot(self) -> tuple[int, Snapshot]:
        with self._lock:
            models = list(self._models.values())
            datasets = list(self._datasets.values())
            versions = [(mid, self._revisions[mid], list(vs.values())) for mid, vs in self._versions.items()]
            return self._generation, Snapshot(models, datasets, versions)

    def _encode(self, snapshot: Snapshot) -> bytes:
        """The whole file; unchanged models' versions come from the previous write's encoding."""
        models, datasets, versions = snapshot
        encoded: dict[str, tuple[int, bytes]] = {}
        parts = []
        for mid, revision, rows in versions:
            cached = self._encoded.get(mid)
            if cached is None or cached[0] != revision:
                cached = (revision, _dumps(rows))
            encoded[mid] = cached
            parts.append(_dumps(mid) + b":" + cached[1])
        self._encoded = encoded
        header = b'{"format":%s,"models":%s,"datasets":%s,"versions":{' % tuple(map(_dumps, (FORMAT, models, datasets)))
        return header + b",".join(parts) + b"}}"

    def wait_durable(self, generation: int) -> None:
        """Return once a file write covering `generation` has completed.

        Group commit: the first waiter becomes the writer and snapshots everything
        applied so far; requests that arrive while it writes wait, and the next
        writer covers all of them at once, so N concurrent updates cost about two
        file writes, not N. An update is answered only after it is on disk.
        """
        while True:
            with self._flush_cond:
                while self._flushing and self._durable < generation:
                    self._flush_cond.wait()
                if self._durable >= generation:
                    return
                self._flushing = True
            covered = 0  # stays 0 if the write fails: nothing is marked durable
            try:
                snapshot_generation, snapshot = self._snapshot()
                atomic_write(self.path, self._encode(snapshot))
                self.writes += 1
                covered = snapshot_generation
            finally:
                with self._flush_cond:
                    self._flushing = False
                    self._durable = max(self._durable, covered)
                    self._flush_cond.notify_all()

    def flush(self) -> None:
        with self._lock:
            generation = self._generation
        self.wait_durable(generation)
