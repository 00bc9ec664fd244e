"""VersionLabel, the label filter's index: built for existing rows by the migration, kept in step by edits."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from approvals import services
from approvals.models import ModelVersion, VersionLabel
from tests.factories import make_model, make_user, make_version

pytestmark = pytest.mark.django_db

migration = importlib.import_module("approvals.migrations.0014_labels")


def rows(version) -> list[tuple[str, str]]:
    return sorted(VersionLabel.objects.filter(version=version).values_list("key", "value"))


def test_the_migration_sorts_existing_labels_by_key_and_indexes_them():
    model = make_model()
    # Stored as PAI listed them before this migration: in PAI's order, with no index rows.
    unsorted = make_version(model)
    ModelVersion.objects.filter(pk=unsorted.pk).update(
        labels=[{"Key": "team", "Value": "nlp"}, {"Key": "stage"}, {"Key": "a", "Value": None}]
    )
    bare = make_version(model)

    migration.index_labels(apps, None)

    unsorted.refresh_from_db()
    assert unsorted.labels == [
        {"Key": "a", "Value": ""},
        {"Key": "stage", "Value": ""},
        {"Key": "team", "Value": "nlp"},
    ]
    assert rows(unsorted) == [("a", ""), ("stage", ""), ("team", "nlp")]
    assert rows(bare) == []


def test_a_conflict_resolution_that_keeps_theirs_moves_the_index_to_theirs():
    version = make_version(labels=[{"Key": "stage", "Value": "ours"}])
    ModelVersion.objects.filter(pk=version.pk).update(
        push_state="conflict",
        conflict={
            "Labels": {
                "base": [],
                "theirs": [{"Key": "stage", "Value": "theirs"}],
                "yours": [{"Key": "stage", "Value": "ours"}],
            }
        },
    )
    editor = make_user("edna", group="editor")
    services.version_resolve_conflict(version_id=version.pk, user=editor, keep={"Labels": "theirs"})
    assert rows(version) == [("stage", "theirs")]
