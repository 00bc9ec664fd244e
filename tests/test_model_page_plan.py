"""A model's versions newest first are read along version_model_order_idx and stop after a page: the
model's page, its charts and the versions list filtered by model cost the same whether the model
has ten versions or ten thousand, and whatever other models hold (migration 0023)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import selectors
from approvals.permissions import Scope
from approvals.selectors import VersionFilters
from tests.factories import make_model, make_user, make_versions

pytestmark = pytest.mark.django_db
ALL = Scope(everything=True)
VERSIONS = 'FROM "approvals_modelversion"'
IN_CREATION_ORDER = 'ORDER BY "approvals_modelversion"."gmt_create_time"'


@pytest.fixture
def old_model():
    """A model whose 150 versions are all older than another model's 600."""
    model = make_model(model_id="m-old")
    make_versions(model, 150)
    make_versions(make_model(model_id="m-new"), 600)
    return model


def ordered_reads(run) -> list[str]:
    """The SQL of the reads of versions in creation order that `run` makes."""
    with CaptureQueriesContext(connection) as queries:
        run()
    return [q["sql"] for q in queries.captured_queries if VERSIONS in q["sql"] and IN_CREATION_ORDER in q["sql"]]


def plan_of(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE approvals_modelversion")
            cursor.execute("SET LOCAL enable_seqscan = off")  # a small table would be read whole anyway
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("EXPLAIN " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return " ".join(str(row) for row in cursor.fetchall())


@pytest.mark.parametrize(
    "read",
    [
        lambda model: selectors.model_versions(model, scope=ALL),
        lambda model: selectors.model_chart_versions(model, scope=ALL),
        lambda model: selectors.version_page(VersionFilters(model_id=model.model_id), scope=ALL, page_size=100),
    ],
    ids=["model page", "charts", "versions list by model"],
)
def test_a_models_versions_are_read_in_order_along_its_index_not_sorted(old_model, read):
    reads = ordered_reads(lambda: read(old_model))

    assert len(reads) == 1
    plan = plan_of(reads[0])
    assert "version_model_order_idx" in plan, plan
    if connection.vendor == "postgresql":
        assert plan.startswith("Limit"), plan
        assert "Sort" not in plan, plan
    else:
        assert "TEMP B-TREE" not in plan, plan


def test_the_model_page_costs_the_same_queries_for_a_small_and_a_large_model(client):
    client.force_login(make_user("viewer", group="viewer"))
    small, large = make_model(), make_model()
    make_versions(small, 3)
    make_versions(large, 400)

    counts = []
    for model in (small, large):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("model_detail", args=[model.model_id]))
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
