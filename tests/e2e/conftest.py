"""Browser fixtures: Debian's Chromium driven by Playwright, against the live server.

Chromium starts once per module; each test gets a fresh context (cookies,
storage) so signed-in sessions never leak between tests. The live server is a
real threaded HTTP server in this process; the worker is a separate process
sharing the test database, so these tests are transactional.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from playwright import sync_api

from approvals.models import Membership
from tests.conftest import need_service

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "e2e-pass-123"


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium_path()
    # In CI (REQUIRE_SERVICES=1) a missing browser fails the run instead of skipping the journeys.
    need_service("chromium", path is not None)
    # Playwright's sync API keeps an event loop in this thread; Django's ORM, which the
    # tests use to set up and check, refuses to run beside one unless told it is safe here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_api.sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def fast_passwords(settings) -> None:
    # Signing in through the form hashes the password; the default hasher costs ~0.3 s a time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def person(fast_passwords) -> Callable[..., Any]:
    """`person(name, group)`: a user with PASSWORD in that group."""

    def create(username: str, group: str | None = None) -> Any:
        user = get_user_model().objects.create_user(username=username, password=PASSWORD)
        if group:
            Membership.objects.create(user=user, role=group)
        return user

    return create


class Browse:
    """A browser context for one person, with the page's console errors collected."""

    def __init__(self, browser: Any, base_url: str, **options: Any) -> None:
        self.base_url = base_url
        self.context = browser.new_context(base_url=base_url, **options)
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("response", self._response)

    def _console(self, message: Any) -> None:
        # A refused form answers 400 on purpose; failed loads are judged in _response instead.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def _response(self, response: Any) -> None:
        # Scripts, styles, images and polled fragments must load; documents may be 4xx by design.
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} {response.url}")

    def sign_in_as(self, user: Any) -> None:
        """Reuse a session made on the server side: the login form itself has its own test."""
        client = Client()
        client.force_login(user)
        cookie = client.cookies["sessionid"]
        self.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": self.base_url}])

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def browse(browser, live_server) -> Iterator[Callable[..., Browse]]:
    """`browse(**context_options)`: a new context and page on the live server."""
    opened: list[Browse] = []

    def open_context(**options: Any) -> Browse:
        session = Browse(browser, live_server.url, **options)
        opened.append(session)
        return session

    yield open_context
    for session in opened:
        session.close()
    # No page may log a script error or a blocked resource (CSP, a missing static file).
    errors = [e for session in opened for e in session.errors]
    assert errors == [], errors
