"""Before Django starts: a dedicated database, the environment every process of the
run shares, and the emulator's data (every version Pending, so each can be decided)."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from approvals.pai.emulator.seed import synthetic_registry
from approvals.pai.emulator.store import Store
from tests.fixtures_pai import PAI_KEY_ID, PAI_KEY_SECRET

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


def postgres_reachable(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((parts.hostname or "127.0.0.1", parts.port or 5432)) == 0


def choose_database(kind: str) -> str:
    """ "postgres", "sqlite" or "auto": PostgreSQL when DATABASE_URL names it or one listens locally."""
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        server = DEFAULT_POSTGRES
    if kind == "auto":
        kind = "postgres" if postgres_reachable(server) else "sqlite"
    return server if kind == "postgres" else "sqlite"


def _admin_connect(server: str):
    import psycopg

    parts = urlsplit(server)
    admin = urlunsplit((parts.scheme.replace("postgres", "postgresql"), parts.netloc, "/postgres", "", ""))
    return psycopg.connect(admin, autocommit=True)


def create_database(server: str, name: str) -> str:
    """A new, empty PostgreSQL database for this run; returns its URL."""
    with _admin_connect(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def drop_database(server: str, name: str) -> None:
    with _admin_connect(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(
    *, tmp: Path, database_url: str, redis_port: int, emulator_port: int, lease: int, sync_every: int
) -> dict[str, str]:
    """The settings of every process of the run, through the environment as in production."""
    env = {
        "DJANGO_SETTINGS_MODULE": "registry_ui.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "VAR_DIR": str(tmp / "var"),
        "PAI_ENDPOINT": f"http://127.0.0.1:{emulator_port}",
        "PAI_ALLOWED_ENDPOINTS": f"http://127.0.0.1:{emulator_port}",
        "PAI_ACCESS_KEY_ID": PAI_KEY_ID,
        "PAI_ACCESS_KEY_SECRET": PAI_KEY_SECRET,
        # Stalled updates (3 s) must time out; the lease outlasts a push's two calls at their timeouts.
        "PAI_CONNECT_TIMEOUT": "1",
        "PAI_READ_TIMEOUT": "2",
        "PUSH_LEASE_SECONDS": str(lease),
        "PUSH_RETRY_MAX_DELAY_SECONDS": "4",
        "PAI_SYNC_INTERVAL_SECONDS": str(sync_every),
        "LOG_LEVEL": "WARNING",
        # Production mode, on plain HTTP over loopback.
        "DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "SECURE_SSL_REDIRECT": "0",
        "WEB_CONCURRENCY": "4",
        # Rates are counted in this run's Redis, across the web processes, as in production;
        # the simulated users are scripts that act faster than people and are not what is tested.
        "API_RATE_USER": "100000/minute",
        "PYTHONUNBUFFERED": "1",
    }
    # CACHE_URL: the tests' own setting (this process's memory) is not the run's.
    return {**{k: v for k, v in os.environ.items() if k not in ("REQUIRE_SERVICES", "CACHE_URL")}, **env}


def seed_emulator(path: Path, versions: int) -> None:
    """Synthetic models of 50 versions each, all Pending."""
    models, by_model = synthetic_registry(versions)
    for rows in by_model.values():
        for row in rows:
            row["ApprovalStatus"] = "Pending"
    store = Store(path)
    store.replace_all(models, by_model)
    store.flush()
