"""Chinese complete: the wire layer's refusals worded at the boundary, our own JSON errors with
line and column, action codes as words, ages in 个月, and one spelling of PAI's enum values."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import translation

from approvals.display.durations import age
from approvals.display.field_problems import problem_message
from approvals.fields import value_label
from approvals.pai.fields import check_update
from approvals.web.forms.json_fields import parse_json_text
from tests.factories import make_event, make_model, make_user, make_version

pytestmark = pytest.mark.django_db

BAD_SOURCE = {"SourceType": "TrainingService", "SourceId": "job-1"}


def test_every_wire_refusal_has_a_code_and_a_chinese_wording():
    problems = check_update(
        {"Metrics": [], "SourceType": "Nope", "ApprovalStatus": "Maybe", **{"SourceId": 5}},
        {"ApprovalStatus": "Pending"},
    )
    problems += check_update(BAD_SOURCE, {})
    assert all(p.code for p in problems)
    with translation.override("zh-hans"):
        worded = [problem_message(p) for p in problems]
    assert all(re.search(r"[\u4e00-\u9fff]", w) for w in worded), worded
    # The wire layer's own English stays for the emulator.
    assert problems[-1].message.startswith("For SourceType TrainingService, SourceId must look like")


def test_the_source_id_error_on_the_edit_page_is_chinese(client):
    client.force_login(make_user("edna", group="editor"))
    version = make_version(make_model())
    response = client.post(
        reverse("version_edit", args=[version.model.model_id, version.version_name]),
        {
            "base_revision": 0,
            "VersionDescription": "",
            "SourceType": "TrainingService",
            "SourceId": "job-1",
            "Options": "",
            **{
                f: "{}"
                for f in (
                    "Metrics",
                    "TrainingSpec",
                    "InferenceSpec",
                    "EvaluationSpec",
                    "CompressionSpec",
                    "DistillationSpec",
                    "ExtraInfo",
                )
            },
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "SourceType 为 TrainingService 时，SourceId 的格式必须为" in page
    # The summary's link reads with a Chinese colon: 来源 ID：…
    assert '<a href="#id_SourceId">来源 ID：SourceType 为 TrainingService 时' in page
    assert "must look like" not in page


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{a: 1}", "第 1 行，第 2 列：此处应为带双引号的键。"),
        ('{"a": 1,\n "b" 2}', "第 2 行，第 6 列：键后面应为冒号（:）。"),
        ('{"a": 1} x', "第 1 行，第 10 列：JSON 值结束后还有多余内容。"),
    ],
)
def test_a_json_error_is_ours_in_chinese_with_line_and_column(text, expected):
    from django import forms

    with translation.override("zh-hans"), pytest.raises(forms.ValidationError) as caught:
        parse_json_text(text)
    assert caught.value.messages == [expected]
    assert "Expecting" not in caught.value.messages[0]


def test_ages_read_months_not_june():
    now = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    then = now - dt.timedelta(days=196)
    with translation.override("zh-hans"):
        assert age(then, now) == "6\xa0个月，1\xa0周"
    with translation.override("en"):
        assert age(then, now) == "6\xa0months, 1\xa0week"


def test_the_queue_in_chinese_says_actions_in_words_and_months(client):
    version = make_version(make_model(name="asr"), gmt_create_time=dt.datetime.now(dt.UTC) - dt.timedelta(days=200))
    make_event(version, actor="edna", action="version.edited")
    client.force_login(make_user("vera", group="viewer"))

    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "已编辑" in page and "version.edited" not in page
    assert "个月" in page and not re.search(r"\d\s月", page)


def test_pais_enum_values_have_one_spelling_in_filters_and_tables(client):
    assert value_label("Pytorch") == "PyTorch" and value_label("PAIFlow") == "PAIFlow"
    make_version(make_model(), framework_type="Pytorch", source_type="PAIFlow")
    client.force_login(make_user("vera", group="viewer"))

    page = client.get(reverse("version_list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert '<option value="Pytorch">PyTorch</option>' in page
    assert '<option value="PAIFlow">PAIFlow</option>' in page
    assert "<td>PyTorch</td>" in page and "<td>PAIFlow</td>" in page
    assert ">Pytorch<" not in page and "Paiflow" not in page
