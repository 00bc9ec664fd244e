"""The list pages build their rows' links in Python (display/row_links.py, display/list_rows.py): each
link must be what `reverse` gives, for names that need quoting too, and the rows must say what the
model says."""

import html as html_lib
import re

import pytest
from django.urls import NoReverseMatch, get_script_prefix, reverse, set_script_prefix
from django.utils import timezone

from approvals.display.row_links import RowLinks
from tests.factories import at, make_model, make_user, make_version, make_workspace

# Names a path must quote, or must leave as they are (RFC 3986's sub-delimiters, "~:@"), or that look like escapes.
AWKWARD = [
    "1.0.0",
    "1.0 beta?x=1#frag",
    "v%2F&<b>",
    "%",
    "%25",
    "版本 一",
    "a;b,c=d+e",
    "~:@!$'()*",
    "..",
    ".",
    'q"uote',
    "tab\there",
    "line\nbreak",
    "ü ß",
    "🙂",
    "[ipv6]{x}|^`\\",
    "-_.",
]


@pytest.mark.parametrize("name", AWKWARD)
def test_row_links_are_what_reverse_gives_for_names_that_need_quoting(name):
    links = RowLinks()

    assert links.model(name) == reverse("model_detail", args=[name])
    assert links.version(name, name) == reverse("version_detail", args=[name, name])
    assert links.version("m-1", name) == reverse("version_detail", args=["m-1", name])
    assert links.push_state(name, "1.0") == reverse("version_push_state", args=[name, "1.0"])
    # The quoted names are kept per page: a second row of the same model gets the same link.
    assert links.version(name, "2") == reverse("version_detail", args=[name, "2"])


def test_row_links_follow_the_script_prefix():
    previous = get_script_prefix()
    set_script_prefix("/dash board/")
    try:
        links = RowLinks()
        assert links.version("m 1", "v?1") == reverse("version_detail", args=["m 1", "v?1"])
        assert links.model("m 1").startswith("/dash%20board/models/")
    finally:
        set_script_prefix(previous)


@pytest.mark.parametrize(("model_id", "version_name"), [("a/b", "1"), ("m", "1/2"), ("", "1"), ("m", "")])
def test_a_name_reverse_refuses_is_refused_as_reverse_refuses_it(model_id, version_name):
    links = RowLinks()

    with pytest.raises(NoReverseMatch):
        links.version(model_id, version_name)
    with pytest.raises(NoReverseMatch):
        reverse("version_detail", args=[model_id, version_name])


def row_links(page: str) -> list[str]:
    """Every href and data-poll-url in the page's first table body, unescaped."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [html_lib.unescape(u) for u in re.findall(r'(?:href|data-poll-url)="([^"]+)"', body)]


@pytest.fixture
def awkward_catalog(client):
    client.force_login(make_user("viewer", group="viewer"))
    workspace = make_workspace(name="Hangzhou <&>")
    models = [make_model(workspace, model_id=name, name=f"<{name}>") for name in ("m ü?#&%", "模型;=+", "m~:@")]
    versions = []
    for i, name in enumerate(AWKWARD):
        versions.append(
            make_version(
                models[i % 3],
                version_name=name,
                push_state=("queued", "done", "pushing", "retrying", "failed")[i % 5],
                gmt_create_time=at(i),
                pending_since=timezone.now(),
            )
        )
    return models, versions


def expected_links(versions, *, model_links: bool) -> set[str]:
    expected = set()
    for v in versions:
        model_id = v.model.model_id
        if model_links:
            expected.add(reverse("model_detail", args=[model_id]))
        expected.add(reverse("version_detail", args=[model_id, v.version_name]))
        if v.push_state in ("queued", "pushing", "retrying"):
            expected.add(reverse("version_push_state", args=[model_id, v.version_name]) + "?part=badge")
    return expected


@pytest.mark.django_db
@pytest.mark.parametrize("url", [reverse("version_list") + "?per_page=100", reverse("home")])
def test_the_lists_rows_link_where_reverse_points(client, awkward_catalog, url):
    _models, versions = awkward_catalog

    response = client.get(url)

    assert response.status_code == 200
    links = row_links(response.content.decode())
    assert set(links) == expected_links(versions, model_links=True)
    # Each row: its model, its version and, while its push is under way, its poll URL.
    polled = sum(v.push_state in ("queued", "pushing", "retrying") for v in versions)
    assert len(links) == 2 * len(versions) + polled


@pytest.mark.django_db
def test_a_models_rows_link_where_reverse_points(client, awkward_catalog):
    models, versions = awkward_catalog
    for model in models:
        response = client.get(reverse("model_detail", args=[model.model_id]))

        assert response.status_code == 200
        mine = [v for v in versions if v.model_id == model.pk]
        assert set(row_links(response.content.decode())) == expected_links(mine, model_links=False)


@pytest.mark.django_db
def test_the_rows_escape_names_and_write_times_in_the_current_time_zone(client, awkward_catalog):
    response = client.get(reverse("version_list") + "?per_page=100", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()

    assert "&lt;m ü?#&amp;%&gt;" in page and "<m ü" not in page
    assert ">v%2F&amp;&lt;b&gt;</a>" in page
    # BASE_TIME is midnight UTC; the dashboard's time zone is UTC unless TIME_ZONE says otherwise.
    local = timezone.localtime(at(3))
    assert f"<td>{local:%Y-%m-%d %H:%M}</td>" in page
