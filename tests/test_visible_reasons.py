"""A reason must say something a person can see: spaces, zero-width and other invisible
characters alone count as no reason, on the decision page and through the API alike."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from approvals.display.text import visible_text
from approvals.models import AuditEvent, Change
from tests.factories import write_state

INVISIBLE = [
    "",
    "   ",
    "\u200b",  # zero-width space
    "\u200b\u200c\u200d\u2060\ufeff",  # zero-width (non-)joiners, word joiner, BOM
    "\u00a0\u3000\u2003",  # no-break, ideographic and em spaces
    "\u202e\u2066\u2069",  # bidi controls
    "\u00ad",  # soft hyphen
    "\u3164\u115f\uffa0",  # Hangul fillers
    "\u2800",  # Braille blank
    "\u0301\u20dd",  # combining marks with nothing to sit on
    "\t\n\r\x0b\x0c",
    "\U000e0020\U000e007f",  # tag characters
]


@pytest.mark.parametrize("text", INVISIBLE, ids=ascii)
def test_text_of_only_invisible_characters_counts_as_empty(text):
    assert visible_text(text) == ""


@pytest.mark.parametrize("text", ["a", " leaks test data ", "泄露测试数据", "\u200bok", "1", "🙈", "é"], ids=ascii)
def test_text_with_something_visible_is_kept_stripped(text):
    assert visible_text(text) == text.strip()


URL = "/api/models/m-asr/versions/1.0.0"


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["\u200b", "\u200b \u2060\ufeff", "\u3000\u00a0", "\u3164"], ids=ascii)
def test_a_rejection_whose_reason_is_invisible_is_refused_through_the_api(clients, version, reason):
    before = write_state(version)

    body = {"ApprovalStatus": "Rejected", "Reason": reason}

    etag = f'"{version.revision}"'
    response = clients["approver"].post(f"{URL}/decision", body, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 400
    assert response.json()["fields"] == {"Reason": ["A rejection needs a reason."]}
    assert write_state(version) == before


@pytest.mark.django_db
def test_a_rejection_whose_reason_is_a_zero_width_space_is_refused_on_the_page(users, version):
    client = Client()
    client.force_login(users["approver"])
    before = write_state(version)

    response = client.post(
        reverse("version_decide", args=[version.model.model_id, version.version_name]),
        {"status": "Rejected", "reason": "\u200b", "revision": version.revision},
    )

    assert response.status_code == 400
    assert "A rejection needs a reason." in response.content.decode()
    assert write_state(version) == before


@pytest.mark.django_db
def test_an_invisible_reason_on_an_approval_is_stored_as_none(clients, version):
    response = clients["approver"].post(
        f"{URL}/decision",
        {"ApprovalStatus": "Approved", "Reason": "\u200b\u200b"},
        format="json",
        HTTP_IF_MATCH=f'"{version.revision}"',
    )

    assert response.status_code == 200
    assert Change.objects.get(version=version).reason == ""
    assert AuditEvent.objects.get(action="version.approved").payload.get("reason", "") == ""
