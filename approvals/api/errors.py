"""One error shape for the whole API, from one exception handler:

    {"code": "...", "message": "...", "fields": {"<field>": ["..."]}}

plus `changed` ({field: [before, after]}) on 409 and 412. Fields are named as the
request named them: PAI's names in bodies, the query parameter in query strings.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import set_rollback

from approvals.errors import (
    ApplicationError,
    BodyTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    ProtectedLabel,
    StaleEdit,
)

ERROR_CODES = (
    "invalid",
    "refused",
    "parse_error",
    "not_authenticated",
    "authentication_failed",
    "permission_denied",
    "not_found",
    "method_not_allowed",
    "not_acceptable",
    "unsupported_media_type",
    "stale",
    "precondition_failed",
    "too_large",
    "precondition_required",
    "throttled",
)

# The kinds of ApplicationError that are not a plain 400, most specific first.
STATUS_OF: dict[type[ApplicationError], tuple[int, str]] = {
    PreconditionFailed: (status.HTTP_412_PRECONDITION_FAILED, "precondition_failed"),
    StaleEdit: (status.HTTP_409_CONFLICT, "stale"),
    PreconditionRequired: (status.HTTP_428_PRECONDITION_REQUIRED, "precondition_required"),
    BodyTooLarge: (status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "too_large"),
    ProtectedLabel: (status.HTTP_403_FORBIDDEN, "permission_denied"),
}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error details as {"Field" or "Field.sub": [messages]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
        return out
    if isinstance(detail, list) and not all(isinstance(item, str) for item in detail):
        out = {}
        for index, value in enumerate(detail):
            out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return out
    messages = [str(item) for item in detail] if isinstance(detail, list) else [str(detail)]
    return {prefix or "non_field_errors": messages}


def _body(code: str, message: str, fields: dict[str, list[str]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": fields or {}, **extra}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, RequestDataTooBig):
        # Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE), met before the parser's: the same 413 in JSON.
        exc = BodyTooLarge(f"The body is larger than {settings.API_MAX_BODY_BYTES} bytes.")

    headers: dict[str, str] = {}
    if isinstance(exc, ApplicationError):
        status_code, code = next((pair for kind, pair in STATUS_OF.items() if isinstance(exc, kind)), (400, ""))
        code = code or ("invalid" if exc.field else "refused")
        fields = {exc.field: [exc.message]} if exc.field else {}
        extra = {"changed": exc.changed} if isinstance(exc, StaleEdit) else {}
        data = _body(code, exc.message, fields, **extra)
    elif isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        general = fields.pop("non_field_errors", [])
        if general:
            message = general[0]
        elif fields:
            name, messages = next(iter(fields.items()))
            message = f"{name}: {messages[0]}"
        else:
            message = "The request is invalid."
        data, status_code = _body("invalid", message, fields), exc.status_code
    elif isinstance(exc, exceptions.APIException):
        code = getattr(exc.detail, "code", None) or exc.default_code
        data, status_code = _body(str(code), str(exc.detail)), exc.status_code
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(math.ceil(exc.wait))
    else:
        return None  # a bug: Django's 500 handling logs it
    if data["code"] not in ERROR_CODES:
        # A detail raised with a custom code; the schema promises only the codes above.
        data["code"] = str(exc.default_code) if isinstance(exc, exceptions.APIException) else "invalid"
    set_rollback()
    return Response(data, status=status_code, headers=headers)


F = TypeVar("F", bound=forms.Form)


def valid(form: F) -> F:
    if not form.is_valid():
        raise ValidationError({name: list(messages) for name, messages in form.errors.items()})
    return form
