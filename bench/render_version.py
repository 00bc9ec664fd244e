"""Time the version page (no server, no network): `python -m bench.render_version`.

Makes a throwaway SQLite test database with one model of `--versions` versions (10,000 unless
told) and a rich Pending version in it (tests/factories.make_rich_version: comments, history,
changes requested, gates and a waiver, an approval, named datasets), signs in as an approver
with the test client and requests the version's page many times with DEBUG off. Prints the
queries of one request and p50/p95 of the whole request and of the template render alone, both
as CPU time of this process (SQLite runs in it, so its work counts; the shared machine's other
load hardly moves CPU time). `--profile`: cProfile of 30 requests instead; `--html`: the page.
"""

from __future__ import annotations

import os
import statistics
import sys
import time


def _option(name: str, default: int) -> int:
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def main() -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_ui.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-render-version-only-not-a-real-secret-key-0123456789")
    os.environ["DEBUG"] = "0"
    # The rich version's comments and review write audit events, which are keyed.
    os.environ.setdefault("AUDIT_HMAC_KEYS", "bench:YmVuY2gtYXVkaXQta2V5LW5vdC1mb3ItcHJvZHVjdGlvbg==")
    import django

    django.setup()
    from django.conf import settings

    # Hashed static names need collectstatic; the render's cost does not depend on them.
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    settings.STORAGES = {**settings.STORAGES, "staticfiles": static}
    from django.db import connection
    from django.template import base as template_base
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    plain_render = template_base.Template._render
    setup_test_environment()
    # The test environment's render hook (a signal per template) would inflate the cost of each include.
    template_base.Template._render = plain_render  # type: ignore[method-assign]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    from tests import factories

    versions = _option("--versions", 10_000)
    version, approver = factories.make_rich_version(comments=12, events=15, extra_versions=versions)
    client = Client()
    client.force_login(approver)
    url = reverse("version_detail", args=[version.model.model_id, version.version_name])
    render_times: list[float] = []
    original = template_base.Template.render

    def timed(self, context):  # type: ignore[no-untyped-def]
        if self.name == "approvals/version_detail.html":
            start = time.process_time()
            result = original(self, context)
            render_times.append(time.process_time() - start)
            return result
        return original(self, context)

    template_base.Template.render = timed  # type: ignore[method-assign]
    for _ in range(10):
        client.get(url, secure=True)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, secure=True)
    assert response.status_code == 200, response.status_code
    print(f"{url}: {len(queries.captured_queries)} queries, {len(response.content):,} bytes")
    render_times.clear()
    if "--profile" in sys.argv:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(30):
            client.get(url, secure=True)
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
        return
    if "--html" in sys.argv:
        sys.stdout.write(response.content.decode())
        return
    totals = []
    for _ in range(_option("--requests", 200)):
        start = time.process_time()
        response = client.get(url, secure=True)
        totals.append(time.process_time() - start)
        assert response.status_code == 200, response.status_code
    for name, values in (("request (CPU)", totals), ("render (CPU)", render_times)):
        q = statistics.quantiles(values, n=20)
        print(f"{name}: p50 {statistics.median(values) * 1000:.1f} ms  p95 {q[18] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
