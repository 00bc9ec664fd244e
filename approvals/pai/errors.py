"""Typed failures of calls to PAI. Only the first is permanent; the rest retry."""

from __future__ import annotations


class PaiError(Exception):
    retryable = False

    def __init__(self, message: str, *, status: int | None = None, code: str = "", request_id: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id

    def __str__(self) -> str:
        parts = [p for p in (str(self.status or ""), self.code, self.message) if p]
        text = " ".join(parts)
        return f"{text} (RequestId {self.request_id})" if self.request_id else text


class PaiRequestError(PaiError):
    """PAI refused the request (4xx): validation, permission, not found. Retrying won't help."""


class PaiThrottled(PaiError):
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after  # seconds, from x-acs-retry-after


class PaiServerError(PaiError):
    retryable = True


class PaiUnavailable(PaiError):
    """No answer: connection refused or reset, or a timeout. The request may have been applied."""

    retryable = True
