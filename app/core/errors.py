"""Application errors, each with its HTTP status, rendered as RFC 9457 problem details.

    AppError
     ├── BadRequest            400
     ├── Unauthorized          401
     ├── Forbidden             403
     ├── NotFound              404
     ├── Conflict              409
     │    └── CycleClosed      409  (a report for the period of a closed reporting cycle)
     ├── PreconditionFailed    412
     ├── ContentTooLarge       413
     ├── Unprocessable         422  (carries ``errors``)
     ├── PreconditionRequired  428
     ├── TooManyRequests       429
     └── ServiceUnavailable    503

Services raise these; one handler in ``app.main`` renders them. Details are written for
the client and never repeat what the client sent.
"""

from datetime import date
from typing import Any, ClassVar


class AppError(Exception):
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"
    slug: ClassVar[str] = "internal-error"
    default_detail: ClassVar[str] = "The server could not complete the request."

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.errors = errors
        self.headers = headers or {}
        super().__init__(self.detail)


class BadRequest(AppError):
    status = 400
    title = "Bad Request"
    slug = "bad-request"
    default_detail = "The request is malformed."


class Unauthorized(AppError):
    status = 401
    title = "Unauthorized"
    slug = "unauthorized"
    default_detail = "A valid bearer token is required."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="crrf"'})


class Forbidden(AppError):
    status = 403
    title = "Forbidden"
    slug = "forbidden"
    default_detail = "Your role does not allow this action."


class NotFound(AppError):
    status = 404
    title = "Not Found"
    slug = "not-found"
    default_detail = "No such resource, or you may not see it."


class Conflict(AppError):
    status = 409
    title = "Conflict"
    slug = "conflict"
    default_detail = "The request conflicts with the current state of the resource."


class CycleClosed(Conflict):
    slug = "cycle-closed"
    default_detail = "The reporting cycle of this period is closed."

    def __init__(self, cycle_name: str, closes_on: date, *, by_coordinator: bool) -> None:
        self.cycle_name = cycle_name
        self.closes_on = closes_on
        self.by_coordinator = by_coordinator
        how = "was closed by a coordinator" if by_coordinator else f"closed on {closes_on}"
        super().__init__(
            f"The reporting cycle “{cycle_name}” {how}: reports for its period are "
            "refused; ask a coordinator to reopen it."
        )


class PreconditionFailed(AppError):
    status = 412
    title = "Precondition Failed"
    slug = "precondition-failed"
    default_detail = "The resource has changed since you read it: read it again, then retry."


class ContentTooLarge(AppError):
    status = 413
    title = "Content Too Large"
    slug = "content-too-large"
    default_detail = "The request body is larger than this service accepts."


class Unprocessable(AppError):
    status = 422
    title = "Unprocessable Content"
    slug = "validation-error"
    default_detail = "The request is well-formed but some values are not acceptable."


class PreconditionRequired(AppError):
    status = 428
    title = "Precondition Required"
    slug = "precondition-required"
    default_detail = "Send the If-Match header with the ETag you last read."


class TooManyRequests(AppError):
    status = 429
    title = "Too Many Requests"
    slug = "rate-limited"
    default_detail = "Too many requests: wait, then retry."


class ServiceUnavailable(AppError):
    status = 503
    title = "Service Unavailable"
    slug = "service-unavailable"
    default_detail = "The service is temporarily unable to handle the request: retry shortly."


def field_error(loc: tuple[str | int, ...], msg: str, type_: str = "value_error") -> dict[str, Any]:
    """Build one entry of a problem's ``errors`` list."""
    return {"loc": list(loc), "msg": msg, "type": type_}
