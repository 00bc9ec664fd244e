import re

import pytest
from django.urls import reverse

from tests.factories import at, make_event, make_model, make_user, make_version, results_metrics

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def viewer(client):
    client.force_login(make_user("viewer", group="viewer"))


def page(client, version):
    response = client.get(reverse("version_detail", args=[version.model.model_id, version.version_name]))
    assert response.status_code == 200
    return response.content.decode()


def metrics_rows(html: str) -> list[list[str]]:
    """The metrics table's body as text cells, tags stripped and whitespace squeezed."""
    table = html.split('<table class="metrics">', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells])
    return rows


@pytest.fixture
def model():
    return make_model(model_id="m-asr", name="speech-asr")


def test_it_shows_every_field_with_the_source_id_parsed_and_the_uri_as_text(client, viewer, model):
    version = make_version(
        model,
        version_name="1.2.0",
        version_description="plain",
        source_type="TrainingService",
        source_id="region=cn-shanghai,workspaceId=886,kind=ServiceJob,id=dlc-77",
        uri="oss://bucket.oss-cn-shanghai.aliyuncs.com/models/asr/",
        format_type="TorchScript",
        framework_type="Pytorch",
        labels=[{"Key": "team", "Value": "speech"}],
        training_spec={"epochs": 10, "optimizer": {"name": "adam"}},
        options='{"keep":true}',
        push_state="failed",
        push_error="InvalidParameter: Metrics too long",
        last_request_id="REQ-123",
    )

    html = page(client, version)

    for text in ("TrainingService", "TorchScript", "PyTorch", "team=speech", "REQ-123", "InvalidParameter"):
        assert text in html
    assert "<dt>Region</dt><dd><code>cn-shanghai</code></dd>" in html
    assert "<dt>Workspace</dt><dd><code>886</code></dd>" in html
    assert '<dt>Kind</dt><dd>training job <code class="muted">ServiceJob</code></dd>' in html
    # The job it names, in PAI's console, and the version's own page there.
    assert 'href="https://pai.console.aliyun.com/?regionId=cn-shanghai&amp;workspaceId=886#/dlc/jobs/dlc-77"' in html
    assert "#/modelManage/models/m-asr/versions/1.2.0" in html
    assert "<dt>ID</dt><dd><code>dlc-77</code></dd>" in html
    assert '<code class="wrap">oss://bucket.oss-cn-shanghai.aliyuncs.com/models/asr/</code>' in html
    assert 'href="oss://' not in html
    assert (
        "<pre>{\n  &quot;epochs&quot;: 10,\n  &quot;optimizer&quot;: {\n    &quot;name&quot;: &quot;adam&quot;" in html
    )
    assert "<pre>{\n  &quot;keep&quot;: true\n}</pre>" in html
    assert "push: failed" in html


def test_an_http_uri_is_not_a_live_link(client, viewer, model):
    version = make_version(model, uri="https://example.com/model.tar.gz")

    html = page(client, version)

    assert "https://example.com/model.tar.gz" in html
    assert 'href="https://example.com' not in html


def test_metrics_are_compared_with_the_previous_and_the_latest_approved_version(client, viewer, model):
    make_version(
        model,
        version_name="1.0.0",
        gmt_create_time=at(1),
        approval_status="Approved",
        metrics=results_metrics(("d-test", {"cer": 0.25, "wer": 0.4})),
    )
    make_version(
        model,
        version_name="1.1.0",
        gmt_create_time=at(2),
        approval_status="Rejected",
        metrics=results_metrics(("d-test", {"cer": 0.2, "wer": 0.4})),
    )
    current = make_version(
        model,
        version_name="1.2.0",
        gmt_create_time=at(3),
        metrics=results_metrics(("d-test", {"cer": 0.175, "wer": 0.45, "bleu": 30})),
    )
    make_version(model, version_name="1.3.0", gmt_create_time=at(4), metrics={"cer": 0.1})

    html = page(client, current)

    assert "Previous (1.1.0)" in html and "Latest Approved (1.0.0)" in html
    assert metrics_rows(html) == [
        ["d-test", "cer lower is better", "0.175", "0.2 ↓ -0.025 better", "0.25 ↓ -0.075 better"],
        ["d-test", "wer lower is better", "0.45", "0.4 ↑ +0.05 worse", "0.4 ↑ +0.05 worse"],
        ["d-test", "bleu higher is better", "30", "not in that version", "not in that version"],
    ]


def test_the_first_version_has_nothing_to_compare_with_and_says_so(client, viewer, model):
    version = make_version(model, metrics={"acc": 0.9})

    html = page(client, version)

    assert "no previous version" in html and "no Approved version" in html
    assert metrics_rows(html) == [["—", "acc higher is better", "0.9"]]


@pytest.mark.parametrize("payload", [SCRIPT, IMG])
def test_payloads_in_description_metric_names_dataset_ids_and_specs_render_inert(client, viewer, model, payload):
    make_version(
        model,
        version_name="1.0.0",
        gmt_create_time=at(1),
        approval_status="Approved",
        metrics=results_metrics((payload, {payload: 1})),
    )
    version = make_version(
        model,
        version_name="1.1.0",
        gmt_create_time=at(2),
        version_description=payload,
        metrics=results_metrics((payload, {payload: 2})),
        training_spec={payload: payload},
        source_id=payload,
        uri=payload,
        labels=[{"Key": payload, "Value": payload}],
        push_error=payload,
    )
    make_event(version, actor=payload, action=payload, payload={"fields": {payload: [payload, payload]}})

    html = page(client, version)

    assert "<script>alert" not in html
    assert "<img src=x" not in html
    escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert html.count(escaped) >= 8


def test_a_chinese_description_shows_as_written(client, viewer, model):
    version = make_version(model, version_description="语音识别模型，中文普通话，字错率 17.5%")

    html = page(client, version)

    assert "语音识别模型，中文普通话，字错率 17.5%" in html


@pytest.mark.parametrize(
    "path",
    [
        ("m-asr", "9.9.9"),
        ("m-unknown", "1.0.0"),
    ],
)
def test_an_unknown_model_or_version_is_a_404_page(client, viewer, model, path):
    make_version(model, version_name="1.0.0")

    response = client.get(reverse("version_detail", args=path))

    assert response.status_code == 404
    assert "Not found" in response.content.decode()


def test_the_history_lists_the_versions_events_newest_first_with_field_diffs(client, viewer, model):
    version = make_version(model, version_name="1.0.0")
    other = make_version(model, version_name="1.1.0")
    make_event(version, actor="PAI", action="pai_changed", payload={"fields": {"VersionDescription": ["old", "新"]}})
    make_event(other, actor="bob", action="not about this version")
    make_event(
        version,
        actor="alice",
        action="edit",
        payload={"fields": {"Metrics": [{"cer": 0.2}, {"cer": 0.1}]}, "reason": "re-evaluated"},
    )

    html = page(client, version)
    history = html.split('id="h-history"', 1)[1]

    assert "not about this version" not in history
    assert history.index("alice") < history.index("pai_changed")
    assert '<th scope="row">VersionDescription</th><td><pre>old</pre></td><td><pre>新</pre></td>' in history
    assert "<pre>{\n  &quot;cer&quot;: 0.2\n}</pre></td><td><pre>{\n  &quot;cer&quot;: 0.1\n}</pre>" in history
    assert "<dt>Reason</dt><dd><pre>re-evaluated</pre></dd>" in history


def test_the_model_page_shows_versions_with_status_and_key_metrics(client, viewer, model):
    make_version(
        model,
        version_name="1.0.0",
        gmt_create_time=at(1),
        approval_status="Approved",
        metrics=results_metrics(("d-1", {"cer": 0.25})),
    )
    make_version(
        model, version_name="1.1.0", gmt_create_time=at(2), metrics=results_metrics(("d-1", {"cer": 0.2, "wer": 0.3}))
    )

    html = client.get(reverse("model_detail", args=["m-asr"])).content.decode()

    assert re.search(r'<th scope="col" class="num">cer</th>\s*<th scope="col" class="num">wer</th>', html)
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", html, re.S)
    text = [" ".join(re.sub(r"<[^>]+>", " ", r).split()) for r in rows]
    assert text[0].startswith("1.1.0 Pending") and text[0].endswith("0.2 0.3")
    assert text[1].startswith("1.0.0 Approved") and text[1].endswith("0.25 —")


def test_an_unknown_model_page_is_a_404(client, viewer):
    response = client.get(reverse("model_detail", args=["m-nothing"]))

    assert response.status_code == 404
    assert "There is no such model or version here" in response.content.decode()
