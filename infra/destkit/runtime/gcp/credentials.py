"""Access tokens for Google APIs, behind a small interface so tests never reach a metadata server.

The deployed functions use :class:`GoogleAuthCredentials`, which gets from google-auth the
function's service-account credentials. Tests pass :class:`StaticCredentials` instead.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


class CredentialProvider(Protocol):
    def access_token(self) -> str:
        """Return a valid OAuth 2.0 access token for Google APIs."""
        ...


class StaticCredentials:
    """A fixed access token (tests, or a token minted outside the process)."""

    def __init__(self, token: str):
        self._token = token

    def access_token(self) -> str:
        return self._token


class GoogleAuthCredentials:
    """The runtime's service-account credentials from google-auth, refreshed when they expire."""

    def __init__(self) -> None:
        self._credentials: Any = None
        self._lock = threading.Lock()

    def access_token(self) -> str:
        import google.auth
        import google.auth.transport.requests

        with self._lock:
            if self._credentials is None:
                self._credentials, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
            if not self._credentials.valid:
                self._credentials.refresh(google.auth.transport.requests.Request())
            return str(self._credentials.token)
