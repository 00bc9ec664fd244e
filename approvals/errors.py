"""Every error the dashboard's own code raises, in one place.

Services raise ApplicationError (or a kind of it) with a message a person can
act on; the HTML views show it at the field it names or on top, and the API's
exception handler (approvals/api/errors.py) turns each kind into its status.
The wire layer's errors stay in approvals/pai/errors.py: that layer imports
nothing of the dashboard.
"""

from __future__ import annotations

from typing import Any

from approvals.pai.errors import PaiRequestError


class ApplicationError(Exception):
    """A refusal: bad input (`field` names it) or a rule that forbids the action. The API answers 400."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class StaleEdit(ApplicationError):
    """The page the edit was made on is older than the version: someone saved meanwhile (409).

    `changed` is {field: [value then, value now]} so the person can review it.
    """

    def __init__(self, message: str, *, changed: dict[str, list[Any]]) -> None:
        super().__init__(message)
        self.changed = changed


class PreconditionFailed(StaleEdit):
    """The request's If-Match names a revision that is not the current one (412)."""


class PreconditionRequired(ApplicationError):
    """The request must say which revision it acts on (If-Match) and did not (428)."""


class ProtectedLabel(ApplicationError):
    """A label key the workspace protects, set or removed by someone who is not its approver (403)."""


class BodyTooLarge(ApplicationError):
    """A request body over API_MAX_BODY_BYTES (413)."""


class SyncFailed(ApplicationError):
    """A sync stopped; what it synced before stays, and `result` (a SyncResult) counts it."""

    def __init__(self, message: str, *, result: Any) -> None:
        super().__init__(message)
        self.result = result


class EndpointNotAllowed(PaiRequestError):
    """A PAI endpoint that is neither HTTPS on a PAI host nor listed in PAI_ALLOWED_ENDPOINTS.

    Raised before any request is built, so no credentials leave; permanent, like a 4xx:
    a push goes to `failed` and a sync records it on the workspace.
    """

    def __init__(self, message: str, *, endpoint: str) -> None:
        super().__init__(message, code="EndpointNotAllowed")
        self.endpoint = endpoint


class NotFinite(ValueError):
    """JSON text with NaN, Infinity, -Infinity or a number too large for a double (1e400): no
    database stores those (PostgreSQL's jsonb refuses them). args[0] is the text as written."""
