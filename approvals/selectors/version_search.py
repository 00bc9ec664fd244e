"""`?q=`: versions whose model name, version name (or description) contains a term, ignoring
case, exactly as `icontains` would match them, but found through indexes
(approvals/models/search.py) instead of reading every row.

PostgreSQL: the model names are matched first, to ids (`model_id = ANY(ARRAY(SELECT id ...))`,
an init plan run once), so the three conditions are each an index scan PostgreSQL can OR in one
bitmap: the models' trigram index, then model_id's; the two trigram indexes of the versions.

SQLite: the FTS5 trigram tables give the candidate rows for a term of three characters or more
(a trigram needs three); `icontains` is then checked on those candidates alone, so the result is
the same (FTS folds case beyond ASCII, SQLite's LIKE folds ASCII only: FTS finds a superset).
A shorter term is a plain `icontains`.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F, Lookup, Q, QuerySet
from django.db.models.expressions import RawSQL

from approvals.models import ModelVersion, RegisteredModel
from approvals.models.search import MODEL_SEARCH, VERSION_SEARCH

# A trigram tokenizer indexes runs of three characters; shorter terms cannot use it.
FTS_MIN_LENGTH = 3


class _InArray(Lookup):
    """`lhs = ANY(ARRAY(subquery))`: the subquery runs once and its ids drive an index scan
    (an `IN (subquery)` would be a semi-join PostgreSQL cannot OR with other index scans)."""

    lookup_name = "in_array"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]


def _plain(term: str, *, description: bool) -> Q:
    condition = Q(model__name__icontains=term) | Q(version_name__icontains=term)
    if description:
        condition |= Q(version_description__icontains=term)
    return condition


def _postgresql(term: str, *, description: bool) -> Q:
    model_ids = RegisteredModel.objects.filter(name__icontains=term).order_by().values("pk").query
    condition = Q(_InArray(F("model_id"), model_ids)) | Q(version_name__icontains=term)
    if description:
        condition |= Q(version_description__icontains=term)
    return condition


def fts_phrase(term: str, *, column: str | None = None) -> str:
    """The term as one FTS5 phrase (double quotes doubled), optionally limited to one column."""
    phrase = '"' + term.replace('"', '""') + '"'
    return f"{column} : {phrase}" if column else phrase


def _sqlite(term: str, *, description: bool) -> Q:
    if len(term) < FTS_MIN_LENGTH:
        return _plain(term, description=description)
    match = "SELECT rowid FROM {t} WHERE {t} MATCH %s"
    version_phrase = fts_phrase(term) if description else fts_phrase(term, column="version_name")
    # The table names are constants; the term is a parameter.
    models = RawSQL(match.format(t=MODEL_SEARCH), [fts_phrase(term)])  # noqa: S611
    versions = RawSQL(match.format(t=VERSION_SEARCH), [version_phrase])  # noqa: S611
    candidates = Q(model_id__in=models) | Q(pk__in=versions)
    return candidates & _plain(term, description=description)


def search_condition(term: str, *, description: bool = True) -> Q:
    """Versions whose model name or version name (and, with `description`, description) contains
    `term`, ignoring case, as `icontains` matches it."""
    if connection.vendor == "postgresql":
        return _postgresql(term, description=description)
    if connection.vendor == "sqlite":
        return _sqlite(term, description=description)
    return _plain(term, description=description)


def search_filter(queryset: QuerySet[ModelVersion], term: str, *, description: bool = True) -> QuerySet[ModelVersion]:
    return queryset.filter(search_condition(term, description=description)) if term else queryset
