"""Time a list page's render (no server, no network): `python -m bench.render_lists [--path P] [--requests N]`.

Makes a throwaway SQLite test database with a few hundred versions (tests/factories.py), signs in
with the test client and requests a list page many times with DEBUG off, printing p50/p95 of the
whole request (wall clock) and of the template render alone (CPU time) (cProfile optional: --profile).

--path: `versions` (the default, /versions/?per_page=100), `queue` (/, 25 rows), `model` (a model's
page, 25 rows of 60 versions with metrics), `big-model` (the page of a model of 10,000 versions),
or a path of its own ("<model_id>" stands for the first model's ModelId); --url is the same.
--profile [--sort tottime]: cProfile of 30 requests, by cumulative (or the given) time.
"""

from __future__ import annotations

import os
import statistics
import sys
import time


def main() -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_ui.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-render-lists-only-not-a-real-secret-key-0123456789")
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    from django.conf import settings

    # Hashed static names need collectstatic; the render's cost does not depend on them.
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    settings.STORAGES = {**settings.STORAGES, "staticfiles": static}
    from django.db import connection
    from django.template import base as template_base
    from django.test import Client
    from django.test.utils import setup_test_environment

    plain_render = template_base.Template._render
    setup_test_environment()
    # The test environment's render hook (a signal per template) would inflate the cost of each include.
    template_base.Template._render = plain_render  # type: ignore[method-assign]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    from tests import factories

    models = [factories.make_model(factories.make_workspace()) for _ in range(5)]
    states = ["done", "queued", "failed", "done"]
    statuses = ["Pending", "Approved", "Rejected"]
    for i in range(300):
        factories.make_version(
            models[i % 5],
            approval_status=statuses[i % 3],
            push_state=states[i % 4],
            framework_type="Pytorch" if i % 2 else "",
            format_type="SavedModel",
            metrics=factories.results_metrics(("d-1", {"accuracy": 0.9 + i / 10_000, "f1": i / 300})),
        )
    path = _argument("--path") or _argument("--url") or "versions"
    if path == "big-model":
        big = factories.make_model(factories.make_workspace(), model_id="big-model")
        factories.make_versions(big, 10_000, metrics=factories.results_metrics(("d-1", {"accuracy": 0.9, "f1": 0.5})))
    client = Client()
    client.force_login(factories.make_user("bench", staff=True))
    render_times: list[float] = []
    original = template_base.Template.render

    def timed(self, context):  # type: ignore[no-untyped-def]
        if self.name in ("approvals/version_list.html", "approvals/queue.html", "approvals/model_detail.html"):
            # CPU time of this process: the shared machine's other load hardly moves it.
            start = time.process_time()
            result = original(self, context)
            render_times.append(time.process_time() - start)
            return result
        return original(self, context)

    template_base.Template.render = timed  # type: ignore[method-assign]
    named = {"versions": "/versions/?per_page=100", "queue": "/", "model": "/models/<model_id>/"}
    url = named.get(path, "/models/big-model/" if path == "big-model" else path)
    url = url.replace("<model_id>", models[0].model_id)
    requests = int(_argument("--requests") or 200)
    for _ in range(10):
        client.get(url, secure=True)
    render_times.clear()
    if "--profile" in sys.argv:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(30):
            client.get(url, secure=True)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(_argument("--sort") or "cumulative").print_stats(40)
        return
    if "--html" in sys.argv:
        sys.stdout.write(client.get(url, secure=True).content.decode())
        return
    totals = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url, secure=True)
        totals.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    for name, values in (("request", totals), ("render (CPU)", render_times)):
        q = statistics.quantiles(values, n=20)
        print(f"{url} {name}: p50 {statistics.median(values) * 1000:.1f} ms  p95 {q[18] * 1000:.1f} ms")


def _argument(name: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else ""


if __name__ == "__main__":
    main()
