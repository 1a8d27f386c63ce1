"""The one error hierarchy of CaseTrail; a single handler in app.py maps it to HTTP."""

from __future__ import annotations

from typing import Any

import msgspec


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """What every refusal answers: a stable snake_case `code`, a human `message`, and any `detail`."""

    code: str
    message: str
    detail: Any = None


class CaseTrailError(Exception):
    """A refusal with a stable code and a human message; never a crash."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, code: str | None = None, detail: object = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.detail = detail


class Invalid(CaseTrailError):
    status, code = 400, "invalid"


class Unauthorized(CaseTrailError):
    status, code = 401, "unauthorized"


class Forbidden(CaseTrailError):
    status, code = 403, "forbidden"


class NotFound(CaseTrailError):
    status, code = 404, "not_found"


class Conflict(CaseTrailError):
    status, code = 409, "conflict"


class Gone(CaseTrailError):
    status, code = 410, "gone"


class TooLarge(CaseTrailError):
    status, code = 413, "too_large"


class UnsupportedMedia(CaseTrailError):
    status, code = 415, "unsupported_media"


class TooMany(CaseTrailError):
    """A limit was reached; `retry_after_s` becomes the response's Retry-After header."""

    status, code = 429, "too_many_requests"

    def __init__(
        self, message: str, code: str | None = None, detail: object = None, retry_after_s: int = 0
    ) -> None:
        super().__init__(message, code, detail)
        self.retry_after_s = retry_after_s


class IntegrityFailure(CaseTrailError):
    """The stored record no longer matches what was signed; never served as if intact."""

    status, code = 500, "integrity_failure"
