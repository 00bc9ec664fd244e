"""The PAI operations the dashboard uses (the model registry, its labels, GetDataset), over signed HTTP.

No Django imports: settings reach it through approvals/pai_clients.py.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from alibabacloud_credentials.client import Client as CredentialsClient
from alibabacloud_credentials.models import Config as CredentialsConfig

from . import fields, signing
from .errors import PaiError, PaiRequestError, PaiServerError, PaiThrottled, PaiUnavailable
from .labels import as_wire

API_VERSION = "2021-02-04"
USER_AGENT = "pai-model-review/0.1"
logger = logging.getLogger(__name__)


class CredentialsProvider(Protocol):
    """What alibabacloud-credentials' Client offers: asked once per request, so STS tokens rotate."""

    def get_credential(self) -> Any: ...


class Pacer(Protocol):
    """Paces requests per AccessKey (approvals/pai_pacing.py): waits for a slot before each request,
    and hears of PAI's throttling (retry-after in seconds, None when PAI gave none)."""

    def acquire(self, key: str) -> None: ...

    def throttled(self, key: str, retry_after: float | None) -> None: ...


def credentials(access_key_id: str = "", access_key_secret: str = "", security_token: str = "") -> CredentialsProvider:
    """Static AccessKey (or STS) credentials when given, else the default chain."""
    if access_key_id and access_key_secret:
        kind = "sts" if security_token else "access_key"
        return CredentialsClient(
            CredentialsConfig(
                type=kind,
                access_key_id=access_key_id,
                access_key_secret=access_key_secret,
                security_token=security_token or None,
            )
        )
    return CredentialsClient()


@dataclass(frozen=True)
class Page:
    total_count: int
    items: list[dict[str, Any]]
    request_id: str


class PaiClient:
    def __init__(
        self,
        *,
        endpoint: str,
        credentials: CredentialsProvider,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        session: requests.Session | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        if "://" not in endpoint:
            endpoint = f"https://{endpoint}"
        parts = urlsplit(endpoint)
        self.base_url = f"{parts.scheme}://{parts.netloc}"
        self.host = parts.netloc
        self.timeout = (connect_timeout, read_timeout)
        self._credentials = credentials
        self._session = session or requests.Session()
        self._pacer = pacer

    # The model registry.
    def list_models_page(self, *, workspace_id: str, page_number: int, page_size: int = 100, **filters: str) -> Page:
        query = {**filters, "WorkspaceId": workspace_id, "PageNumber": page_number, "PageSize": page_size}
        data = self._call("ListModels", "GET", ["api", "v1", "models"], query=query)
        return Page(int(data.get("TotalCount") or 0), list(data.get("Models") or []), data.get("RequestId", ""))

    def list_models(self, *, workspace_id: str, page_size: int = 100, **filters: str) -> Iterator[dict[str, Any]]:
        return _every_page(
            lambda n: self.list_models_page(workspace_id=workspace_id, page_number=n, page_size=page_size, **filters),
            page_size,
        )

    def list_model_versions_page(
        self, model_id: str, *, page_number: int, page_size: int = 100, **filters: str
    ) -> Page:
        query = {**filters, "PageNumber": page_number, "PageSize": page_size}
        data = self._call("ListModelVersions", "GET", ["api", "v1", "models", model_id, "versions"], query=query)
        return Page(int(data.get("TotalCount") or 0), list(data.get("Versions") or []), data.get("RequestId", ""))

    def list_model_versions(self, model_id: str, *, page_size: int = 100, **filters: str) -> Iterator[dict[str, Any]]:
        return _every_page(
            lambda n: self.list_model_versions_page(model_id, page_number=n, page_size=page_size, **filters),
            page_size,
        )

    def get_model(self, model_id: str) -> dict[str, Any]:
        return self._call("GetModel", "GET", ["api", "v1", "models", model_id])

    def get_model_version(self, model_id: str, version_name: str) -> dict[str, Any]:
        return self._call("GetModelVersion", "GET", ["api", "v1", "models", model_id, "versions", version_name])

    def update_model_version(self, model_id: str, version_name: str, fields_: Mapping[str, Any]) -> str:
        """Send the given fields (PAI replaces each whole); return PAI's RequestId."""
        unknown = set(fields_) - set(fields.UPDATABLE_FIELDS)
        if unknown:
            raise ValueError(f"UpdateModelVersion does not take {', '.join(sorted(unknown))}")
        data = self._call(
            "UpdateModelVersion", "PUT", ["api", "v1", "models", model_id, "versions", version_name], body=dict(fields_)
        )
        return data.get("RequestId", "")

    # Labels. The values are not checked here: PAI is the judge (approvals.pai.labels has its rules).
    def create_model_version_labels(
        self, model_id: str, version_name: str, labels: Mapping[str, str] | Iterable[tuple[str, str]]
    ) -> str:
        """Set labels on a version (the emulator replaces an existing key's value); return PAI's RequestId."""
        body = {"Labels": as_wire(labels)}
        segments = ["api", "v1", "models", model_id, "versions", version_name, "labels"]
        return self._call("CreateModelVersionLabels", "POST", segments, body=body).get("RequestId", "")

    def delete_model_version_labels(self, model_id: str, version_name: str, keys: Sequence[str]) -> str:
        """Remove the labels with these keys (the emulator ignores missing ones); return PAI's RequestId."""
        if isinstance(keys, str):
            raise TypeError("keys must be a sequence of label keys, not one string")
        keys = list(keys)
        # LabelKeys is comma-separated: a key with a comma would delete other labels, an empty
        # list has no documented meaning. Neither is sent.
        if not keys or any("," in key for key in keys):
            raise ValueError("DeleteModelVersionLabels needs one or more label keys, none containing a comma")
        segments = ["api", "v1", "models", model_id, "versions", version_name, "labels"]
        query = {"LabelKeys": ",".join(keys)}
        return self._call("DeleteModelVersionLabels", "DELETE", segments, query=query).get("RequestId", "")

    # Datasets, to name the ones that Metrics refer to.
    def get_dataset(self, dataset_id: str) -> dict[str, Any] | None:
        """The dataset, or None when PAI will not show it (403) or has none (404): a name is a nicety, never an error.

        Throttling, 5xx and transport failures still raise, as every call does.
        """
        try:
            return self._call("GetDataset", "GET", ["api", "v1", "datasets", dataset_id])
        except PaiRequestError as error:
            if error.status in (403, 404):
                return None
            raise

    # The wire.
    def _call(
        self,
        action: str,
        method: str,
        segments: list[str],
        *,
        query: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        if self._pacer is None:
            return self._send(action, method, segments, query, body)
        try:
            return self._send(action, method, segments, query, body)
        except PaiThrottled as exc:
            if exc.status is None:
                raise  # the pacer's own refusal (its next slot is too far off): nothing was sent
            # Not applied (PAI refuses before it acts), and the pacer now holds every request
            # until the retry-after: one more try, paced, then the caller's own backoff.
            return self._send(action, method, segments, query, body)

    def _send(
        self,
        action: str,
        method: str,
        segments: list[str],
        query: Mapping[str, Any] | None,
        body: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        path = signing.encode_path(segments)
        params = {k: str(v) for k, v in (query or {}).items() if v is not None}
        payload = fields.serialize(body).encode("utf-8") if body is not None else b""
        headers = {
            "host": self.host,
            "accept": "application/json",
            "user-agent": USER_AGENT,
            "x-acs-action": action,
            "x-acs-version": API_VERSION,
            "x-acs-date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "x-acs-signature-nonce": uuid.uuid4().hex,
        }
        if body is not None:
            headers["content-type"] = "application/json; charset=utf-8"
        cred = self._credentials.get_credential()
        if getattr(cred, "security_token", None):
            headers["x-acs-security-token"] = cred.security_token
        signed = signing.sign(
            method=method,
            canonical_uri=path,
            query=params,
            headers=headers,
            body=payload,
            access_key_id=cred.access_key_id,
            access_key_secret=cred.access_key_secret,
        )
        url = self.base_url + path + (f"?{signing.canonical_query(params)}" if params else "")
        if self._pacer is not None:
            self._pacer.acquire(cred.access_key_id)
        started = time.monotonic()
        try:
            response = self._session.request(method, url, data=payload or None, headers=signed, timeout=self.timeout)
        except requests.Timeout as exc:
            self._log(action, method, path, "timeout", "", started)
            raise PaiUnavailable(f"{action} timed out ({type(exc).__name__}); it may have been applied") from None
        except requests.RequestException as exc:
            self._log(action, method, path, "unreachable", "", started)
            raise PaiUnavailable(f"{action} could not reach PAI ({type(exc).__name__})") from None
        data = _json_or_empty(response)
        request_id = data.get("RequestId") or response.headers.get("x-acs-request-id", "")
        self._log(action, method, path, response.status_code, request_id, started)
        if response.status_code >= 400:
            error = _error_for(response, data, request_id)
            if self._pacer is not None and isinstance(error, PaiThrottled):
                self._pacer.throttled(cred.access_key_id, error.retry_after)
            raise error
        return data

    @staticmethod
    def _log(action: str, method: str, path: str, status: object, request_id: str, started: float) -> None:
        # Names what happened and nothing secret: no headers, no credentials, no body.
        logger.info(
            "pai action=%s %s %s status=%s request_id=%s duration_ms=%.0f",
            action,
            method,
            path,
            status,
            request_id or "-",
            (time.monotonic() - started) * 1000,
        )


def _every_page(fetch: Callable[[int], Page], page_size: int) -> Iterator[dict[str, Any]]:
    number = 1
    while True:
        page = fetch(number)
        yield from page.items
        if not page.items or number * page_size >= page.total_count:
            return
        number += 1


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except (ValueError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _error_for(response: requests.Response, data: Mapping[str, Any], request_id: str) -> PaiError:
    status = response.status_code
    code = str(data.get("Code") or "")
    message = str(data.get("Message") or response.reason or "no message")
    kwargs = {"status": status, "code": code, "request_id": request_id}
    if status == 429 or code.startswith("Throttling"):
        retry_after = response.headers.get("x-acs-retry-after", "")
        seconds = int(retry_after) / 1000 if retry_after.isdigit() else None
        return PaiThrottled(message, retry_after=seconds, **kwargs)
    if status >= 500:
        return PaiServerError(message, **kwargs)
    return PaiRequestError(message, **kwargs)
