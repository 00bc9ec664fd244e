"""A cursor is signed, but a signature proves only who made it: whoever holds SECRET_KEY (a
leaked key, the demo's public one) can sign anything. So its shape is checked before it
reaches a query, and a forged or malformed one answers 400 at `cursor`, never 500."""

from __future__ import annotations

import zlib
from typing import Any

import pytest
from django.core import signing

from approvals.api.pagination import SALT
from approvals.models import AuditEvent
from tests.factories import make_event, make_model, make_version

pytestmark = pytest.mark.django_db

AUDIT = "/api/audit/"
VERSIONS = "/api/versions/"


def forged(data: Any) -> str:
    """Signed with the dashboard's own key, as someone who has it would."""
    return signing.dumps(data, salt=SALT, compress=True)


def signed_raw(text: str) -> str:
    """A signed payload that is not what signing.dumps makes (e.g. not zlib after the dot)."""
    return signing.TimestampSigner(salt=SALT).sign(text)


def refused(client, url: str, cursor: str) -> dict[str, Any]:
    response = client.get(url, {"cursor": cursor})
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body["fields"]) == ["cursor"]
    return body


@pytest.fixture
def auditor(clients):
    make_event(actor="alice", action="version.edited")
    make_event(actor="bob", action="version.approved")
    return clients["auditor"]


AUDIT_FORGERIES = [
    {"v": ["1 OR 1=1"], "p": ["-seq"]},  # the issue's: no "b", and SQL for a number
    {"v": ["1 OR 1=1"], "b": False, "p": ["-seq"]},
    {"v": [True], "b": False, "p": ["-seq"]},
    {"v": [1.5], "b": False, "p": ["-seq"]},
    {"v": [2**70], "b": False, "p": ["-seq"]},
    {"v": [-(2**64)], "b": False, "p": ["-seq"]},
    {"v": [{"$gt": 0}], "b": False, "p": ["-seq"]},
    {"v": [None], "b": False, "p": ["-seq"]},  # seq is never null
    {"v": [], "b": False, "p": ["-seq"]},
    {"v": [1, 2], "b": False, "p": ["-seq"]},
    {"v": 1, "b": False, "p": ["-seq"]},
    {"v": [1], "b": "yes", "p": ["-seq"]},
    {"v": [1], "b": False, "p": ["-seq"], "x": 1},
    {"v": [1], "b": False, "p": ["seq"]},  # another sort order
    {"v": [1], "b": False, "p": ["-id"]},
    {"v": [1], "b": False, "p": "-seq"},
    [1, False, ["-seq"]],
    "-seq",
    None,
    17,
]


@pytest.mark.parametrize("data", AUDIT_FORGERIES, ids=repr)
def test_a_forged_audit_cursor_is_a_400_naming_the_cursor(auditor, data):
    body = refused(auditor, AUDIT, forged(data))

    assert "cursor" in body["message"] and "first page" in body["message"]


@pytest.mark.parametrize(
    "cursor",
    [
        signed_raw(".bm90IHpsaWI"),  # "not zlib", announced as compressed
        signed_raw("bm90IGpzb24"),  # "not json"
        signed_raw("!!!"),
        signed_raw("." + signing.b64_encode(b"x" * 10).decode()),
    ],
)
def test_a_signed_cursor_that_does_not_decode_is_a_400(auditor, cursor):
    refused(auditor, AUDIT, cursor)


def test_a_deeply_nested_signed_cursor_is_a_400(auditor):
    refused(auditor, AUDIT, forged({"v": [[[[[[[[[[1]]]]]]]]]], "b": False, "p": ["-seq"]}))
    refused(auditor, AUDIT, signed_raw("." + signing.b64_encode(zlib.compress(b"[" * 100_000)).decode()))


def test_a_well_formed_forged_cursor_is_only_a_position(auditor):
    bob = AuditEvent.objects.get(actor="bob")

    # The shape is right: it pages on from bob's event down, as a cursor the API gave out would.
    response = auditor.get(AUDIT, {"cursor": forged({"v": [bob.seq], "b": False, "p": ["-seq"]})})

    assert response.status_code == 200
    assert response.json()["results"][0]["actor"] == "alice"
    assert all(row["seq"] < bob.seq for row in response.json()["results"])


@pytest.fixture
def viewer(clients):
    make_version(make_model(name="m\u00e9"), version_name="1.0.0")
    return clients["viewer"]


@pytest.mark.parametrize(
    ("sort", "values"),
    [
        ("-created", ["not a date", 1]),
        ("-created", ["2024-01-01T00:00:00", 1]),  # no time zone
        ("-created", ["0001-01-01T00:00:00+08:00", 1]),  # before year 1 in UTC
        ("-created", [20240101, 1]),
        ("-created", ["2024-01-01T00:00:00+00:00", "1"]),
        ("-created", ["2024-01-01T00:00:00+00:00", None]),  # only the dates may be null
        ("model", ["m\x00", "1.0.0", 1]),  # PostgreSQL refuses NUL in text
        ("model", ["m" * 256, "1.0.0", 1]),  # longer than the column
        ("model", ["m", "\ud800", 1]),  # a lone surrogate
        ("model", [1, "1.0.0", 1]),
        ("version", ["1.0.0"]),
    ],
    ids=repr,
)
def test_a_forged_versions_cursor_with_wrong_values_is_a_400(viewer, sort, values):
    ordering = {"-created": ["-gmt_create_time", "-id"], "model": ["model__name", "version_name", "id"]}
    paths = ordering.get(sort, ["version_name", "id"])

    refused(viewer, f"{VERSIONS}?sort={sort}", forged({"v": values, "b": False, "p": paths}))


def test_a_null_date_in_a_forged_cursor_is_a_position_like_any_other(viewer):
    cursor = forged({"v": [None, 1], "b": False, "p": ["-gmt_create_time", "-id"]})

    response = viewer.get(VERSIONS, {"sort": "-created", "cursor": cursor})

    assert response.status_code == 200 and isinstance(response.json()["results"], list)
