"""Deep pages are cut by ids first (a deferred join); they must show what OFFSET alone would."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import selectors
from approvals.permissions import EVERYTHING as ALL
from approvals.selectors import pagination
from approvals.selectors.versions import VersionFilters
from tests.factories import at, make_model, make_version, make_workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def thirty_versions():
    workspace = make_workspace()
    models = [make_model(workspace, model_id=f"m-{n}", name=f"model-{n}") for n in range(3)]
    # Pairs share a creation time, so the id breaks ties as the sort says.
    return [
        make_version(models[i % 3], version_name=f"1.0.{i}", gmt_create_time=at(i // 2), version_description=f"v{i}")
        for i in range(30)
    ]


@pytest.mark.parametrize("sort", ["-created", "created", "model", "-version"])
def test_a_deep_page_shows_the_rows_a_plain_offset_shows(thirty_versions, monkeypatch, sort):
    queryset = selectors.version_list(VersionFilters(sort=sort), scope=ALL)
    expected = [v.pk for v in queryset]
    monkeypatch.setattr(pagination, "DEFERRED_JOIN_OFFSET", 5)
    for number in range(1, 5):
        page = selectors.paginate(queryset, page=number, page_size=7)
        assert [v.pk for v in page.items] == expected[(number - 1) * 7 : number * 7]
        assert page.has_next == (number * 7 < 30)


def test_a_deep_page_costs_two_queries_and_keeps_its_related_rows(thirty_versions, monkeypatch):
    monkeypatch.setattr(pagination, "DEFERRED_JOIN_OFFSET", 5)
    queryset = selectors.version_list(VersionFilters(search="model-1"), scope=ALL)
    with CaptureQueriesContext(connection) as queries:
        page = selectors.paginate(queryset, page=3, page_size=4)  # skips 8 rows: past the threshold
        names = [(v.model.name, v.workspace.name) for v in page.items]
    assert len(queries) == 2
    assert [n for n, _ in names] == ["model-1"] * 2  # model-1 has 10 versions: 8 skipped, 2 left
    assert not page.has_next
