"""The API's only parser: JSON, bounded in size, strict about what JSON is."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from approvals.errors import BodyTooLarge


def _refuse_constant(name: str) -> None:
    # NaN and Infinity are not JSON, and PostgreSQL's jsonb refuses them.
    raise ValueError(f"{name} is not valid JSON")


class BoundedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        limit = settings.API_MAX_BODY_BYTES
        # Read at most one byte past the limit whatever Content-Length claims.
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise BodyTooLarge(f"The body is larger than {limit} bytes.")
        try:
            text = data.decode("utf-8")
            return json.loads(text, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            raise ParseError(f"The body is not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}.") from None
        except UnicodeDecodeError:
            raise ParseError("The body is not UTF-8 text.") from None
        except (ValueError, RecursionError) as exc:
            message = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise ParseError(f"The body is not valid JSON: {message}.") from None


MERGE_PATCH = "application/merge-patch+json"


class BoundedMergePatchParser(BoundedJSONParser):
    """A JSON Merge Patch body (RFC 7396): the same JSON, told apart by its media type."""

    media_type = MERGE_PATCH


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge key by key, null removes a key, anything else (arrays too) replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result
