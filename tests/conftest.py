import os

import pytest

pytest_plugins = [
    "tests.fixtures_pai",
    "tests.fixtures_worker",
    "tests.fixtures_registry",
    "tests.fixtures_api",
    "tests.fixtures_audit",
    "tests.fixtures_oidc",
    "tests.fixtures_receivers",
]

# Under REQUIRE_SERVICES=1 (CI) a test that needs PostgreSQL or Redis fails
# instead of skipping: a check skipped in CI is a check that does not exist.
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def need_service(name: str, configured: bool) -> None:
    if configured:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (REQUIRE_SERVICES=1) but not configured")
    pytest.skip(f"{name} not configured")


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a test that activates Chinese leaves it behind."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
