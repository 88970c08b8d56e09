"""Every error the streaming endpoint returns, with its HTTP status and AEP's retry behaviour.

AEP retries, per its rate-limiting and retry policy page: under best-effort aggregation the statuses
403, 408, 409, 429, 500, 502, 503 and 504 (twice, after 15 s and 30 s, then the batch is dropped);
under configurable aggregation 420, 429 and every status above 500. Permanent errors therefore use
statuses outside both sets, and transient ones use 429 or 503 with ``Retry-After``.
"""

from __future__ import annotations

BEST_EFFORT_RETRIED = frozenset({403, 408, 409, 429, 500, 502, 503, 504})


def retried_under_best_effort(status: int) -> bool:
    return status in BEST_EFFORT_RETRIED


def retried_under_configurable(status: int) -> bool:
    return status in (420, 429) or status > 500


class ErrorSpec:
    """One row of the error table: the code in the JSON body, the HTTP status and what it means."""

    __slots__ = ("code", "meaning", "status")

    def __init__(self, code: str, status: int, meaning: str):
        self.code = code
        self.status = status
        self.meaning = meaning


_SPECS = (
    ErrorSpec("unauthorized", 401, "Credentials are missing, malformed, expired or do not match a tenant."),
    ErrorSpec("insufficient_scope", 401, "The access token lacks the scope the endpoint requires."),
    ErrorSpec("not_found", 404, "No route matches the request path."),
    ErrorSpec("audience_not_found", 404, "No audience with this id exists for the tenant."),
    ErrorSpec("method_not_allowed", 405, "The route exists but does not accept this HTTP method."),
    ErrorSpec("length_required", 411, "The request has no Content-Length (local server only)."),
    ErrorSpec("payload_too_large", 413, "The request body exceeds the maximum body size."),
    ErrorSpec("decompressed_too_large", 413, "The gzip body expands beyond the maximum decompressed size."),
    ErrorSpec("unsupported_media_type", 415, "Content-Type is not JSON or names a charset other than UTF-8."),
    ErrorSpec("unsupported_content_encoding", 415, "Content-Encoding is neither gzip nor identity."),
    ErrorSpec("empty_body", 400, "The request body is empty."),
    ErrorSpec("invalid_base64", 400, "The gateway flagged the body as base64 but it does not decode."),
    ErrorSpec("invalid_gzip", 400, "The body starts with the gzip magic bytes but is not valid gzip."),
    ErrorSpec("invalid_encoding", 400, "The body is not valid UTF-8."),
    ErrorSpec("invalid_json", 400, "The body is not valid JSON (NaN and Infinity are rejected too)."),
    ErrorSpec("invalid_payload", 422, "The JSON does not match the payload schema; the message names the path."),
    ErrorSpec("sink_unavailable", 503, "The object store failed or timed out; nothing was stored. Retry."),
    ErrorSpec("internal_error", 500, "An unexpected error in the function; nothing was stored."),
)

ERRORS: dict[str, ErrorSpec] = {spec.code: spec for spec in _SPECS}

# Seconds sent in Retry-After with 503 sink_unavailable.
RETRY_AFTER_SECONDS = 15


class RequestError(Exception):
    """A request the endpoint rejects; ``code`` is a key of ``ERRORS``."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = ERRORS[code].status


class StoreUnavailable(Exception):
    """The object store failed or timed out; nothing was written and the request may be retried."""
