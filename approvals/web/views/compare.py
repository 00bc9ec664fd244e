"""The spec diff page: this version's JSON fields beside another version of the same model."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from approvals import selectors
from approvals.display.diffs import compare_versions
from approvals.models import ModelVersion
from approvals.permissions import readable
from approvals.web.helpers import version_or_404

# The picker lists this many of the model's versions, newest first; older ones stay reachable by URL.
PICKER_LIMIT = 200


@login_required
def version_compare(request: HttpRequest, model_id: str, version_name: str) -> HttpResponse:
    """GET ?with=<version name>: the side-by-side diff; without it, against the previous version."""
    version = version_or_404(model_id, version_name, user=request.user)
    scope = readable(request.user)
    choices = selectors.compare_choices(version, scope=scope, limit=PICKER_LIMIT)
    picked_name = request.GET.get("with", "").strip()
    other: ModelVersion | None = None
    status = 200
    error = ""
    if picked_name:
        try:
            other = selectors.version_by_name(model_id, picked_name, scope=scope)
        except ModelVersion.DoesNotExist:
            error, status = _("This model has no version %(name)s.") % {"name": picked_name}, 400
        if other is not None and other.pk == version.pk:
            error, status, other = _("Pick another version than this one."), 400, None
    else:
        other = selectors.previous_version(version, scope=scope)
    context = {
        "version": version,
        "model": version.model,
        "choices": choices,
        "other": other,
        "error": error,
        "diffs": compare_versions(other, version) if other is not None else [],
    }
    return render(request, "approvals/version_compare.html", context, status=status)
