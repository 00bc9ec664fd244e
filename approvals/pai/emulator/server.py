"""The emulator server: PAI's model-registry operations, GetDataset, and control endpoints.

Control endpoints (/_emulator/faults, /_emulator/rate-limit, /_emulator/stats, and
POST /_emulator/versions, which registers a new version as a training job would) need
no signature, so the server must only ever listen on loopback.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .auth import AccessKey, Verifier
from .errors import ApiError, invalid_parameter, throttled
from .faults import FaultInjector, Faults
from .handler import Handler, HTTPServer, lower_headers, parse_json, parse_query
from .ratelimit import RateLimiter
from .seed import demo_registry, synthetic_registry
from .seed_datasets import demo_datasets
from .store import Store

# Only a write can be "applied, then lost in transit"; reads answer promptly.
WRITES = ("UpdateModelVersion", "CreateModelVersionLabels", "DeleteModelVersionLabels")


class EmulatorServer:
    """The PAI model-registry emulator (with GetDataset), started in a background thread.

    `seed` ("demo") or `seed_size` fill the data file only when it is missing or
    empty, unless `reset` is true.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        data_path: str | os.PathLike[str],
        access_keys: Mapping[str, str | tuple[str, str | None] | AccessKey],
        seed: str | None = None,
        seed_size: int | None = None,
        seed_large_model: int = 0,
        reset: bool = False,
        faults: Faults | Mapping[str, Any] | None = None,
        random_seed: int | None = None,
        rate_limit: float = 0.0,
        rate_burst: int | None = None,
        log_requests: bool = False,
    ) -> None:
        if seed not in (None, "demo"):
            raise ValueError(f"unknown seed {seed!r}; the only seed is 'demo'")
        self.host, self.port = host, port
        self.store = Store(Path(data_path))
        self.verifier = Verifier(access_keys)
        self.injector = FaultInjector(faults, random_seed)
        self.rate_limiter = RateLimiter(rate_limit, rate_burst)
        self.seed, self.seed_size, self.reset = seed, seed_size, reset
        self.seed_large_model = seed_large_model
        self.log_requests = log_requests
        self.seeded = False
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def faults(self) -> Faults:
        return self.injector.faults

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the emulator is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"

    @property
    def endpoint(self) -> str:
        """host:port, as the official SDK's Config(endpoint=...) wants it."""
        return self.url.removeprefix("http://")

    def prepare(self) -> None:
        """Load the data file, seeding it first when asked to and it is empty; create it if missing."""
        data = self.store.read_file()
        wants_seed = self.seed is not None or self.seed_size is not None
        if data is not None and not (wants_seed and (self.reset or not data["models"])):
            self.store.load(data)
            return
        self.store.path.parent.mkdir(parents=True, exist_ok=True)
        datasets: list[dict[str, Any]] = []
        if wants_seed:
            models, versions = (
                synthetic_registry(self.seed_size, large_model=self.seed_large_model)
                if self.seed_size
                else demo_registry()
            )
            if not self.seed_size:
                datasets = demo_datasets(models, versions)
            self.seeded = True
        else:
            models, versions = [], {}
        self.store.replace_all(models, versions, datasets)
        self.store.flush()

    def start(self) -> EmulatorServer:
        self.prepare()
        self._stopping.clear()
        self._httpd = HTTPServer((self.host, self.port), Handler)
        self._httpd.emulator = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="pai-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake stalled requests, and flush the data file."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.store.flush()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- request handling -------------------------------------------------------

    def _sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def call(
        self,
        action: str,
        path_params: list[str],
        method: str,
        raw_path: str,
        raw_query: str,
        raw_headers: Any,
        body: bytes,
    ) -> dict[str, Any]:
        faults = self.faults
        fault = self.injector.before(action)
        if faults.latency_ms > 0:
            self._sleep(faults.latency_ms / 1000)
        if fault == "unavailable":
            raise ApiError(
                503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."
            )
        if fault == "throttle":
            raise throttled(faults.throttle_retry_after_ms)
        query = parse_query(raw_query)
        headers = lower_headers(raw_headers)
        key_id = self.verifier.verify(method=method, raw_path=raw_path, query=query, headers=headers, body=body)
        self.rate_limiter.check(key_id)  # per account, as PAI throttles; only signed requests count
        result = self._dispatch(action, path_params, query, body)
        if action in WRITES and self.injector.stall_after():
            self._sleep(faults.stall_seconds)  # the change is applied; the client sees only a timeout
        return result

    def _dispatch(self, action: str, path: list[str], query: dict[str, str], body: bytes) -> dict[str, Any]:
        store = self.store
        if action == "ListModels":
            return store.list_models(query)
        if action == "GetModel":
            return store.get_model(path[0])
        if action == "ListModelVersions":
            return store.list_versions(path[0], query)
        if action == "GetModelVersion":
            return store.get_version(path[0], path[1])
        if action == "GetDataset":
            return store.get_dataset(path[0])
        if action == "CreateModelVersionLabels":
            store.create_labels(path[0], path[1], parse_json(body))
        elif action == "DeleteModelVersionLabels":
            store.delete_labels(path[0], path[1], query.get("LabelKeys"))
        else:
            store.update_version(path[0], path[1], parse_json(body))
        return {}

    def control(self, method: str, raw_path: str, body: bytes) -> dict[str, Any]:
        if raw_path == "/_emulator/faults" and method == "GET":
            return self.faults.to_dict()
        if raw_path == "/_emulator/faults" and method == "PUT":
            changes = parse_json(body)
            if not isinstance(changes, dict):
                raise invalid_parameter("The body must be a JSON object of fault settings.")
            try:
                self.faults.update(changes)
            except ValueError as exc:
                raise invalid_parameter(str(exc)) from None
            return self.faults.to_dict()
        if raw_path == "/_emulator/rate-limit" and method == "GET":
            return self.rate_limiter.to_dict()
        if raw_path == "/_emulator/rate-limit" and method == "PUT":
            changes = parse_json(body)
            if not isinstance(changes, dict):
                raise invalid_parameter("The body must be a JSON object: rate, and optionally burst.")
            try:
                self.rate_limiter.update(changes)
            except ValueError as exc:
                raise invalid_parameter(str(exc)) from None
            return self.rate_limiter.to_dict()
        if raw_path == "/_emulator/stats" and method == "GET":
            return {**self.injector.stats(), **self.store.counts(), "file_writes": self.store.writes}
        if raw_path == "/_emulator/stats" and method == "DELETE":
            self.injector.reset_stats()
            return self.injector.stats()
        if raw_path == "/_emulator/versions" and method == "POST":
            return {"Version": self.store.add_version(parse_json(body))}
        if raw_path in ("/_emulator/faults", "/_emulator/rate-limit", "/_emulator/stats", "/_emulator/versions"):
            raise ApiError(405, "UnsupportedHTTPMethod", f"Method {method} is not allowed on {raw_path}.")
        raise ApiError(404, "InvalidAction.NotFound", f"No control endpoint {raw_path[:80]}.")
