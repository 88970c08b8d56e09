"""A small JSON-over-HTTPS helper for Adobe's APIs (IMS, authoring, Data Landing Zone credentials)."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

LOG = logging.getLogger("destkit.adobe")

TIMEOUT_SECONDS = 30.0


class AdobeApiError(Exception):
    """An Adobe API call failed; carries the HTTP status (0 when no response arrived)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Response:
    status: int
    body: Any


def _error_message(body: Any) -> str:
    # Adobe's APIs put the reason in different fields: message, detail, title or error_description.
    if isinstance(body, dict):
        for key in ("message", "detail", "error_description", "title", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    return ""


def check_base_url(url: str, option: str) -> str:
    """Reject a base URL that is not http(s) with a host; return it without a trailing slash."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise ValueError(f"{option} {url!r} is not an http(s) URL with a host name")
    return url.rstrip("/")


def request_json(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: Any = None,
    form: dict[str, str] | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Response:
    """Send one request and decode the JSON response; raise AdobeApiError for a non-2xx status."""
    all_headers = {"Accept": "application/json", **(headers or {})}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)  # noqa: S310
    path = urllib.parse.urlsplit(url).path
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - http(s) checked above
            raw = answer.read()
            status = answer.status
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            detail = _error_message(json.loads(raw)) if raw else ""
        except json.JSONDecodeError:
            detail = raw[:200].decode(errors="replace")
        LOG.debug("%s %s failed with HTTP %s", method, path, error.code)
        raise AdobeApiError(
            f"{method} {path} failed with HTTP {error.code}: {detail or error.reason}", error.code
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise AdobeApiError(f"{method} {path} failed: {reason}") from None

    if not raw:
        return Response(status, None)
    try:
        return Response(status, json.loads(raw))
    except json.JSONDecodeError:
        raise AdobeApiError(f"{method} {path} returned HTTP {status} with a body that is not JSON", status) from None
