"""Schemathesis against /api/schema/, in-process over WSGI: generated requests, valid and
invalid, for every operation, authenticated as someone in every group. No response may be
a server error or break the schema."""

from __future__ import annotations

import time

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from approvals.tasks import sync_workspace_task
from registry_ui.wsgi import application

pytestmark = pytest.mark.django_db


@pytest.fixture
def keep_test_connection():
    """The WSGI app closes the connection after each request; Django's test client stops that, so do we."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


EXAMPLES_PER_OPERATION = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def test_generated_requests_get_no_server_error_and_no_response_that_breaks_the_schema(
    version, all_groups_user, token_for, monkeypatch, settings, keep_test_connection
):
    # Enough rate for the run; syncs are recorded, not sent to a broker.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "100000/minute", "anon": "100000/minute"},
    }
    monkeypatch.setattr(sync_workspace_task, "delay", lambda pk: None)
    headers = {"Authorization": f"Bearer {token_for(all_groups_user)}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application, headers=headers)
    # Real identifiers, so bodies reach the validators and services instead of a 404.
    known = {"ModelId": "m-asr", "VersionName": "1.0.0", "WorkspaceId": version.workspace.workspace_id}
    calls: dict[str, int] = {}
    started = time.monotonic()

    operations = [result.ok() for result in schema.get_all_operations()]
    # 12, the review's five (comments: list, add, retract; changes requested; assignment), notifications' three
    assert len(operations) == 20
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def exercise(case):
            if case.path_parameters:
                case.path_parameters = {name: known.get(name, value) for name, value in case.path_parameters.items()}
            label = case.operation.label
            calls[label] = calls.get(label, 0) + 1
            case.call_and_validate(headers=headers, checks=CHECKS)

        exercise()

    elapsed = time.monotonic() - started
    print(f"schemathesis: {sum(calls.values())} requests over {len(calls)} operations in {elapsed:.1f}s")
    assert len(calls) == len(operations)
