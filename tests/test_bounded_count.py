"""The versions listing counts its rows up to 10,000: beyond, the page says "more than 10,000"
(in English and Chinese) and the API's `count_exact` is false; under it both give the count."""

import pytest
from django.urls import reverse

from approvals import selectors
from approvals.models import ModelVersion
from approvals.permissions import EVERYTHING as ALL
from approvals.selectors.pagination import COUNT_LIMIT, count_up_to
from approvals.selectors.versions import VersionFilters
from tests.factories import make_model, make_user, make_versions

pytestmark = pytest.mark.django_db
URL = reverse("version_list")


@pytest.fixture
def viewer(client):
    client.force_login(make_user("viewer", group="viewer"))
    return client


@pytest.fixture
def many():
    """One more version than the bound."""
    model = make_model(name="catalog")
    make_versions(model, COUNT_LIMIT + 1)

    return model


@pytest.fixture
def few():
    model = make_model(name="tiny")
    return make_versions(model, 3)


def page_text(response):
    return response.content.decode()


def test_count_up_to_is_exact_under_and_at_the_bound(few):
    queryset = ModelVersion.objects.all()
    assert count_up_to(queryset, limit=3) == (3, True)
    assert count_up_to(queryset, limit=2) == (2, False)
    assert count_up_to(queryset.filter(version_name="none"), limit=2) == (0, True)


def test_the_page_says_the_count_under_the_bound(viewer, few):
    text = page_text(viewer.get(URL))
    assert "rows 1–3 of 3" in text
    assert "more than" not in text
    viewer.cookies["django_language"] = "zh-hans"
    assert "第 1–3 行，共 3 行" in page_text(viewer.get(URL))


def test_over_the_bound_the_page_says_more_than_ten_thousand(viewer, many):
    page = selectors.version_page(VersionFilters(), scope=ALL)
    assert (page.total, page.total_exact) == (COUNT_LIMIT, False)
    response = viewer.get(URL)
    assert "rows 1–25 of more than 10,000" in page_text(response)
    assert 'rel="next"' in page_text(response)
    viewer.cookies["django_language"] = "zh-hans"
    assert "第 1–25 行，共超过 10,000 行" in page_text(viewer.get(URL))


def test_the_api_says_whether_the_count_is_exact(clients, many, few):
    body = clients["viewer"].get("/api/versions/?per_page=10").json()
    assert (body["count"], body["count_exact"]) == (COUNT_LIMIT, False)
    second = clients["viewer"].get(body["next"]).json()
    assert (second["count"], second["count_exact"]) == (COUNT_LIMIT, False)  # the same on every page
    small = clients["viewer"].get("/api/versions/", {"model": few[0].model.model_id}).json()
    assert (small["count"], small["count_exact"], len(small["results"])) == (3, True, 3)
    assert small["next"] is None
