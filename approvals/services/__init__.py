"""The only code that writes. Callers say `services.version_edit(...)`; the modules say what each does."""

from approvals.services.decisions import BLOCKING_PUSH_STATES, version_decide
from approvals.services.versions import version_edit, version_resolve_conflict, version_retry_push

__all__ = [
    "BLOCKING_PUSH_STATES",
    "version_decide",
    "version_edit",
    "version_resolve_conflict",
    "version_retry_push",
]
