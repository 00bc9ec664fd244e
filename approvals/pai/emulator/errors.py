"""The one error type of the emulator: an Alibaba-shaped failure answer."""

from __future__ import annotations

import uuid


def new_request_id() -> str:
    """A RequestId as PAI writes it: an uppercase UUID4."""
    return str(uuid.uuid4()).upper()


def recommend_url(code: str) -> str:
    return f"https://api.aliyun.com/troubleshoot?q={code}"


class ApiError(Exception):
    """Raised anywhere in the emulator; the server turns it into the error JSON."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self, request_id: str, host: str) -> dict[str, str]:
        return {
            "RequestId": request_id,
            "Code": self.code,
            "Message": self.message,
            "HostId": host,
            "Recommend": recommend_url(self.code),
        }


def invalid_parameter(message: str) -> ApiError:
    return ApiError(400, "InvalidParameter", message)


def throttled(retry_after_ms: int) -> ApiError:
    """PAI's answer to an account past its rate: 429 Throttling.User, retry-after in milliseconds."""
    return ApiError(
        429,
        "Throttling.User",
        "Request was denied due to user flow control.",
        {"x-acs-retry-after": str(int(retry_after_ms))},
    )
