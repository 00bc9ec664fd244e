"""The one error services raise; views show it on the form, the API returns it as 400."""

from __future__ import annotations


class ApplicationError(Exception):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
