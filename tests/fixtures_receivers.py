"""Real receivers on loopback for notifications and the audit stream.

`ChannelReceiver` is an HTTP server in a thread that checks each message's signature
as its kind of receiver would: Standard Webhooks through the third-party
`standardwebhooks` package, and DingTalk's, WeCom's and Lark's robots as their
documentation defines. It can be told to be down, to answer 500 or 429 with
Retry-After, or to hang. `SyslogReceiver` reads RFC 5424 messages framed by octet
counting over TCP.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import re
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"test-webhook-secret-of-32-bytes!").decode()
DINGTALK_SECRET = "SECtest-dingtalk-signing-secret"
LARK_SECRET = "test-lark-signature-secret"
WECOM_KEY = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
# Robots' documented tolerances: DingTalk an hour, Lark an hour.
ROBOT_CLOCK_TOLERANCE_SECONDS = 3600


def dingtalk_expected_sign(timestamp: str, secret: str) -> str:
    # As DingTalk's documentation signs: HMAC-SHA256(secret, timestamp + "\n" + secret), base64.
    string_to_sign = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), string_to_sign, digestmod=hashlib.sha256).digest()).decode()


def lark_expected_sign(timestamp: str, secret: str) -> str:
    # As Lark's documentation signs: the key is timestamp + "\n" + secret, the message empty.
    string_to_sign = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(string_to_sign, digestmod=hashlib.sha256).digest()).decode()


class ChannelReceiver:
    """mode: "ok", "500", "429" (Retry-After: retry_after), "hang" (no answer for hang_seconds)."""

    def __init__(self, kind: str = "webhook", *, secret: str = "") -> None:
        self.kind = kind
        self.secret = secret or {"webhook": WEBHOOK_SECRET, "dingtalk": DINGTALK_SECRET, "lark": LARK_SECRET}.get(
            kind, ""
        )
        self.mode = "ok"
        self.fail_first = 0  # answer 500 to this many requests first, then as `mode` says
        self.retry_after = 1
        self.hang_seconds = 5.0
        self.lock = threading.Lock()
        self.received: list[dict[str, Any]] = []  # verified messages, duplicates included
        self.refused: list[str] = []  # why a message's signature was refused
        self.requests = 0
        self.server: ThreadingHTTPServer | None = None
        self.port = 0

    # --- what the tests read --------------------------------------------------------
    @property
    def url(self) -> str:
        path = {
            "webhook": "/hooks/review",
            "dingtalk": "/robot/send?access_token=dingtalk-access-token-0123456789",
            "wecom": f"/cgi-bin/webhook/send?key={WECOM_KEY}",
            "lark": "/open-apis/bot/v2/hook/lark-hook-token-0123456789abcdef",
        }[self.kind]
        return f"http://127.0.0.1:{self.port}{path}"

    def ids(self) -> list[str]:
        with self.lock:
            return [m["id"] for m in self.received]

    def unique(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            return {m["id"]: m for m in self.received}

    # --- lifecycle --------------------------------------------------------------------
    def start(self, port: int = 0) -> ChannelReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.requests += 1
                    mode = "500" if receiver.requests <= receiver.fail_first else receiver.mode
                if mode == "hang":
                    time.sleep(receiver.hang_seconds)
                    return
                if mode == "500":
                    return self._answer(500, {"error": "boom"})
                if mode == "429":
                    return self._answer(429, {"error": "slow down"}, {"Retry-After": str(receiver.retry_after)})
                status, reply = receiver.check(self.path, dict(self.headers.items()), body)
                self._answer(status, reply)

            def _answer(self, status: int, reply: dict, headers: dict | None = None) -> None:
                raw = json.dumps(reply).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    # --- checking signatures as each receiver does ------------------------------------
    def _keep(self, message_id: str, payload: dict[str, Any]) -> None:
        with self.lock:
            self.received.append({"id": message_id, "payload": payload})

    def _refuse(self, why: str) -> None:
        with self.lock:
            self.refused.append(why)

    def check(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        query = parse_qs(urlsplit(path).query)
        payload = json.loads(body)
        if self.kind == "webhook":
            try:
                verified = Webhook(self.secret).verify(body, headers)
            except WebhookVerificationError as exc:
                self._refuse(str(exc))
                return 401, {"error": "bad signature"}
            self._keep(headers.get("webhook-id") or headers["Webhook-Id"], verified)
            return 200, {}
        if self.kind == "dingtalk":
            timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
            fresh = (
                timestamp.isdigit() and abs(time.time() * 1000 - int(timestamp)) < ROBOT_CLOCK_TOLERANCE_SECONDS * 1000
            )
            if not fresh or sign != dingtalk_expected_sign(timestamp, self.secret):
                self._refuse("dingtalk sign")
                return 200, {"errcode": 310000, "errmsg": "sign not match"}
            text = payload["markdown"]["text"]
            self._keep(re.findall(r"msg_\d+", text)[-1], payload)
            return 200, {"errcode": 0, "errmsg": "ok"}
        if self.kind == "wecom":
            if query.get("key", [""])[0] != WECOM_KEY:
                self._refuse("wecom key")
                return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
            self._keep(re.findall(r"msg_\d+", payload["markdown"]["content"])[-1], payload)
            return 200, {"errcode": 0, "errmsg": "ok"}
        timestamp, sign = str(payload.get("timestamp", "")), payload.get("sign", "")
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < ROBOT_CLOCK_TOLERANCE_SECONDS
        if not fresh or sign != lark_expected_sign(timestamp, self.secret):
            self._refuse("lark sign")
            return 200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}
        self._keep(re.findall(r"msg_\d+", payload["content"]["text"])[-1], payload)
        return 200, {"code": 0, "msg": "success", "data": {}}


@pytest.fixture
def webhook_receiver() -> Iterator[ChannelReceiver]:
    receiver = ChannelReceiver("webhook").start()
    yield receiver
    receiver.stop()


FRAME = re.compile(rb"^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) (\[.*?(?<!\\)\]) \xef\xbb\xbf(.*)$", re.DOTALL)
SD_PARAM = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_syslog(message: bytes) -> dict[str, Any]:
    """One RFC 5424 message: PRI, the header's fields, the structured data's params, the JSON body."""
    match = FRAME.match(message)
    assert match, f"not an RFC 5424 message: {message[:200]!r}"
    pri, stamp, host, app, procid, msgid, sd, msg = match.groups()
    params = {k: re.sub(r"\\(.)", r"\1", v) for k, v in SD_PARAM.findall(sd.decode())}
    return {
        "pri": int(pri),
        "timestamp": stamp.decode(),
        "host": host.decode(),
        "app": app.decode(),
        "procid": procid.decode(),
        "msgid": msgid.decode(),
        "sd_id": sd.decode()[1:].split(" ", 1)[0],
        "params": params,
        "event": json.loads(msg.decode("utf-8")),
    }


class SyslogReceiver:
    """TCP syslog with octet-counting framing; `fail_after` drops a connection after that many messages once."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.tls = tls
        self.down = False
        self.server: socketserver.ThreadingTCPServer | None = None
        self.port = 0

    def start(self) -> SyslogReceiver:
        receiver = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                if receiver.down:
                    return  # accepted and closed at once: nothing read
                buffer = b""
                self.request.settimeout(5)
                if receiver.tls is not None:
                    self.request = receiver.tls.wrap_socket(self.request, server_side=True)
                while True:
                    try:
                        chunk = self.request.recv(65536)
                    except OSError:
                        return
                    if not chunk:
                        break
                    buffer += chunk
                while buffer:
                    length, _, rest = buffer.partition(b" ")
                    size = int(length)
                    message, buffer = rest[:size], rest[size:]
                    assert len(message) == size, "a frame was cut"
                    with receiver.lock:
                        receiver.messages.append(parse_syslog(message))

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def seqs(self) -> list[int]:
        with self.lock:
            return [int(m["params"]["seq"]) for m in self.messages]

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


def self_signed_tls(directory: Any) -> tuple[ssl.SSLContext, str]:
    """A server context with a new certificate for 127.0.0.1, and the path of that certificate (the CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = f"{directory}/syslog-cert.pem", f"{directory}/syslog-key.pem"
    with open(cert_path, "wb") as out:
        out.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context, cert_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HecReceiver:
    """Splunk's HTTP Event Collector as a receiver sees it: a token, then JSON objects one after another.

    `fail_requests` is the set of request numbers (1-based) answered 503, e.g. {2, 3}.
    """

    def __init__(self, token: str) -> None:
        self.token = token
        self.events: list[dict[str, Any]] = []
        self.fail_requests: set[int] = set()
        self.requests = 0
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/services/collector/event"

    def start(self) -> HecReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.requests += 1
                    number = receiver.requests
                if self.headers.get("Authorization") != f"Splunk {receiver.token}":
                    return self._answer(401, {"text": "Invalid token", "code": 4})
                if number in receiver.fail_requests:
                    return self._answer(503, {"text": "Server is busy", "code": 9})
                decoder, text, position = json.JSONDecoder(), body.decode(), 0
                batch = []
                while position < len(text):
                    obj, position = decoder.raw_decode(text, position)
                    batch.append(obj)
                    while position < len(text) and text[position].isspace():
                        position += 1
                with receiver.lock:
                    receiver.events.extend(batch)
                self._answer(200, {"text": "Success", "code": 0})

            def _answer(self, status: int, reply: dict) -> None:
                raw = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def seqs(self) -> list[int]:
        with self.lock:
            return [e["event"]["seq"] for e in self.events]

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
