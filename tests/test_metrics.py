from approvals.display.metrics import NO_DATASET, compare_metrics, format_value, key_metric_columns, parse_metrics
from tests.factories import results_metrics


def test_it_reads_the_results_shape_as_dataset_by_metric():
    table = parse_metrics(results_metrics(("d-1", {"cer": 0.175, "wer": 0.3}), ("d-2", {"cer": 0.2})))

    assert table.values == {("d-1", "cer"): 0.175, ("d-1", "wer"): 0.3, ("d-2", "cer"): 0.2}
    assert table.datasets == ["d-1", "d-2"]


def test_it_puts_flat_metrics_under_no_dataset_and_flattens_nested_objects():
    table = parse_metrics({"accuracy": 0.9, "detail": {"top1": 0.8, "top5": 0.95}})

    assert table.values == {
        (NO_DATASET, "accuracy"): 0.9,
        (NO_DATASET, "detail.top1"): 0.8,
        (NO_DATASET, "detail.top5"): 0.95,
    }


def test_it_never_raises_on_odd_shapes():
    assert not parse_metrics({})
    assert not parse_metrics(None)
    assert parse_metrics([1, 2]).values == {(NO_DATASET, "value"): [1, 2]}
    odd = parse_metrics({"Results": ["x", {"Dataset": "plain", "Metrics": {"a": 1}}, {"Metrics": {"b": 2}}]})
    assert odd.values == {("plain", "a"): 1, ("dataset 3", "b"): 2}


def test_it_names_datasets_by_id_then_name():
    table = parse_metrics({"Results": [{"Dataset": {"DatasetName": "librispeech"}, "Metrics": {"cer": 1}}]})

    assert table.datasets == ["librispeech"]


def test_comparison_marks_higher_and_lower_with_the_delta():
    current = parse_metrics(results_metrics(("d-1", {"cer": 0.175, "acc": 0.9})))
    previous = parse_metrics(results_metrics(("d-1", {"cer": 0.2, "acc": 0.85})))

    rows = {row.metric: row for row in compare_metrics(current, [previous])}

    cer = rows["cer"].differences[0]
    assert (cer.direction, cer.other_display, cer.delta_display) == ("down", "0.2", "-0.025")
    acc = rows["acc"].differences[0]
    assert (acc.direction, acc.delta_display) == ("up", "+0.05")


def test_comparison_says_same_changed_missing_and_absent():
    current = parse_metrics({"a": 1, "b": "x", "c": "y", "only_here": 3})
    other = parse_metrics({"a": 1, "b": "x", "c": "z", "only_there": 4})

    rows = {row.metric: row for row in compare_metrics(current, [other])}

    assert rows["a"].differences[0].direction == "same"
    assert rows["b"].differences[0].direction == "same"
    assert rows["c"].differences[0].direction == "changed"
    assert rows["only_here"].differences[0].direction == "missing"
    assert rows["only_there"].differences[0].direction == "absent"
    assert rows["only_there"].value_display == "—"


def test_comparison_skips_a_version_that_does_not_exist():
    current = parse_metrics({"a": 1})
    other = parse_metrics({"a": 2})

    rows = compare_metrics(current, [None, other])

    assert len(rows[0].differences) == 1
    assert rows[0].differences[0].delta == -1


def test_booleans_are_not_subtracted():
    rows = compare_metrics(parse_metrics({"ok": True}), [parse_metrics({"ok": False})])

    assert rows[0].differences[0].direction == "changed"
    assert rows[0].differences[0].delta is None


def test_key_columns_use_metric_names_for_one_dataset_and_dataset_prefixes_for_several():
    one = [parse_metrics(results_metrics(("d-1", {"cer": 1, "wer": 2})))]
    several = [*one, parse_metrics(results_metrics(("d-2", {"cer": 3})))]

    assert [c.label for c in key_metric_columns(one)] == ["cer", "wer"]
    assert [c.label for c in key_metric_columns(several)] == ["d-1:cer", "d-1:wer", "d-2:cer"]
    assert len(key_metric_columns(several, limit=2)) == 2


def test_values_are_formatted_compactly_and_keep_chinese():
    assert format_value(0.1 + 0.2) == "0.3"
    assert format_value(True) == "true"
    assert format_value({"名": "值"}) == '{"名": "值"}'
    assert format_value(None) == ""
