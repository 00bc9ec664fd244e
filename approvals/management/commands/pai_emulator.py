"""`python manage.py pai_emulator`: serve the local PAI model-registry emulator."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from approvals.pai.emulator import EmulatorServer

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Command(BaseCommand):
    help = (
        "Serve PAI's model-registry API (ListModels, GetModel, ListModelVersions, GetModelVersion, "
        "UpdateModelVersion) on loopback, with ACS3-HMAC-SHA256 signature checks, fault injection and an "
        "optional rate limit per AccessKey."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Listen address; keep it on loopback.")
        parser.add_argument("--port", type=int, default=8765, help="Port (0 picks a free one).")
        parser.add_argument("--data", default="var/pai-emulator.json", help="JSON data file (created if missing).")
        parser.add_argument(
            "--seed",
            choices=["demo"],
            help="Fill the data file with the demo registry, but only when the file does not exist or is empty "
            "(use --reset to replace existing data).",
        )
        parser.add_argument(
            "--seed-size",
            type=int,
            help="Instead of the demo data, N synthetic versions over N/50 models (benchmarks); "
            "also only into a missing or empty file unless --reset.",
        )
        parser.add_argument(
            "--seed-large-model",
            type=int,
            default=0,
            metavar="N",
            help="With --seed-size: the first synthetic model holds N versions instead of its share.",
        )
        parser.add_argument("--reset", action="store_true", help="Seed even if the data file already has data.")
        parser.add_argument("--access-key-id", default=settings.EMULATOR_ACCESS_KEY_ID, help="Accepted AccessKeyId.")
        parser.add_argument(
            "--access-key-secret", default=settings.EMULATOR_ACCESS_KEY_SECRET, help="Its AccessKey secret."
        )
        parser.add_argument("--latency-ms", type=int, default=0, help="Delay every API answer by this much.")
        parser.add_argument("--unavailable-rate", type=float, default=0.0, help="Share of 503 ServiceUnavailable.")
        parser.add_argument("--throttle-rate", type=float, default=0.0, help="Share of 429 Throttling.User.")
        parser.add_argument("--throttle-retry-after-ms", type=int, default=1000, help="x-acs-retry-after value.")
        parser.add_argument(
            "--stall-rate", type=float, default=0.0, help="Share of requests applied, then answered only late."
        )
        parser.add_argument("--stall-seconds", type=float, default=5.0, help="How late a stalled answer comes.")
        parser.add_argument("--fault-seed", type=int, help="Random seed for the faults, for repeatable runs.")
        parser.add_argument(
            "--rate-limit",
            type=float,
            default=0.0,
            metavar="R",
            help="Requests per second allowed to each AccessKey, then 429 Throttling.User (0, the default: no limit).",
        )
        parser.add_argument(
            "--rate-burst", type=int, metavar="N", help="Requests an AccessKey may send at once (default: the rate)."
        )
        parser.add_argument("--log-requests", action="store_true", help="Log every request to stderr.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seed_size"] is not None and options["seed_size"] < 1:
            raise CommandError("--seed-size must be at least 1")
        if options["host"] not in LOOPBACK:
            self.stderr.write("Warning: the control endpoints (/_emulator/...) take no signature; listen on loopback.")
        faults = {
            "latency_ms": options["latency_ms"],
            "unavailable_rate": options["unavailable_rate"],
            "throttle_rate": options["throttle_rate"],
            "throttle_retry_after_ms": options["throttle_retry_after_ms"],
            "stall_rate": options["stall_rate"],
            "stall_seconds": options["stall_seconds"],
        }
        try:
            server = EmulatorServer(
                host=options["host"],
                port=options["port"],
                data_path=options["data"],
                access_keys={options["access_key_id"]: options["access_key_secret"]},
                seed="demo" if options["seed"] else None,
                seed_size=options["seed_size"],
                seed_large_model=options["seed_large_model"],
                reset=options["reset"],
                faults=faults,
                random_seed=options["fault_seed"],
                rate_limit=options["rate_limit"],
                rate_burst=options["rate_burst"],
                log_requests=options["log_requests"],
            )
            server.start()
        except (ValueError, OSError) as exc:
            raise CommandError(f"cannot start the PAI emulator: {exc}") from exc
        counts = server.store.counts()
        seeded = " (seeded)" if server.seeded else ""
        self.stdout.write(
            f"PAI emulator at {server.url} key {options['access_key_id']}: "
            f"{counts['models']} models, {counts['versions']} versions in {options['data']}{seeded}"
        )
        self.stdout.flush()
        self._serve_until_signal(server)

    def _serve_until_signal(self, server: EmulatorServer) -> None:
        """Block until SIGTERM or Ctrl-C, then stop and flush the data file."""
        done = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda *_: done.set())
        try:
            while not done.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            server.stop()
            self.stdout.write("PAI emulator stopped; data flushed.")
