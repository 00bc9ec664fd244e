"""OpenAPI pieces shared by the views: the error responses each kind of endpoint can give."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from approvals.api.serializers import ErrorOutput
from approvals.selectors.pagination import PAGE_SIZES

DESCRIPTIONS = {
    400: "Invalid input: `fields` names each field (PAI's names in bodies, the parameter in query strings); "
    "or a rule of the dashboard refused it (code `refused`).",
    401: "No credentials, or a token that is invalid or revoked.",
    403: "Signed in, but this needs another role.",
    404: "No such model, version or workspace.",
    409: "Someone saved this version after the revision the edit was based on; `changed` says what changed.",
    412: "If-Match named a revision that is not the current one; `changed` says what changed since.",
    413: "The body is larger than the API reads.",
    415: "The body is not JSON (send Content-Type: application/json).",
    428: "This request must say which revision it acts on: send If-Match with the version's ETag.",
    429: "Too many requests for this user; Retry-After says when to try again.",
}


RETRY_AFTER = OpenApiParameter(
    "Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, description="Seconds to wait.", response=[429]
)


WWW_AUTHENTICATE = OpenApiParameter(
    "WWW-Authenticate", OpenApiTypes.STR, OpenApiParameter.HEADER, description="Bearer.", response=[401]
)


ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The version\'s revision, quoted (e.g. "3"): send it back in If-Match.',
    response=[200],
)


READ = (401, 403, 429)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Error responses for `codes`, plus those every endpoint can give."""
    every = sorted(set(codes) | set(READ))
    return {code: OpenApiResponse(ErrorOutput, description=DESCRIPTIONS[code]) for code in every}


def closed_request_bodies(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: say what the views do that drf-spectacular cannot see.

    Request bodies refuse unknown fields (400). A query parameter given empty means
    "no filter" / the default, as in the web pages' forms.
    """
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    parameter["allowEmptyValue"] = True
    return result


HEADERS = [RETRY_AFTER, WWW_AUTHENTICATE]


CURSOR = OpenApiParameter("cursor", str, description="From a page's `next` or `previous` link.")


PER_PAGE = OpenApiParameter("per_page", int, enum=list(PAGE_SIZES), description="Rows per page (default 25).")


PATH = [
    OpenApiParameter("ModelId", str, OpenApiParameter.PATH, description="PAI's ModelId."),
    OpenApiParameter("VersionName", str, OpenApiParameter.PATH, description="e.g. 1.0.0"),
]


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description='The ETag of the version you read (e.g. "3"). When it is not the current revision the edit '
    "is refused with 412. Without If-Match the edit is based on the current revision: it can only be "
    "refused as stale (409) if someone saves in the instant between.",
)
IF_MATCH_DECISION = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag of the version you read (e.g. "3"): the decision covers exactly that revision. '
    "Missing (or *): 428. Not the current revision: 412, with `changed` saying what changed since.",
)
