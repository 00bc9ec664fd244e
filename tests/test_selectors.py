import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import selectors
from approvals.display.source_id import parse_source_id
from approvals.permissions import EVERYTHING as ALL
from approvals.selectors import audit as audit_selectors
from approvals.selectors.audit import AuditFilters, AuditReader
from approvals.selectors.versions import VersionFilters
from tests.factories import at, make_event, make_model, make_user, make_version, make_versions, make_workspace

EVERY_EVENT = AuditReader(scope=ALL, sees_who_and_where=True)

pytestmark = pytest.mark.django_db


def names(versions):
    return [v.version_name for v in versions]


@pytest.fixture
def catalog():
    """Two workspaces, three models, versions that differ in every filtered field."""
    ws1, ws2 = make_workspace(name="Hangzhou"), make_workspace(name="Beijing")
    asr = make_model(ws1, model_id="m-asr", name="speech-asr")
    ocr = make_model(ws1, model_id="m-ocr", name="ocr-printed")
    nlp = make_model(ws2, model_id="m-nlp", name="nlp-intent")
    return {
        "ws1": ws1,
        "ws2": ws2,
        "a1": make_version(
            asr,
            version_name="1.0.0",
            gmt_create_time=at(1),
            gmt_modified_time=at(50),
            framework_type="Pytorch",
            format_type="TorchScript",
            version_description="baseline",
        ),
        "a2": make_version(
            asr,
            version_name="1.1.0",
            gmt_create_time=at(2),
            gmt_modified_time=at(10),
            approval_status="Approved",
            framework_type="Pytorch",
            format_type="ONNX",
            version_description="更好的识别率",
        ),
        "o1": make_version(
            ocr,
            version_name="0.1.0",
            gmt_create_time=at(3),
            gmt_modified_time=at(30),
            approval_status="Rejected",
            source_type="PAIFlow",
            source_id="region=cn-hangzhou,workspaceId=1,kind=PipelineRun,id=run-1",
            framework_type="TensorFlow",
            format_type="SavedModel",
        ),
        "n1": make_version(
            nlp,
            version_name="2.0.0_beta",
            gmt_create_time=at(4),
            gmt_modified_time=at(20),
            source_type="TrainingService",
            framework_type="XGBoost",
            format_type="XGBoost",
            version_description="intent ONNX export pending",
        ),
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (dict(), ["2.0.0_beta", "0.1.0", "1.1.0", "1.0.0"]),
        (dict(status="Pending"), ["2.0.0_beta", "1.0.0"]),
        (dict(status="Approved"), ["1.1.0"]),
        (dict(source_type="PAIFlow"), ["0.1.0"]),
        (dict(source_type="TrainingService"), ["2.0.0_beta"]),
        (dict(framework="Pytorch"), ["1.1.0", "1.0.0"]),
        (dict(format="ONNX"), ["1.1.0"]),
        (dict(model_id="m-asr"), ["1.1.0", "1.0.0"]),
        (dict(model_id="m-none"), []),
        (dict(framework="Pytorch", status="Pending"), ["1.0.0"]),
        (dict(search="onnx"), ["2.0.0_beta"]),  # description only, case-insensitive
        (dict(search="ASR"), ["1.1.0", "1.0.0"]),  # model name
        (dict(search="beta"), ["2.0.0_beta"]),  # version name
        (dict(search="识别"), ["1.1.0"]),  # Chinese description
    ],
)
def test_version_filters_and_search_return_exactly_the_matching_versions(catalog, filters, expected):
    assert names(selectors.version_list(VersionFilters(**filters), scope=ALL)) == expected


def test_the_workspace_filter_returns_only_that_workspaces_versions(catalog):
    rows = selectors.version_list(VersionFilters(workspace_pk=catalog["ws2"].pk), scope=ALL)

    assert names(rows) == ["2.0.0_beta"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("created", ["1.0.0", "1.1.0", "0.1.0", "2.0.0_beta"]),
        ("-created", ["2.0.0_beta", "0.1.0", "1.1.0", "1.0.0"]),
        ("modified", ["1.1.0", "2.0.0_beta", "0.1.0", "1.0.0"]),
        ("-modified", ["1.0.0", "0.1.0", "2.0.0_beta", "1.1.0"]),
        ("model", ["2.0.0_beta", "0.1.0", "1.0.0", "1.1.0"]),
        ("-model", ["1.1.0", "1.0.0", "0.1.0", "2.0.0_beta"]),
        ("version", ["0.1.0", "1.0.0", "1.1.0", "2.0.0_beta"]),
        ("-version", ["2.0.0_beta", "1.1.0", "1.0.0", "0.1.0"]),
    ],
)
def test_versions_sort_by_each_key_in_both_directions(catalog, sort, expected):
    assert names(selectors.version_list(VersionFilters(sort=sort), scope=ALL)) == expected


def test_a_page_is_cut_with_one_query_and_knows_whether_more_follow():
    model = make_model()
    make_versions(model, 7)
    queryset = selectors.version_list(VersionFilters(sort="created"), scope=ALL)

    with CaptureQueriesContext(connection) as queries:
        first = selectors.paginate(queryset, page=1, page_size=3)
    last = selectors.paginate(queryset, page=3, page_size=3)
    beyond = selectors.paginate(queryset, page=9, page_size=3)

    assert len(queries) == 1
    assert "COUNT" not in queries[0]["sql"].upper()
    assert (names(first.items), first.has_next, first.has_previous) == (["2.0.0", "2.1.0", "2.2.0"], True, False)
    assert (names(last.items), last.has_next, last.has_previous) == (["2.6.0"], False, True)
    assert (last.start_index, last.end_index) == (7, 7)
    assert beyond.items == [] and not beyond.has_next


def test_the_versions_page_counts_the_matches_once(catalog):
    with CaptureQueriesContext(connection) as queries:
        page = selectors.version_page(VersionFilters(status="Pending"), scope=ALL, page=1, page_size=1)

    assert page.total == 2
    assert names(page.items) == ["2.0.0_beta"] and page.has_next
    assert sum("COUNT(" in q["sql"].upper() for q in queries) == 1
    assert len(queries) == 2


def test_status_counts_come_from_one_query_and_leave_out_gone_versions(catalog):
    make_version(catalog["a1"].model, approval_status="Pending", gone=True)

    with CaptureQueriesContext(connection) as queries:
        counts = selectors.status_counts(scope=ALL)

    assert counts == {"Pending": (2, True), "Approved": (1, True), "Rejected": (1, True)}
    assert len(queries) == 1


def test_status_counts_stop_at_the_limit_and_say_more_than(catalog):
    for n in range(3):
        make_version(catalog["a1"].model, version_name=f"7.0.{n}", approval_status="Pending")

    with CaptureQueriesContext(connection) as queries:
        counts = selectors.status_counts(scope=ALL, limit=4)

    # 5 Pending: past the limit of 4; 1 Approved and 1 Rejected: exact.
    assert counts == {"Pending": (4, False), "Approved": (1, True), "Rejected": (1, True)}
    assert len(queries) == 1
    assert selectors.status_counts(scope=ALL, limit=5)["Pending"] == (5, True)


def test_the_live_counts_say_more_than_where_a_status_count_stops(client, catalog, monkeypatch):
    from approvals.selectors import versions as versions_selectors

    for n in range(3):
        make_version(catalog["a1"].model, version_name=f"7.0.{n}", approval_status="Pending")
    client.force_login(make_user("counter", staff=True))
    url = reverse("live_status_counts")

    exact = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    monkeypatch.setattr(versions_selectors, "COUNT_LIMIT", 4)
    bounded = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "<strong>5</strong>" in exact and "more than" not in exact
    assert "<strong>more than 4</strong>" in bounded and "<strong>1</strong>" in bounded
    assert "<strong>超过 4</strong>" in chinese


def test_the_queue_lists_pending_versions_still_in_pai_oldest_first_with_their_last_change(catalog):
    make_version(catalog["a1"].model, version_name="9.9.9", gone=True)
    make_event(catalog["a1"], action="first")
    make_event(catalog["a1"], action="second", actor="alice")
    make_event(catalog["a2"], action="about another version")

    with CaptureQueriesContext(connection) as queries:
        page = selectors.review_queue(scope=ALL, page=1, page_size=10)

    # 1.0.0 is older, but its model's 1.1.0 is Approved since: superseded, it comes last.
    assert names(page.items) == ["2.0.0_beta", "1.0.0"]
    assert [(v.superseded, v.newer_approved) for v in page.items] == [(False, 0), (True, 1)]
    assert (page.items[1].last_event.action, page.items[1].last_event.actor) == ("second", "alice")
    assert page.items[0].last_event is None
    # the review times, the overdue rows (none), the current rows, the superseded ones, the last events
    assert len(queries) == 5


def test_last_events_match_model_and_version_together_and_read_nothing_more(catalog):
    workspace = make_workspace()
    first, second = make_model(workspace, model_id="m-first"), make_model(workspace, model_id="m-second")
    versions = [make_version(model, version_name=name) for model in (first, second) for name in ("1.0", "2.0")]
    make_event(versions[0], action="about m-first 1.0", actor="alice")
    make_event(versions[3], action="about m-second 2.0", actor="bob")
    make_event(versions[3], action="pushed", actor="system")
    fresh = list(selectors.review_queue(scope=ALL, page=1, page_size=50).items)
    mine = [v for v in fresh if v.model.model_id in ("m-first", "m-second")]
    assert len(mine) == 4

    selectors.attach_last_events(mine)

    with CaptureQueriesContext(connection) as queries:
        found = {(v.model.model_id, v.version_name): v.last_event for v in mine}
        shown = {pair: (e.action, e.actor, e.created_at is not None) for pair, e in found.items() if e}
    assert shown == {
        ("m-first", "1.0"): ("about m-first 1.0", "alice", True),
        ("m-second", "2.0"): ("about m-second 2.0", "bob", True),
    }
    assert found[("m-first", "2.0")] is None and found[("m-second", "1.0")] is None
    assert len(queries) == 0


def test_the_previous_version_is_the_one_created_just_before(catalog):
    model = catalog["a1"].model
    later = make_version(model, version_name="1.2.0", gmt_create_time=at(100))
    same_time = make_version(model, version_name="1.2.1", gmt_create_time=at(100))

    assert selectors.previous_version(catalog["a2"], scope=ALL) == catalog["a1"]
    assert selectors.previous_version(catalog["a1"], scope=ALL) is None
    assert selectors.previous_version(later, scope=ALL) == catalog["a2"]
    assert selectors.previous_version(same_time, scope=ALL) == later


def test_the_latest_approved_version_is_the_newest_approved_other_than_this_one(catalog):
    model = catalog["a1"].model
    newer_approved = make_version(model, version_name="1.3.0", gmt_create_time=at(200), approval_status="Approved")
    make_version(model, version_name="1.4.0", gmt_create_time=at(300), approval_status="Rejected")

    assert selectors.latest_approved_version(catalog["a1"], scope=ALL) == newer_approved
    assert selectors.latest_approved_version(newer_approved, scope=ALL) == catalog["a2"]
    assert selectors.latest_approved_version(catalog["o1"], scope=ALL) is None


def test_the_model_page_lists_versions_newest_first_with_their_key_metrics():
    model = make_model()
    make_version(model, version_name="1.0.0", gmt_create_time=at(1), metrics={"cer": 0.2})
    make_version(model, version_name="1.1.0", gmt_create_time=at(2), metrics={"cer": 0.15, "wer": 0.3})

    listing = selectors.model_versions(model, scope=ALL)

    assert [c.label for c in listing.columns] == ["cer", "wer"]
    assert [(r.version.version_name, r.metric_values) for r in listing.rows] == [
        ("1.1.0", ["0.15", "0.3"]),
        ("1.0.0", ["0.2", ""]),
    ]


def test_the_history_of_a_version_is_its_events_newest_first(catalog):
    make_event(catalog["a1"], action="one")
    make_event(catalog["a2"], action="other version")
    make_event(catalog["a1"], action="two")

    assert [e.action for e in selectors.version_history(catalog["a1"], reader=EVERY_EVENT)] == ["two", "one"]


def test_a_source_id_is_split_into_region_workspace_kind_and_id():
    parts = parse_source_id("region=cn-shanghai,workspaceId=12345,kind=ServiceJob,id=dlc-abc")

    assert parts == {"region": "cn-shanghai", "workspace": "12345", "kind": "ServiceJob", "id": "dlc-abc"}
    assert parse_source_id("my own notebook") is None
    assert parse_source_id("") is None


@pytest.fixture
def events():
    version = make_version()
    return [
        make_event(version, actor=f"user{i % 2}", action="edit" if i % 3 else "decision", payload={"i": i})
        for i in range(10)
    ]


def test_audit_pages_go_back_and_forth_by_seq(events):
    newest = audit_selectors.audit_page(AuditFilters(), reader=EVERY_EVENT, page_size=4)
    older = audit_selectors.audit_page(AuditFilters(), reader=EVERY_EVENT, before=newest.older_than, page_size=4)
    oldest = audit_selectors.audit_page(AuditFilters(), reader=EVERY_EVENT, before=older.older_than, page_size=4)
    back = audit_selectors.audit_page(AuditFilters(), reader=EVERY_EVENT, after=oldest.newer_than, page_size=4)

    assert [e.seq for e in newest.events] == [10, 9, 8, 7] and newest.is_newest and newest.newer_than is None
    assert [e.seq for e in older.events] == [6, 5, 4, 3]
    assert [e.seq for e in oldest.events] == [2, 1] and oldest.older_than is None
    assert [e.seq for e in back.events] == [6, 5, 4, 3] and not back.is_newest


def test_audit_filters_return_exactly_the_matching_events(events):
    other = make_version()
    make_event(other, actor="PAI", action="pai_changed")

    def seqs(**filters):
        return [e.seq for e in audit_selectors.audit_events(AuditFilters(**filters), reader=EVERY_EVENT)]

    assert seqs(actor="user1", action="edit") == [8, 6, 2]
    assert seqs(action="decision") == [10, 7, 4, 1]
    assert seqs(model_id=other.model.model_id) == [11]
    assert seqs(workspace_id=other.workspace.workspace_id) == [11]
    assert seqs(version_name=events[0].version_name, model_id=events[0].model_id) == list(range(10, 0, -1))


def test_audit_date_range_includes_the_whole_last_day(events):
    today = events[0].created_at.date()

    assert len(audit_selectors.audit_events(AuditFilters(date_from=today, date_to=today), reader=EVERY_EVENT)) == 10
    day = dt.timedelta(days=1)
    assert len(audit_selectors.audit_events(AuditFilters(date_to=today - day), reader=EVERY_EVENT)) == 0
    assert len(audit_selectors.audit_events(AuditFilters(date_from=today + day), reader=EVERY_EVENT)) == 0
