"""Fixtures for the REST API tests: one user per role, each with a token, and a version to act on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from approvals.permissions import ROLES as ROLE_NAMES
from approvals.services.tokens import api_token_create
from tests.factories import grant, make_model, make_role_users, make_user, make_version, results_metrics

ROLES = (*ROLE_NAMES, "staff")


@pytest.fixture
def fresh_rate_limits() -> None:
    """Throttle counts live in the cache; one test's calls must not slow the next."""
    cache.clear()


@pytest.fixture
def users(db, fresh_rate_limits) -> dict[str, Any]:
    return make_role_users()


@pytest.fixture
def token_for() -> Callable[[Any], str]:
    def make(user: Any, name: str = "ci") -> str:
        return api_token_create(user=user, name=name)[1]

    return make


@pytest.fixture
def client_for(token_for) -> Callable[[Any], APIClient]:
    """An API client that sends `user`'s token (None: no credentials)."""

    def make(user: Any | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        return client

    return make


@pytest.fixture
def clients(users, client_for) -> dict[str, APIClient]:
    """A client per role, plus "anonymous"."""
    made = {role: client_for(users[role]) for role in ROLES}
    made["anonymous"] = client_for(None)
    return made


@pytest.fixture
def version(db):
    return make_version(
        make_model(model_id="m-asr", name="speech-asr"),
        version_name="1.0.0",
        version_description="first cut",
        metrics=results_metrics(("d-1", {"cer": 0.2})),
        training_spec={"epochs": 10},
        options='{"keep":true}',
    )


@pytest.fixture
def all_groups_user(db):
    """Someone in every group and staff: the schemathesis run reaches every operation as them."""
    user = make_user("omni", staff=True)
    for role in ROLE_NAMES:
        grant(user, role)
    return user
