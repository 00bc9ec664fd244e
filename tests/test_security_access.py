"""A generic sweep of the URLconf: every route is classified; anonymous visitors are sent
to sign in (pages) or refused (API); a role without rights gets 403 and changes nothing;
and every unsafe request without a CSRF token is refused, whoever sends it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from approvals.models import ApiToken, PushState
from approvals.services.tokens import api_token_create
from tests.factories import grant, make_role_users, make_user, make_version, write_state

pytestmark = pytest.mark.django_db

# Anyone may call these: signing in and out (with a password or through the identity
# provider), the health probe, the language switch, the API's description (no data) and its JSON 404.
PUBLIC = {
    "login",
    "logout",
    "oidc_authentication_init",
    "oidc_authentication_callback",
    "oidc_logout",
    "healthz",
    "set_language",
    "api-schema",
    "api-docs",
    "api-not-found",
}
# Every signed-in person may read these, inside the workspaces they hold a role in
# (someone without any role reads empty lists, and no object: 404).
READ = {
    "home",
    "version_list",
    "model_detail",
    "version_detail",
    "version_push_state",
    "version_compare",
    "live_status_counts",
    "live_sync_states",
    "live_queue_rows",
    "audit_log",
    "token_list",
    "api-versions",
    "api-models",
    "api-version",
    "api-version-history",
    "api-workspace",
    "api-me",
    "api-audit",
    "api-version-comments",
    "api-notifications",
    "inbox",
    "notification_preferences",
}
# Only a role may use these, whatever the method.
ROLE_ONLY = {
    "version_edit",
    "version_decide",
    "version_resolve_conflict",
    "version_retry_push",
    "audit_export",
    "api-version-decision",
    "api-sync",
    "version_gate_waive",
    "api-workspace-policy",
    "version_comment",
    "version_comment_retract",
    "version_request_changes",
    "version_assign",
    "api-version-comment-retract",
    "api-version-changes",
    "api-version-assignment",
}
# Only the owner of the object may act on it.
OWNER_ONLY = {
    "token_revoke",
    "inbox_mark_read",
    "inbox_mark_all_read",
    "api-notification-read",
    "api-notifications-read-all",
}
UNSAFE = ("post", "put", "patch", "delete")


def routes(patterns=None, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(name, pattern) of every route outside the admin, which Django guards itself."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            if p.namespace != "admin":
                yield from routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield p.name, prefix + str(p.pattern)


@pytest.fixture
def world():
    """Real objects for every path parameter: a version in conflict (so resolve has work),
    a workspace, and a token that belongs to someone else."""
    users = make_role_users()
    version = make_version(
        push_state=PushState.CONFLICT,
        revision=1,
        conflict={"VersionDescription": {"base": "a", "theirs": "b", "yours": "c"}},
    )
    token, _ = api_token_create(user=users["editor"], name="editor's pipeline")
    values = {
        "<str:model_id>": version.model.model_id,
        "<str:ModelId>": version.model.model_id,
        "<str:version_name>": version.version_name,
        "<str:VersionName>": version.version_name,
        "<str:WorkspaceId>": version.model.workspace.workspace_id,
        "<int:token_id>": str(token.pk),
        "<int:gate_id>": "1",
        "<int:comment_id>": "1",
        "<str:comment_id>": "1",
        "<int:notification_id>": "1",
        "<str:notification_id>": "1",
        "^.*$": "no-such-thing",
    }
    urls = {}
    for name, pattern in routes():
        url = "/" + pattern
        for placeholder, value in values.items():
            url = url.replace(placeholder, value)
        assert "<" not in url, f"no object for a parameter of {name}: {pattern}"
        urls[name] = url
    objects = {name for name, pattern in routes() if "<str:" in pattern}
    return {"users": users, "version": version, "token": token, "urls": urls, "objects": objects}


def is_api(url: str) -> bool:
    return url.startswith("/api/")


FORM = "status=Approved&reason=r&confirm=1&name=n&keep_VersionDescription=yours"


def call(client: Client, method: str, url: str):
    if method == "get":
        return client.get(url)
    if is_api(url):
        return getattr(client, method)(url, data="{}", content_type="application/json")
    return getattr(client, method)(url, data=FORM, content_type="application/x-www-form-urlencoded")


def test_every_route_is_classified(world):
    names = set(world["urls"])
    classified = PUBLIC | READ | ROLE_ONLY | OWNER_ONLY

    assert names - classified == set(), "classify the new routes above"
    assert classified - names == set(), "a classified route no longer exists"


def test_anonymous_visitors_are_sent_to_sign_in_or_refused_everywhere(client, world):
    before = write_state(world["version"])
    for name, url in world["urls"].items():
        if name in PUBLIC:
            continue
        for method in ("get", *UNSAFE):
            response = call(client, method, url)
            if is_api(url):
                assert response.status_code == 401, (name, method)
            else:
                assert response.status_code == 302, (name, method)
                assert response["Location"].startswith(reverse("login")), (name, method)
    assert write_state(world["version"]) == before


@pytest.mark.parametrize("role", ["nobody", "viewer"])
def test_a_role_without_rights_is_refused_and_changes_nothing(client, world, role):
    client.force_login(world["users"][role])
    before = write_state(world["version"])
    for name, url in world["urls"].items():
        if name in ROLE_ONLY:
            for method in ("get", *UNSAFE):
                assert call(client, method, url).status_code == 403, (name, method)
        elif name in READ:
            # Without any role the version, its model and its workspace do not exist for them.
            expected = 404 if role == "nobody" and name in world["objects"] else 200
            assert client.get(url).status_code == expected, name
            if is_api(url):
                for method in UNSAFE:
                    assert call(client, method, url).status_code in (403, 405), (name, method)
    assert write_state(world["version"]) == before


@pytest.mark.parametrize("role", ["nobody", "viewer", "approver", "staff"])
def test_nobody_revokes_someone_elses_token(client, world, role):
    client.force_login(world["users"][role])

    client.post(world["urls"]["token_revoke"])

    assert ApiToken.objects.get(pk=world["token"].pk).revoked_at is None


def test_the_admin_is_for_staff_only(client, world):
    urls = [reverse("admin:index"), reverse("admin:approvals_workspace_changelist"), reverse("admin:auth_user_add")]
    for url in urls:
        assert client.get(url)["Location"].startswith(reverse("admin:login")), url
    client.force_login(world["users"]["approver"])
    for url in urls:
        assert client.get(url)["Location"].startswith(reverse("admin:login")), url


# --- CSRF ---------------------------------------------------------------------------


@pytest.fixture
def csrf_client(world) -> Client:
    """A session of someone who may do everything, whose browser sends no CSRF token."""
    client = Client(enforce_csrf_checks=True)
    everyone = make_user("everyone", staff=True)
    for role in ("editor", "approver", "auditor", "viewer"):
        grant(everyone, role)
    client.force_login(everyone)
    return client


def test_every_unsafe_request_without_a_csrf_token_is_refused(csrf_client, world):
    before = write_state(world["version"])
    tokens = ApiToken.objects.count()
    admin_urls = [reverse("admin:approvals_workspace_add"), reverse("admin:auth_user_add"), reverse("admin:logout")]
    for name, url in [*world["urls"].items(), *(("admin", u) for u in admin_urls)]:
        for method in UNSAFE if is_api(url) else ("post",):
            response = call(csrf_client, method, url)
            assert response.status_code == 403, (name, method, response.status_code)
            # The reason, where the page says it (the Swagger UI page shows its own 403).
            if name not in ("api-docs",):
                assert "CSRF" in response.content.decode(), (name, method)
    assert write_state(world["version"]) == before
    assert ApiToken.objects.count() == tokens
    assert ApiToken.objects.get(pk=world["token"].pk).revoked_at is None


def test_the_same_post_with_the_token_goes_through(csrf_client, world):
    version = world["version"]
    url = reverse("version_resolve_conflict", args=[version.model.model_id, version.version_name])
    csrf_client.get(url)
    token = csrf_client.cookies["csrftoken"].value

    response = csrf_client.post(url, {"keep_VersionDescription": "theirs", "csrfmiddlewaretoken": token})

    assert response.status_code != 403


def test_a_bearer_token_needs_no_csrf_token(world):
    _, raw = api_token_create(user=world["users"]["viewer"], name="reader")
    client = Client(enforce_csrf_checks=True)

    response = client.get(reverse("api-versions"), HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200
