"""The edit page: the form, a preview of the changes, and the save; a stale save shows what changed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from approvals import services
from approvals.display.diffs import json_lines, line_diff
from approvals.display.json_text import shown
from approvals.display.labels import field_label
from approvals.errors import ApplicationError, ProtectedLabel, StaleEdit
from approvals.fields import BY_NAME, Kind
from approvals.models import ModelVersion
from approvals.permissions import EDITOR, role_required
from approvals.selectors.policies import policy_of
from approvals.services.label_rules import labels_check
from approvals.services.unpushed import changed_since
from approvals.web.forms.edit import VersionEditForm, rebase_edit_data
from approvals.web.helpers import focus_first_error, show_error, to_detail, version_or_404
from approvals.web.security import client_ip


def _diff_rows(form: VersionEditForm) -> list[dict[str, Any]]:
    """Each changed field; a JSON one also as the compare page's line diff, only changed lines marked."""
    return [
        {
            "field": name,
            "label": field_label(name),
            "before": shown(form.current[name]),
            "after": shown(value),
            "lines": line_diff(json_lines(form.current[name]), json_lines(value))
            if BY_NAME[name].kind in (Kind.OBJECT, Kind.JSON_TEXT)
            else None,
        }
        for name, value in form.changed_values().items()
    ]


def _invalid(
    request: HttpRequest, context: dict[str, Any], form: VersionEditForm, *, status: int = 400
) -> HttpResponse:
    """The form again with its error summary, focus on the first field in error; nothing saved."""
    focus_first_error(form)
    return render(request, "approvals/version_edit.html", context, status=status)


def _refused(
    request: HttpRequest, context: dict[str, Any], form: VersionEditForm, exc: ApplicationError
) -> HttpResponse:
    """A refusal by the service, at its field: 403 for a protected label, else 400."""
    show_error(form, exc, "reason" if exc.field == "Reason" else exc.field)
    return _invalid(request, context, form, status=403 if isinstance(exc, ProtectedLabel) else 400)


def _stale(
    request: HttpRequest, context: dict[str, Any], version: ModelVersion, changed: dict[str, list[Any]]
) -> HttpResponse:
    """The edit page again, on the fresh values, with what changed meanwhile; nothing is saved."""
    fresh = version.pai_values()
    data, both = rebase_edit_data(request.POST, changed=changed, current=fresh, revision=version.revision)
    context["form"] = VersionEditForm(data, current=fresh, revision=version.revision)
    context["stale"] = {
        "rows": [
            {"field": f, "label": field_label(f), "before": shown(b), "after": shown(a)}
            for f, (b, a) in changed.items()
        ],
        "both": [field_label(f) for f in both],
    }
    return render(request, "approvals/version_edit.html", context, status=409)


@role_required(EDITOR)
@require_http_methods(["GET", "POST"])
def version_edit(request: HttpRequest, model_id: str, version_name: str) -> HttpResponse:
    """GET: the form. POST: preview the changes; POST with confirm=1: save them."""
    version = version_or_404(model_id, version_name, user=request.user, roles=(EDITOR,))
    current, revision = version.pai_values(), version.revision
    context: dict[str, Any] = {
        "version": version,
        "model": version.model,
        "protected_label_keys": policy_of(version.workspace).protected_label_keys,
    }
    if request.method == "GET":
        context["form"] = VersionEditForm(current=current, revision=revision)
        return render(request, "approvals/version_edit.html", context)

    form = VersionEditForm(request.POST, current=current, revision=revision)
    context["form"] = form
    if "back" in request.POST:
        # "Change again" from the preview: the same data, back in the form.
        return render(request, "approvals/version_edit.html", context)
    if not form.is_valid():
        return _invalid(request, context, form)
    values = form.changed_values()
    if not values:
        form.add_error(None, _("Nothing changed: every field holds what the version already has."))
        return _invalid(request, context, form)
    base_revision = form.cleaned_data["base_revision"]
    if request.POST.get("confirm") != "1":
        if base_revision != revision:
            # A preview against newer values would show their change being undone; show it as stale now.
            return _stale(request, context, version, changed_since(version, base_revision))
        if "Labels" in values:
            try:
                # A protected key is refused before the preview, not only once confirmed.
                labels_check(version=version, user=request.user, before=current["Labels"], after=values["Labels"])
            except ApplicationError as exc:
                return _refused(request, context, form, exc)
        context["diff"] = _diff_rows(form)
        return render(request, "approvals/version_edit_preview.html", context)

    try:
        services.version_edit(
            version_id=version.pk,
            user=request.user,
            values=values,
            base_revision=base_revision,
            reason=form.cleaned_data.get("reason") or "",
            client_ip=client_ip(request),
        )
    except StaleEdit as exc:
        version.refresh_from_db()
        return _stale(request, context, version, exc.changed)
    except ApplicationError as exc:
        return _refused(request, context, form, exc)
    messages.success(request, _("Saved. Pushing to PAI…"))
    return to_detail(version)
