"""The selectors read under a Scope: counts, the queue, listings, lookups and neighbours hold
only the readable workspaces, with the same number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import selectors
from approvals.models import ModelVersion, RegisteredModel, Workspace
from approvals.permissions import EVERYTHING, NOTHING, Scope
from approvals.selectors.versions import VersionFilters
from tests.factories import at, make_model, make_version, make_workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def two():
    a, b = make_workspace(name="A"), make_workspace(name="B")
    model_a, model_b = make_model(a, model_id="m-a"), make_model(b, model_id="m-b")
    make_version(model_a, version_name="a1", gmt_create_time=at(1))
    make_version(model_a, version_name="a2", gmt_create_time=at(2), approval_status="Approved")
    for n in range(3):
        make_version(model_b, version_name=f"b{n}", gmt_create_time=at(3 + n))
    return {"a": a, "b": b, "only_a": Scope(everything=False, pks=frozenset({a.pk}))}


def test_counts_and_the_queue_hold_only_the_scopes_workspaces(two):
    only_a = two["only_a"]

    assert selectors.status_counts(scope=only_a)["Pending"] == (1, True)
    assert selectors.status_counts(scope=only_a)["Approved"] == (1, True)
    assert selectors.status_counts(scope=EVERYTHING)["Pending"] == (4, True)
    assert sum(count.n for count in selectors.status_counts(scope=NOTHING).values()) == 0
    assert [v.version_name for v in selectors.review_queue(scope=only_a).items] == ["a1"]


def test_listings_workspaces_and_models_hold_only_the_scopes(two):
    only_a = two["only_a"]

    assert [v.version_name for v in selectors.version_list(VersionFilters(), scope=only_a)] == ["a2", "a1"]
    filtered = VersionFilters(workspace_pk=two["b"].pk)
    assert list(selectors.version_list(filtered, scope=only_a)) == []
    assert selectors.version_page(VersionFilters(), scope=only_a).total == 2
    assert [w.name for w in selectors.workspaces(scope=only_a)] == ["A"]
    assert [m.model_id for m in selectors.model_list(scope=only_a)] == ["m-a"]


def test_lookups_outside_the_scope_do_not_exist(two):
    only_a = two["only_a"]

    with pytest.raises(ModelVersion.DoesNotExist):
        selectors.version_by_name("m-b", "b0", scope=only_a)
    with pytest.raises(RegisteredModel.DoesNotExist):
        selectors.model_by_id("m-b", scope=only_a)
    with pytest.raises(Workspace.DoesNotExist):
        selectors.workspace_by_id(two["b"].workspace_id, scope=only_a)
    assert selectors.version_by_name("m-a", "a1", scope=only_a).version_name == "a1"


def test_neighbours_come_from_the_scope(two):
    a2 = selectors.version_by_name("m-a", "a2", scope=EVERYTHING)
    a1 = selectors.version_by_name("m-a", "a1", scope=EVERYTHING)

    assert selectors.previous_version(a2, scope=two["only_a"]).version_name == "a1"
    assert selectors.previous_version(a2, scope=NOTHING) is None
    assert selectors.latest_approved_version(a1, scope=NOTHING) is None
    assert [v.version_name for v in selectors.compare_choices(a1, scope=two["only_a"], limit=10)] == ["a2"]


def test_a_scope_costs_no_extra_query(two):
    with CaptureQueriesContext(connection) as everything:
        selectors.status_counts(scope=EVERYTHING)
    with CaptureQueriesContext(connection) as scoped:
        selectors.status_counts(scope=two["only_a"])

    assert len(everything) == len(scoped) == 1
