"""HTTP plumbing of the emulator: parsing requests, routing, writing JSON answers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from .errors import ApiError, invalid_parameter, new_request_id

if TYPE_CHECKING:
    from .server import EmulatorServer

MAX_BODY_BYTES = 1 << 20
JSON_TYPE = "application/json;charset=utf-8"
# Path shapes after /api/v1 ("{}" is a parameter) -> {method: action}.
ROUTES: dict[tuple[str, ...], dict[str, str]] = {
    ("models",): {"GET": "ListModels"},
    ("models", "{}"): {"GET": "GetModel"},
    ("models", "{}", "versions"): {"GET": "ListModelVersions"},
    ("models", "{}", "versions", "{}"): {"GET": "GetModelVersion", "PUT": "UpdateModelVersion"},
    ("models", "{}", "versions", "{}", "labels"): {
        "POST": "CreateModelVersionLabels",
        "DELETE": "DeleteModelVersionLabels",
    },
    ("datasets", "{}"): {"GET": "GetDataset"},
}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(body: bytes) -> Any:
    """Strict JSON: UTF-8, no NaN/Infinity (they could not be written back as JSON)."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise invalid_parameter("The request body is not valid JSON.") from None


def parse_query(raw: str) -> dict[str, str]:
    try:
        return dict(parse_qsl(raw, keep_blank_values=True, errors="strict", max_num_fields=200))
    except (ValueError, UnicodeDecodeError):
        raise invalid_parameter("The query string is malformed.") from None


def _not_found() -> ApiError:
    return ApiError(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")


def _matches(shape: tuple[str, ...], segments: list[str]) -> bool:
    return len(shape) == len(segments) and all(s in ("{}", seg) for s, seg in zip(shape, segments, strict=True))


def route(raw_path: str, method: str) -> tuple[str, list[str]]:
    """Return (action, decoded path parameters) or raise 404/405."""
    parts = raw_path.split("/")[1:]
    if parts[:2] != ["api", "v1"]:
        raise _not_found()
    rest = parts[2:]
    shape = next((shape for shape in ROUTES if _matches(shape, rest)), None)
    if shape is None:
        raise _not_found()
    methods = ROUTES[shape]
    params = [p for s, p in zip(shape, rest, strict=True) if s == "{}"]
    if any(p == "" for p in params):
        raise _not_found()
    action = methods.get(method)
    if action is None:
        allowed = ", ".join(methods)
        raise ApiError(
            405, "UnsupportedHTTPMethod", f"Method {method} is not allowed here; use {allowed}.", {"Allow": allowed}
        )
    try:
        return action, [unquote(p, errors="strict") for p in params]
    except UnicodeDecodeError:
        raise invalid_parameter("The path is not valid percent-encoded UTF-8.") from None


def lower_headers(raw: Any) -> dict[str, str]:
    """Headers by lowercase name; repeated headers joined as the SDK's signer joins them."""
    grouped: dict[str, list[str]] = {}
    for name, value in raw.items():
        grouped.setdefault(name.lower(), []).append(value.strip())
    return {name: ",".join(sorted(values)) for name, values in grouped.items()}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Keep-alive clients would otherwise wait ~40 ms per answer (Nagle meets delayed ACK).
    disable_nagle_algorithm = True
    server: HTTPServer
    error_content_type = JSON_TYPE

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.server.emulator.log_requests:
            super().log_request(code, size)

    def do_GET(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level failures (bad request line, huge headers) still answer in Alibaba's shape."""
        self.close_connection = True
        error = ApiError(code, "InvalidRequest" if code < 500 else "InternalError", message or "Bad request.")
        headers = getattr(self, "headers", None)
        self._send(error.status, error.body(new_request_id(), headers.get("host", "") if headers else ""))

    # ---- plumbing ---------------------------------------------------------------

    def _read_body(self) -> bytes:
        raw_length = self.headers.get("content-length")
        if self.headers.get("transfer-encoding"):
            self.close_connection = True
            raise ApiError(411, "MissingContentLength", "Send the body with a Content-Length, not chunked.")
        if raw_length is None:
            return b""
        if not raw_length.isdigit():
            self.close_connection = True
            raise invalid_parameter("Content-Length is not a number.")
        if int(raw_length) > MAX_BODY_BYTES:
            self.close_connection = True
            raise ApiError(413, "RequestEntityTooLarge", f"The body is larger than {MAX_BODY_BYTES} bytes.")
        return self.rfile.read(int(raw_length))

    def _send(
        self, status: int, payload: Any, headers: Mapping[str, str] | None = None, request_id: str | None = None
    ) -> None:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", JSON_TYPE)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-acs-request-id", payload.get("RequestId") or request_id or new_request_id())
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. a read timeout during a stall)

    def _handle(self) -> None:
        request_id = new_request_id()
        host = self.headers.get("host", "")
        raw_path, _, raw_query = self.path.partition("?")
        emulator = self.server.emulator
        counted = False
        try:
            body = self._read_body()
            if raw_path.startswith("/_emulator/"):
                self._send(200, emulator.control(self.command, raw_path, body), request_id=request_id)
                return
            action, path_params = route(raw_path, self.command)
            counted = True
            payload = emulator.call(action, path_params, self.command, raw_path, raw_query, self.headers, body)
            payload["RequestId"] = request_id
            emulator.injector.count_response(200, None)
            self._send(200, payload)
        except ApiError as error:
            if counted:
                emulator.injector.count_response(error.status, error.code)
            self._send(error.status, error.body(request_id, host), error.headers)
        except Exception as exc:  # a bug or a failed disk write; still JSON, never a traceback
            emulator.injector.count_response(500, "InternalError")
            self.log_error("internal error: %r", exc)
            self._send(500, ApiError(500, "InternalError", "The request processing has failed.").body(request_id, host))


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when many clients connect at once.
    request_queue_size = 512
    emulator: EmulatorServer
