"""Small pieces the write-side views share: the role check, the version lookup, errors on forms."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from . import selectors
from .errors import ApplicationError
from .forms_edit import pretty
from .models import ModelVersion
from .permissions import user_in_group


def groups_required(*group_names: str) -> Callable[..., Any]:
    """Members of any of the groups only; staff are not implied, as the services do not imply them."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not any(user_in_group(request.user, name) for name in group_names):
                raise PermissionDenied(_("This needs the %(roles)s role.") % {"roles": " or ".join(group_names)})
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def version_or_404(model_id: str, version_name: str) -> ModelVersion:
    try:
        return selectors.version_by_name(model_id, version_name)
    except ModelVersion.DoesNotExist:
        raise Http404(_("No such model version.")) from None


def to_detail(version: ModelVersion) -> HttpResponse:
    return redirect("version_detail", version.model.model_id, version.version_name)


def show_error(form: Any, error: ApplicationError, field: str | None) -> None:
    form.add_error(field if field in form.fields else None, error.message)


def shown(value: Any) -> str:
    """A value as the pages show it: text as written, anything else as indented JSON."""
    return value if isinstance(value, str) else pretty(value)
