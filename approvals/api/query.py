"""The query string of a listing: every parameter known, PAI's names accepted as aliases.

An unknown parameter is a 400 naming it (a typo such as `?search=` or `?ApprovalStatus=` must
not answer the unfiltered list as if it had filtered); PAI's own names (ApprovalStatus,
SourceType, …) are read as the dashboard's (status, source, …)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.http import QueryDict
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

# PAI's ListModelVersions / ListModels names → the dashboard's.
PAI_ALIASES: Mapping[str, str] = {
    "WorkspaceId": "workspace",
    "ModelId": "model",
    "VersionName": "version",
    "ApprovalStatus": "status",
    "SourceType": "source",
    "FrameworkType": "framework",
    "FormatType": "format",
    "PageSize": "per_page",
}

PAGING = ("per_page", "cursor")


def checked_query(request: Request, allowed: Iterable[str]) -> QueryDict:
    """The request's query with aliases renamed; ValidationError naming each unknown parameter."""
    known = set(allowed)
    aliases = {alias: name for alias, name in PAI_ALIASES.items() if name in known}
    query = QueryDict(mutable=True)
    problems: dict[str, list[str]] = {}
    for key, values in request.query_params.lists():
        name = aliases.get(key, key)
        if name not in known:
            problems[key] = [f"Unknown query parameter {key!r}; the known ones are {', '.join(sorted(known))}."]
            continue
        if name in query and query.getlist(name) != values:
            problems[key] = [f"{key} and {name} are the same parameter; give it once."]
            continue
        query.setlist(name, values)
    if problems:
        raise ValidationError(problems)
    return query
