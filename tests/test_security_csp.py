"""Content-Security-Policy: no inline script or style on any page, so the policy
`script-src 'self'; style-src 'self'` holds; only the Swagger UI page allows inline styles.

Style attributes are not allowed either (style-src without 'unsafe-inline' blocks them):
the templates style through classes in static/css/app.css.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from approvals.models import PushState
from tests.factories import grant, make_event, make_role_users, make_user, make_version

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "templates", ROOT / "approvals" / "templates"]

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
}

# What the policy would block: a script element without src, an event-handler attribute,
# a javascript: URL, a style element or a style attribute.
BLOCKED = {
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "event handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
}


def blocked_in(html: str) -> list[str]:
    return [f"{kind}: {m.group(0)[:80]}" for kind, pattern in BLOCKED.items() for m in pattern.finditer(html)]


def policy_of(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in header.split(";")) if part}


def template_files() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS if d.is_dir() for p in d.rglob("*.html"))


def test_the_templates_exist_to_be_checked():
    assert len(template_files()) >= 20


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_has_inline_script_handlers_or_styles(path):
    assert blocked_in(path.read_text(encoding="utf-8")) == []


def test_the_checker_finds_what_the_policy_would_block():
    samples = [
        "<script>alert(1)</script>",
        '<button onclick="go()">',
        '<a href="javascript:go()">',
        "<style>p{}</style>",
        '<p class="x" style="color:red">',
    ]
    assert all(blocked_in(sample) for sample in samples)
    assert blocked_in('<script src="/static/js/live.js" defer></script><p class="one">') == []


@pytest.fixture
def pages(client):
    """Every kind of page, as a user who may see all of it, with real objects in every state."""
    make_role_users()
    everyone = make_user("everyone", staff=True)
    for role in ("viewer", "editor", "approver", "auditor"):
        grant(everyone, role)
    version = make_version(version_description="described", metrics={"Results": []})
    make_event(version, action="pai_changed", payload={"fields": {"VersionDescription": ["a", "b"]}})
    conflicted = make_version(
        version.model,
        push_state=PushState.CONFLICT,
        revision=1,
        conflict={"VersionDescription": {"base": "a", "theirs": "b", "yours": "c"}},
    )
    failed = make_version(version.model, push_state=PushState.FAILED, revision=1, push_error="InvalidParameter: x")
    client.force_login(everyone)
    args = [version.model.model_id, version.version_name]
    urls = [
        reverse("home"),
        reverse("version_list"),
        reverse("model_detail", args=[version.model.model_id]),
        reverse("version_detail", args=args),
        reverse("version_detail", args=[version.model.model_id, conflicted.version_name]),
        reverse("version_detail", args=[version.model.model_id, failed.version_name]),
        reverse("version_resolve_conflict", args=[version.model.model_id, conflicted.version_name]),
        reverse("version_edit", args=args),
        reverse("version_decide", args=args) + "?status=Approved",
        reverse("version_push_state", args=args),
        reverse("version_compare", args=args),
        reverse("live_status_counts"),
        reverse("live_sync_states"),
        reverse("live_queue_rows"),
        reverse("audit_log"),
        reverse("token_list"),
        "/no/such/page/",
    ]
    return client, urls


def test_every_page_carries_the_policy_and_nothing_it_would_block(pages):
    client, urls = pages
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 400, 404), url
        assert policy_of(response) == POLICY, url
        assert blocked_in(response.content.decode()) == [], url


def test_a_posted_edit_preview_and_a_form_with_errors_hold_too(pages):
    client, urls = pages
    edit_url = next(u for u in urls if u.endswith("/edit/"))
    response = client.post(edit_url, {"VersionDescription": "new", "Metrics": "{not json", "base_revision": "0"})

    assert response.status_code == 400
    assert blocked_in(response.content.decode()) == []


def test_the_login_page_and_the_admin_carry_the_policy(client):
    assert policy_of(client.get(reverse("login"))) == POLICY
    client.force_login(make_user("admin", staff=True))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert policy_of(response) == POLICY


def test_swagger_ui_allows_inline_styles_but_still_no_inline_script(client):
    response = client.get(reverse("api-docs"))

    assert response.status_code == 200
    policy = policy_of(response)
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["script-src"] == "'self'"
    html = response.content.decode()
    assert BLOCKED["inline script"].search(html) is None
    assert "swagger-ui" in html
