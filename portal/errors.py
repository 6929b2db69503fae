"""Domain errors. Their message is written for the person who will read it on the page."""
from __future__ import annotations


class DomainError(Exception):
    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class NotFound(DomainError):
    """Also raised when the record exists but the actor may not see it: a changed id gets a 404."""

    def __init__(self, message: str = 'We could not find that.') -> None:
        super().__init__(message)


class ValidationFailed(DomainError):
    """Bad input; field_errors maps a field name to its inline message."""


class RateLimited(DomainError):
    pass


class PermissionDenied(DomainError):
    pass
