"""The pages benchmark counts a page's queries without the session's once-a-minute last-seen write
(bench/pages.py page_queries), on the statements Django really sends."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.web.security import SEEN_KEY
from bench.pages import page_queries, query_figure
from tests.factories import make_model, make_user, make_version, make_workspace


@pytest.mark.django_db
def test_the_session_write_is_left_out_and_reported_and_nothing_else_is(client):
    model = make_model(make_workspace())
    make_version(model)
    client.force_login(make_user("bench-reader", staff=True))
    url = f"/models/{model.model_id}/"
    client.get(url)
    with CaptureQueriesContext(connection) as steady:
        client.get(url)
    session = client.session
    session[SEEN_KEY] -= 120  # last seen two minutes ago: this request stamps it again
    session.save()
    with CaptureQueriesContext(connection) as stamping:
        client.get(url)

    plain = [q["sql"] for q in steady.captured_queries]
    written = [q["sql"] for q in stamping.captured_queries]
    assert len(written) > len(plain)
    assert page_queries(plain) == (len(plain), False)
    assert page_queries(written) == (len(plain), True)


def test_savepoints_of_the_page_itself_are_counted():
    statements = ['SAVEPOINT "s1"', 'UPDATE "approvals_modelversion" SET x = 1', 'RELEASE SAVEPOINT "s1"']

    assert page_queries(statements) == (3, False)


def test_the_query_figure_is_the_most_and_says_how_usual_the_rest_were():
    assert query_figure([8, 8, 8]) == "8"
    assert query_figure([7] * 59 + [9]) == "9 (7 on 59 of 60)"
