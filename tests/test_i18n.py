"""The Chinese interface: a complete catalogue, compiled, every template string marked, pages in Chinese."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from tests.conftest import need_service
from tests.factories import make_model, make_user, make_version

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
MO = PO.with_suffix(".mo")


def po_entries() -> list[dict[str, str]]:
    """(context, msgid, plural, msgstr, flags) of each entry; enough of the PO format for these files."""
    entries = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {"flags": ""}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                fields["flags"] = line
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[0\])?) "(.*)"$', line)
            if match:
                key = match.group(1).replace("[0]", "")
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields.get("msgid"):
            entries.append(
                {k: v.encode().decode("unicode_escape").encode("latin-1").decode() for k, v in fields.items()}
            )
    return entries


def test_every_message_in_the_chinese_catalogue_is_translated_and_none_is_fuzzy():
    entries = po_entries()

    assert len(entries) > 300
    assert [e["msgid"] for e in entries if not e.get("msgstr")] == []
    assert [e["msgid"] for e in entries if "fuzzy" in e["flags"]] == []


def test_the_committed_mo_file_holds_exactly_the_po_files_translations():
    with MO.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)

    for entry in po_entries():
        context = entry.get("msgctxt")
        if "msgid_plural" in entry:
            got = (
                catalogue.npgettext(context, entry["msgid"], entry["msgid_plural"], 2)
                if context
                else (catalogue.ngettext(entry["msgid"], entry["msgid_plural"], 2))
            )
        else:
            got = catalogue.pgettext(context, entry["msgid"]) if context else catalogue.gettext(entry["msgid"])
        assert got == entry["msgstr"], entry["msgid"]


def test_msgfmt_accepts_the_catalogue_with_its_placeholders_checked(tmp_path):
    msgfmt = shutil.which("msgfmt")
    need_service("GNU gettext (msgfmt)", msgfmt is not None)

    result = subprocess.run(
        [msgfmt, "--check", "-o", str(tmp_path / "django.mo"), str(PO)], capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr


# Text a person reads that is not wrapped in {% translate %} / {% blocktranslate %}.
# PAI's own identifiers (field names like ModelId, RequestId) stay as PAI spells them.
PAI_TERMS = {"VersionName", "ModelId", "ApprovalStatus", "Uri", "OwnerId", "UserId", "GmtCreateTime"}
PAI_TERMS |= {"GmtModifiedTime", "RequestId", "ID", "PAI"}


def visible_template_text(source: str) -> list[str]:
    source = re.sub(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}", " ", source, flags=re.S)
    source = re.sub(r"{#.*?#}", " ", source, flags=re.S)
    source = re.sub(r"{%.*?%}|{{.*?}}", " ", source, flags=re.S)
    source = re.sub(r"<(script|style|code)\b.*?</\1>", " ", source, flags=re.S)
    attributes = re.findall(r'\b(?:title|aria-label|alt|placeholder)="([^"]*)"', source)
    text = re.sub(r"<[^>]*>", " ", source)
    words = re.findall(r"[A-Za-z][A-Za-z'’]+", " ".join([text, *attributes]))
    return [w for w in words if w not in PAI_TERMS]


@pytest.mark.parametrize(
    "template", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*.html")), ids=str
)
def test_every_word_a_template_shows_is_marked_for_translation(template):
    source = (ROOT / template).read_text(encoding="utf-8")

    assert visible_template_text(source) == []


def test_the_text_finder_would_catch_an_unmarked_word():
    assert visible_template_text('<p>Approve {% translate "Reject" %}</p><a title="Go">x</a>') == ["Approve", "Go"]


@pytest.fixture
def viewer(client):
    client.force_login(make_user("viewer", group="viewer"))


@pytest.fixture
def approver_user(client):
    client.force_login(make_user("abe", group="approver"))


@pytest.fixture
def in_chinese(client):
    client.cookies["django_language"] = "zh-hans"
    return client


@pytest.mark.django_db
def test_the_queue_and_a_version_page_read_in_chinese(in_chinese, viewer):
    version = make_version(make_model(), push_state="queued", revision=1)

    queue = in_chinese.get(reverse("home")).content.decode()
    page = in_chinese.get(
        reverse("version_detail", args=[version.model.model_id, version.version_name])
    ).content.decode()

    assert '<html lang="zh-hans">' in queue
    assert "<h1>审核队列</h1>" in queue and "Review queue" not in queue
    assert '<span class="badge status-pending">待审批</span>' in queue
    assert "推送：排队中" in page and "push: queued" not in page
    assert "正在等待 worker 将更改发送到 PAI。" in page


@pytest.mark.django_db
def test_a_service_error_is_shown_in_chinese(in_chinese, approver_user):
    version = make_version(make_model())
    url = reverse("version_decide", args=[version.model.model_id, version.version_name])

    response = in_chinese.post(url, {"status": "Rejected", "reason": "", "revision": version.revision})

    assert response.status_code == 400
    assert "拒绝必须填写理由。" in response.content.decode()


@pytest.mark.django_db
def test_the_language_switcher_sets_the_language_and_returns_to_the_page(client, viewer):
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("version_list")})

    assert response.status_code == 302 and response["Location"] == reverse("version_list")
    assert "<h1>版本</h1>" in client.get(reverse("version_list")).content.decode()


@pytest.mark.django_db
def test_dates_print_in_the_time_zone_the_browser_reported(client, viewer):
    import datetime as dt

    make_version(make_model(), gmt_create_time=dt.datetime(2024, 1, 1, 23, 30, tzinfo=dt.UTC))

    client.cookies["tz"] = "Asia/Shanghai"
    local = client.get(reverse("version_list")).content.decode()
    client.cookies["tz"] = "Not/AZone"
    fallback = client.get(reverse("version_list")).content.decode()

    assert "2024-01-02 07:30" in local and "Times are shown in Asia/Shanghai." in local
    assert "2024-01-01 23:30" in fallback and "Times are shown in UTC." in fallback


TRANSLATORS = {"_", "gettext", "gettext_lazy", "gettext_noop", "pgettext", "pgettext_lazy", "ngettext"}


def code_messages() -> list[tuple[str, str]]:
    """(where, msgid) of every literal the dashboard's code marks for translation (the wire layer aside)."""
    import ast

    found = []
    for path in sorted((ROOT / "approvals").rglob("*.py")):
        if "migrations" in path.parts or "pai" in path.relative_to(ROOT / "approvals").parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in TRANSLATORS):
                continue
            args = node.args[1:] if node.func.id.startswith("pgettext") else node.args
            if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", args[0].value))
    return found


def test_every_message_the_code_marks_has_a_chinese_translation():
    translated = {entry["msgid"] for entry in po_entries() if entry.get("msgstr")}
    missing = [f"{where} {msgid!r}" for where, msgid in code_messages() if msgid not in translated]
    assert missing == []


def test_the_code_message_finder_finds_marked_literals():
    messages = {msgid for _where, msgid in code_messages()}
    assert {"A rejection needs a reason.", "Training spec"} <= messages


# Django's own extraction of a template: its messages as gettext/pgettext/ngettext calls.
_STRING = r"u?'(?:[^'\\]|\\.)*'"
_TEMPLATE_CALL = re.compile(rf"\b(gettext|pgettext|ngettext|npgettext)\(({_STRING})(?:,\s*({_STRING}))?")


def template_messages(source: str) -> list[tuple[str | None, str]]:
    """(context, msgid) of every message a template marks, as makemessages would read them."""
    import ast

    from django.utils.translation.template import templatize

    found = []
    for kind, first, second in _TEMPLATE_CALL.findall(templatize(source, origin="template.html")):
        first, second = ast.literal_eval(first), ast.literal_eval(second) if second else None
        found.append((first, second) if kind.startswith("p") else (None, first))
    return found


def test_every_message_a_template_marks_has_a_chinese_translation():
    translated = {(entry.get("msgctxt"), entry["msgid"]) for entry in po_entries() if entry.get("msgstr")}
    missing = [
        (str(path.relative_to(ROOT)), msgid)
        for path in sorted((ROOT / "templates").rglob("*"))
        if path.is_file()
        for context, msgid in template_messages(path.read_text(encoding="utf-8"))
        if (context, msgid) not in translated
    ]
    assert missing == []


def test_the_template_message_finder_reads_every_kind_of_tag():
    source = (
        '{% translate "Reject" %}{% translate "edited" context "audit action" %}'
        "{% blocktranslate count n=k %}{{ n }} field{% plural %}{{ n }} fields{% endblocktranslate %}"
    )
    assert template_messages(source) == [(None, "Reject"), ("audit action", "edited"), (None, "%(n)s field")]
