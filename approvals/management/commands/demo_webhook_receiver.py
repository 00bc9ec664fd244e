"""`make run`'s webhook receiver: checks each message's Standard Webhooks signature and logs it.

One JSON line per request in the log: when, the message id, its type, whether the
signature held, whether the id was seen before (receivers deduplicate by it), and
the message's text. Only for the demo: it listens on loopback and trusts nothing.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from approvals.services.channel_transports import webhook_signature

# Standard Webhooks' tolerance for a message's timestamp.
TOLERANCE_SECONDS = 5 * 60


def verified(secret: str, headers: Any, body: bytes) -> bool:
    message_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not message_id or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    expected = webhook_signature(secret, message_id, int(timestamp), body)
    offered = headers.get("webhook-signature", "").split(" ")
    return any(hmac.compare_digest(expected, signature) for signature in offered)


class Command(BaseCommand):
    help = "Receive the demo channel's webhooks on loopback, check their signatures, and log them to a file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8790)
        parser.add_argument("--log", required=True, help="The file each received message is appended to.")
        parser.add_argument("--secret", required=True, help="The channel's whsec_ secret.")

    def handle(self, *args: Any, **options: Any) -> None:
        log, secret = Path(options["log"]), options["secret"]
        seen: set[str] = set()
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(min(int(self.headers.get("Content-Length") or 0), 10 * 1024 * 1024))
                ok = verified(secret, self.headers, body)
                try:
                    message = json.loads(body) if ok else {}
                except ValueError:
                    message, ok = {}, False
                message_id = self.headers.get("webhook-id", "")
                with lock:
                    duplicate = message_id in seen
                    if ok:
                        seen.add(message_id)
                    line = {
                        "received_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "id": message_id,
                        "type": message.get("type"),
                        "signature_ok": ok,
                        "duplicate": duplicate,
                        "text": (message.get("data") or {}).get("text"),
                    }
                    with log.open("a", encoding="utf-8") as out:
                        out.write(json.dumps(line, ensure_ascii=False) + "\n")
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

        server = ThreadingHTTPServer(("127.0.0.1", options["port"]), Handler)
        self.stdout.write(f"Demo webhook receiver on http://127.0.0.1:{options['port']}/, logging to {log}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
