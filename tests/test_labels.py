"""The label rules of approvals.pai.labels, shared by the emulator and the dashboard's forms."""

import pytest

from approvals.pai import labels


def problems(items, current=()):
    return [(p.field, p.message) for p in labels.check_labels(items, current)]


def test_plain_labels_pass():
    assert problems([{"Key": "env", "Value": "test"}, {"Key": "模型", "Value": "中文"}]) == []


def test_an_absent_value_is_an_empty_one_as_the_sdk_sends_it():
    assert problems([{"Key": "reviewed"}]) == []
    assert labels.merge([], [{"Key": "reviewed"}]) == [{"Key": "reviewed", "Value": ""}]


@pytest.mark.parametrize("items", [None, {}, "env=test", {"Key": "env", "Value": "test"}])
def test_labels_must_be_a_list(items):
    assert problems(items) == [("Labels", "Labels must be a list of {Key, Value} objects.")]


def test_labels_must_not_be_empty():
    assert problems([]) == [("Labels", "Labels must hold at least one label.")]


@pytest.mark.parametrize(
    ("item", "field", "words"),
    [
        ("env", "Labels[0]", "object"),
        ({"Value": "x"}, "Labels[0].Key", "string"),
        ({"Key": 5, "Value": "x"}, "Labels[0].Key", "string"),
        ({"Key": "", "Value": "x"}, "Labels[0].Key", "empty"),
        ({"Key": " env", "Value": "x"}, "Labels[0].Key", "whitespace"),
        ({"Key": "a=b", "Value": "x"}, "Labels[0].Key", "'='"),
        ({"Key": "a,b", "Value": "x"}, "Labels[0].Key", "','"),
        ({"Key": "a\nb", "Value": "x"}, "Labels[0].Key", "control"),
        ({"Key": "k" * 129, "Value": "x"}, "Labels[0].Key", "129 bytes"),
        ({"Key": "env", "Value": 1}, "Labels[0].Value", "string"),
        ({"Key": "env", "Value": None}, "Labels[0].Value", "string"),
        ({"Key": "env", "Value": "a,b"}, "Labels[0].Value", "','"),
        ({"Key": "env", "Value": "中" * 43}, "Labels[0].Value", "129 bytes"),
    ],
)
def test_it_names_the_label_and_the_reason(item, field, words):
    (found,) = problems([item])
    assert found[0] == field
    assert words in found[1]


def test_the_limits_count_utf8_bytes_and_128_is_allowed():
    assert problems([{"Key": "k" * 128, "Value": "中" * 42 + "xx"}]) == []


def test_every_bad_label_is_reported_not_only_the_first():
    found = problems([{"Key": "ok", "Value": "1"}, {"Key": ""}, {"Key": "x", "Value": 2}])
    assert [f for f, _ in found] == ["Labels[1].Key", "Labels[2].Value"]


def test_a_version_holds_at_most_fifty_labels_counting_the_ones_it_has():
    current = [{"Key": f"k{i}", "Value": ""} for i in range(49)]
    assert problems([{"Key": "k0", "Value": "replaced"}, {"Key": "new"}], current) == []
    (found,) = problems([{"Key": "new"}, {"Key": "newer"}], current)
    assert found[0] == "Labels" and "51 labels" in found[1] and "50" in found[1]


def test_merge_replaces_in_place_and_adds_new_keys_last():
    current = [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    merged = labels.merge(current, [{"Key": "c", "Value": "3"}, {"Key": "a", "Value": "9"}])
    assert merged == [{"Key": "a", "Value": "9"}, {"Key": "b", "Value": "2"}, {"Key": "c", "Value": "3"}]
    assert current == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]


def test_the_last_of_two_labels_with_one_key_wins():
    assert labels.merge([], [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]) == [{"Key": "a", "Value": "2"}]


def test_remove_drops_the_keys_named_and_ignores_the_others():
    current = [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert labels.remove(current, ["b", "missing"]) == [{"Key": "a", "Value": "1"}]


@pytest.mark.parametrize(
    ("raw", "keys"),
    [("a,b", ["a", "b"]), ("a, b ,", ["a", "b"]), ("", []), (" , ", []), ("团队", ["团队"])],
)
def test_label_keys_are_split_on_commas(raw, keys):
    assert labels.parse_label_keys(raw) == keys


def test_as_wire_takes_a_mapping_or_pairs_in_order():
    expected = [{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}]
    assert labels.as_wire({"b": "2", "a": "1"}) == expected
    assert labels.as_wire([("b", "2"), ("a", "1")]) == expected
