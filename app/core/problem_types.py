"""The problem types this service sends, each documented at ``/problems/<slug>``.

A problem's ``type`` is the relative URI ``/problems/<slug>``: resolved against the
service's address it answers with the page below. ``docs/problems.md`` is the same list.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ProblemType:
    """A kind of error: when it is sent and what a client should do."""

    slug: str
    status: int  # 0: any
    title: str
    meaning: str
    remedy: str


PROBLEM_TYPES: dict[str, ProblemType] = {
    t.slug: t
    for t in (
        ProblemType(
            "bad-request", 400, "Bad Request",
            "The request is malformed, e.g. a `cursor` that this service did not issue.",
            "Fix the request; restart a list from its first page without `cursor`.",
        ),
        ProblemType(
            "unauthorized", 401, "Unauthorized",
            "No bearer token, or one that is mistyped, revoked or expired, or whose user is "
            "deactivated.",
            "Send `Authorization: Bearer <token>` with a valid token; ask an admin for one.",
        ),
        ProblemType(
            "forbidden", 403, "Forbidden",
            "You may see the resource, but your role does not allow this action.",
            "Ask a coordinator of the situation (or an admin) to do it, or to change your role.",
        ),
        ProblemType(
            "not-found", 404, "Not Found",
            "No such resource, or one you may not see (the two are not told apart).",
            "Check the identifiers; ask to be made a member of the situation.",
        ),
        ProblemType(
            "method-not-allowed", 405, "Method Not Allowed",
            "The resource exists but does not answer this method.",
            "Use a method the API reference lists for this path.",
        ),
        ProblemType(
            "conflict", 409, "Conflict",
            "The request conflicts with the current state (a name or code taken already, an "
            "update reviewed already) or with a request made at the same time (the same "
            "Idempotency-Key, the same new row).",
            "Read the resource again; retry a concurrent request to get its result.",
        ),
        ProblemType(
            "cycle-closed", 409, "Conflict",
            "The report's period lies in a reporting cycle whose closing date has passed (or "
            "that a coordinator closed); late reports are refused until it is reopened.",
            "Ask a coordinator of the situation to reopen the cycle, then send the report again.",
        ),
        ProblemType(
            "precondition-failed", 412, "Precondition Failed",
            "`If-Match` names a version that is no longer current: someone changed the "
            "resource since you read it.",
            "Read the resource again (its `ETag`), reconcile, and retry with the new ETag.",
        ),
        ProblemType(
            "request-timeout", 408, "Request Timeout",
            "The request's headers or body did not arrive in time (a client trickling bytes); "
            "the connection is closed.",
            "Retry on a new connection, sending the whole request at once.",
        ),
        ProblemType(
            "content-too-large", 413, "Content Too Large",
            "The request body is larger than this service accepts.",
            "Send less: split a batch into several requests.",
        ),
        ProblemType(
            "validation-error", 422, "Unprocessable Content",
            "Some values are not acceptable, or an Idempotency-Key was reused with another "
            "body; `errors` lists where (`loc`) and why (`msg`), never the value.",
            "Correct the values named in `errors`; use a new Idempotency-Key for a new request.",
        ),
        ProblemType(
            "precondition-required", 428, "Precondition Required",
            "This change needs `If-Match` with the ETag you last read (`*` is not accepted).",
            "Read the resource, then send its `ETag` in `If-Match`.",
        ),
        ProblemType(
            "rate-limited", 429, "Too Many Requests",
            "Too many requests from this caller in a short time.",
            "Wait the seconds that `Retry-After` gives, then retry.",
        ),
        ProblemType(
            "internal-error", 500, "Internal Server Error",
            "The server failed; nothing was changed. This is a bug: report it with the "
            "`X-Request-ID` of the response.",
            "Retry later; report the request id.",
        ),
        ProblemType(
            "service-unavailable", 503, "Service Unavailable",
            "The database is unavailable or busy; nothing was changed.",
            "Wait the seconds that `Retry-After` gives, then retry.",
        ),
        ProblemType(
            "not-ready", 503, "Service Unavailable",
            "This instance cannot serve yet: its database is unreachable, not migrated, or cannot "
            "be written (a read-only or full disk, a read-only replica).",
            "Route traffic elsewhere; run `crrf db upgrade` if the schema is behind.",
        ),
        ProblemType(
            "http-error", 0, "HTTP Error",
            "Any other refusal at the HTTP level; `status` and `title` say which.",
            "Read `detail`; fix the request.",
        ),
    )
}  # fmt: skip

_BY_STATUS = {t.status: t.slug for t in reversed(PROBLEM_TYPES.values())}


def slug_for_status(status: int) -> str:
    """The problem type of a framework error with this status (``http-error`` if none)."""
    return _BY_STATUS.get(status, "http-error")


def problem_type(slug: str) -> str:
    """The type URI of a problem: relative, resolved against this service, and documented."""
    return f"/problems/{slug}"
