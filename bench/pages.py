"""Benchmark 1: the pages at 100,000 versions (or `--scale`) and twice as many audit events, beside Django admin.

`python -m bench.pages --out FILE`, after the sync and seed_audit steps. Requests
go through the whole Django stack in this process (django.test.Client), so the
time is server time: middleware, views, queries and template rendering, no
network. Each round asks every page once, ours and admin's in turn, so a burst
of load on the machine falls on both sides alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import Section, exit_on_sigterm, ms, percentile, progress, setup_django, status_kib, verdict
from bench.seed_audit import page_version

WARMUP = 5
ROUNDS = int(os.environ.get("BENCH_PAGE_ROUNDS", "60"))
P95_TARGET, QUERY_TARGET, RATIO_TARGET = 0.050, 10, 0.5
# The synthetic registry's first model holds 10,000 versions (bench/__main__.py LARGE_MODEL_VERSIONS).
LARGE_MODEL, LARGE_MODEL_VERSION = "model-bench0000000", "1.50.0"


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    session_writes: int = 0

    @property
    def p50(self) -> float:
        return percentile(self.seconds, 50)

    @property
    def p95(self) -> float:
        return percentile(self.seconds, 95)


def page_queries(statements: list[str]) -> tuple[int, bool]:
    """A request's queries without the session's last-seen write, and whether it made one.

    SessionExpiryMiddleware stamps the session at most once a minute a person
    (SEEN_GRANULARITY_SECONDS), so one request in a minute's worth of them saves it: an UPDATE
    in a savepoint, three statements that belong to no page."""
    skip: set[int] = set()
    for i, sql in enumerate(statements):
        if sql.startswith('UPDATE "django_session"'):
            skip.add(i)
            skip |= {j for j in (i - 1, i + 1) if 0 <= j < len(statements) and "SAVEPOINT" in statements[j]}
    return len(statements) - len(skip), bool(skip)


def query_figure(counts: list[int]) -> str:
    """The most queries any request made, and how many requests made more than most did:
    "9 (7 on 59 of 60)" when one request read two more than the rest."""
    most, usual = max(counts), statistics.mode(counts)
    if most == usual:
        return str(most)
    return f"{most} ({usual} on {counts.count(usual)} of {len(counts)})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    exit_on_sigterm()
    setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from approvals.models import AuditEvent, Membership, ModelVersion, Workspace
    from approvals.permissions import APPROVER, EDITOR

    # DEBUG is off as in production, but nothing was collected: serve static names plainly.
    plain_static = override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    )
    plain_static.enable()

    user = get_user_model().objects.create_superuser("bench-admin", "bench@example.com", "bench-password-1")
    for name in (APPROVER, EDITOR):
        Membership.objects.get_or_create(user=user, role=name)
    client = Client()
    client.force_login(user, backend="approvals.web.local_login.LocalPasswordBackend")

    model_id, version_name = page_version()
    version = ModelVersion.objects.select_related("model").get(model__model_id=model_id, version_name=version_name)
    workspace = Workspace.objects.get(pk=version.workspace_id)
    total = ModelVersion.objects.count()
    events = AuditEvent.objects.count()
    large = ModelVersion.objects.select_related("model").get(
        model__model_id=LARGE_MODEL, version_name=LARGE_MODEL_VERSION
    )
    large_count = ModelVersion.objects.filter(model_id=large.model_id).count()
    search = version.model.name.removeprefix("bench-")  # "model-01000": one model's 50 versions
    admin = "/admin/approvals/modelversion/"
    # Page 1,000, or the last full page below 100,000 versions (admin redirects past its last page).
    deep = min(1000, total // 100)
    # (what, our URL, Django admin's URL for the same rows)
    pages = [
        ("review queue (Pending, oldest first)", "/", f"{admin}?approval_status__exact=Pending&gone__exact=0&o=8"),
        ("versions, page 1 (100 per page)", "/versions/?per_page=100", admin),
        (f"versions, page {deep:,} (100 per page)", f"/versions/?per_page=100&page={deep}", f"{admin}?p={deep}"),
        (
            "versions filtered: workspace + Pending",
            f"/versions/?per_page=100&workspace={workspace.workspace_id}&status=Pending",
            f"{admin}?workspace__id__exact={workspace.pk}&approval_status__exact=Pending",
        ),
        (f"versions search “{search}”", f"/versions/?per_page=100&q={search}", f"{admin}?q={search}"),
        ("model page", f"/models/{model_id}/", f"{admin}?model__id__exact={version.model_id}"),
        (
            "version page",
            f"/models/{model_id}/versions/{version_name}/",
            f"{admin}{version.pk}/change/",
        ),
        ("audit log, newest page", "/audit/", "/admin/approvals/auditevent/"),
        (
            f"model of {large_count:,} versions: model page",
            f"/models/{LARGE_MODEL}/",
            f"{admin}?model__id__exact={large.model_id}",
        ),
        (
            f"model of {large_count:,} versions: filtered (Approved)",
            f"/versions/?per_page=100&model={LARGE_MODEL}&status=Approved",
            f"{admin}?model__id__exact={large.model_id}&approval_status__exact=Approved",
        ),
        (
            f"model of {large_count:,} versions: version page",
            f"/models/{LARGE_MODEL}/versions/{LARGE_MODEL_VERSION}/",
            f"{admin}{large.pk}/change/",
        ),
    ]
    ours = {name: Timings() for name, *_ in pages}
    theirs = {name: Timings() for name, *_ in pages}

    def timed(url: str, into: Timings | None) -> None:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        if into is not None:
            into.seconds.append(elapsed)
            count, wrote_session = page_queries([q["sql"] for q in queries.captured_queries])
            into.queries.append(count)
            into.session_writes += wrote_session

    progress(f"pages: {total:,} versions; {WARMUP} warm-up rounds, then {ROUNDS} measured")
    for round_number in range(WARMUP + ROUNDS):
        measuring = round_number >= WARMUP
        for name, our_url, admin_url in pages:
            timed(our_url, ours[name] if measuring else None)
            timed(admin_url, theirs[name] if measuring else None)
        if measuring and (round_number - WARMUP + 1) % 20 == 0:
            progress(f"pages: {round_number - WARMUP + 1}/{ROUNDS} rounds")

    rows, all_met = [], True
    for name, our_url, _admin_url in pages:
        mine, base = ours[name], theirs[name]
        ratio = mine.p95 / base.p95
        met = mine.p95 <= P95_TARGET and max(mine.queries) <= QUERY_TARGET and ratio <= RATIO_TARGET
        all_met &= met
        rows.append(
            [
                name,
                f"`{our_url}`",
                ms(mine.p50),
                ms(mine.p95),
                query_figure(mine.queries),
                ms(base.p50),
                ms(base.p95),
                query_figure(base.queries),
                f"{mine.p50 / base.p50:.2f}",
                f"{ratio:.2f}",
                verdict(met),
            ]
        )
    hwm = status_kib(os.getpid(), "VmHWM")
    writes = sum(t.session_writes for t in (*ours.values(), *theirs.values()))
    requests = sum(len(t.seconds) for t in (*ours.values(), *theirs.values()))
    section = Section(
        title=f"1. Pages at {total:,} versions and {events:,} audit events (PostgreSQL, server time)",
        columns=[
            "page",
            "our URL",
            "p50 ms",
            "p95 ms",
            "queries",
            "admin p50 ms",
            "admin p95 ms",
            "admin queries",
            "p50 ratio to admin",
            "p95 ratio to admin",
            "targets (p95 ≤ 50 ms, ≤ 10 queries, ratio ≤ 0.5)",
        ],
        rows=rows,
        notes=[
            f"{ROUNDS} measured requests per page after {WARMUP} warm-up rounds; each round asks every page "
            "once, ours then admin's, in one process through the whole middleware stack "
            "(django.test.Client, DEBUG off); queries counted with CaptureQueriesContext, the most of any request "
            "(and the usual count where some request made more), "
            "reading the session and user included; the session's last-seen stamp, written once a minute a "
            f"person (a savepoint, an UPDATE, its release), is not counted: {writes} of {requests:,} requests made it.",
            "Admin baselines: the ModelVersion changelist (100 rows a page, as ours here) with the same filter, "
            "search or offset; for the queue, Pending and not gone ordered by GmtCreateTime; for the model page, "
            "the changelist of its versions; for the version page, its change form; for the audit log, "
            "the AuditEvent changelist. Signed in as a superuser on both sides.",
            f"Peak RSS of this web process after the run: {hwm / 1024:.0f} MiB (VmHWM).",
        ],
        figures={
            "all_met": all_met,
            "memory_row": [f"{hwm / 1024:.0f} MiB", "after every page above, in one process"],
        },
    )
    section.save(args.out)
    plain_static.disable()


if __name__ == "__main__":
    main()
