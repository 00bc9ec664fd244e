"""`?q=` through the search indexes matches exactly what `icontains` matches, on SQLite (FTS5
trigram tables) and on PostgreSQL (pg_trgm), in the versions list and in the queue."""

import pytest
from django.db.models import Q

from approvals import selectors
from approvals.models import ModelVersion
from approvals.permissions import EVERYTHING as ALL
from approvals.selectors.version_search import fts_phrase, search_filter
from approvals.selectors.versions import QueueFilters, VersionFilters
from tests.factories import make_model, make_version, make_workspace

pytestmark = pytest.mark.django_db

TERMS = [
    "a",  # one character: the plain icontains
    "Bo",  # two: still plain
    "BERT",  # mixed case against "bert-base" and "Bert"
    "bErT-bA",
    '"q"',  # double quotes, FTS5's phrase delimiter
    'say "hi',
    "50%",  # LIKE's wildcards are literal
    "%",
    "_x_",
    "a_b",
    "x\\y",  # backslash, LIKE's escape
    "模型",  # Chinese (two characters: plain)
    "中文模型",  # Chinese (FTS)
    "WÖRLD",  # non-ASCII case: SQLite's LIKE folds ASCII only, and so must we
    "only-the-model",  # matches a model name alone
    "in the description",  # matches a description alone
    "nothing matches this",
    "1.0",
    "OR",  # an FTS5 keyword
    "NEAR(",
]


@pytest.fixture
def catalog():
    ws = make_workspace()
    bert = make_model(ws, name="bert-base")
    only = make_model(ws, name="Only-The-Model x")
    chinese = make_model(ws, name="中文模型库")
    make_version(bert, version_name="1.0.0", version_description='Bert tuned, say "hi" there')
    make_version(bert, version_name="v2_x_1", version_description="50% smaller; a_b; x\\y")
    make_version(only, version_name="9.9", version_description="")
    make_version(only, version_name='"q"-build', version_description="it is in the description")
    make_version(chinese, version_name="模型-1", version_description="Hello Wörld OR NEAR(x)")
    make_version(chinese, version_name="zz", version_description="hello world, 中文模型说明")
    return ws


def plain_list(term):
    return set(
        ModelVersion.objects.filter(
            Q(model__name__icontains=term) | Q(version_name__icontains=term) | Q(version_description__icontains=term)
        ).values_list("pk", flat=True)
    )


def plain_queue(term):
    return set(
        ModelVersion.objects.filter(Q(model__name__icontains=term) | Q(version_name__icontains=term)).values_list(
            "pk", flat=True
        )
    )


@pytest.mark.parametrize("term", TERMS)
def test_search_matches_icontains(catalog, term):
    found = set(search_filter(ModelVersion.objects.all(), term).values_list("pk", flat=True))
    assert found == plain_list(term)
    names_only = set(search_filter(ModelVersion.objects.all(), term, description=False).values_list("pk", flat=True))
    assert names_only == plain_queue(term)


def test_the_terms_are_not_trivial(catalog):
    """Some terms match nothing, most match something, and the description term only through it."""
    assert plain_list("nothing matches this") == set()
    assert plain_list("in the description") and not plain_queue("in the description")
    assert plain_list("only-the-model") == plain_queue("only-the-model") != set()
    assert sum(1 for term in TERMS if plain_list(term)) >= 14


@pytest.mark.parametrize("term", ["BERT", "中文模型", "x\\y", "ab"])
def test_the_list_and_the_queue_use_it(catalog, term):
    listed = selectors.version_list(VersionFilters(search=term), scope=ALL)
    assert {v.pk for v in listed} == plain_list(term)
    queue = selectors.review_queue(scope=ALL, filters=QueueFilters(search=term), page_size=200)
    pending = set(ModelVersion.objects.filter(approval_status="Pending", gone=False).values_list("pk", flat=True))
    assert {v.pk for v in queue.items} == plain_queue(term) & pending


def test_search_follows_edits(catalog):
    version = ModelVersion.objects.get(version_name="9.9")
    version.version_description = "renamed to Zebra stripes"
    version.save()
    assert set(search_filter(ModelVersion.objects.all(), "zebra").values_list("pk", flat=True)) == {version.pk}
    version.model.name = "Okapi"
    version.model.save()
    assert set(search_filter(ModelVersion.objects.all(), "okap").values_list("pk", flat=True)) == {
        v.pk for v in version.model.versions.all()
    }
    assert not search_filter(ModelVersion.objects.all(), "Only-The").exists()


def test_fts_phrase_quotes():
    assert fts_phrase('say "hi') == '"say ""hi"'
    assert fts_phrase("ab c", column="version_name") == 'version_name : "ab c"'
