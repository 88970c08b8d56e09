"""Send profile batches the way AEP does and summarise the outcome."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from destkit.sender.client import ClientCredentialsToken, HttpClient, TokenError
from destkit.sender.policy import CONNECTION_ERROR, RetryPolicy
from destkit.sender.profiles import make_profiles, render_batch

logger = logging.getLogger("destkit.send")

# Status recorded when the token endpoint rejects the client; such a batch is rejected, not retried.
TOKEN_FAILURE = 0


@dataclass
class SendOptions:
    url: str
    profiles: int
    batch_size: int = 1000
    concurrency: int = 1
    policy: RetryPolicy | None = None
    time_scale: float = 1.0
    seed: int = 1


@dataclass
class Summary:
    requests: int = 0
    accepted_profiles: int = 0
    rejected_profiles: int = 0
    dropped_profiles: int = 0
    retries: int = 0
    token_requests: int = 0
    status_counts: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    duration_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "accepted_profiles": self.accepted_profiles,
            "rejected_profiles": self.rejected_profiles,
            "dropped_profiles": self.dropped_profiles,
            "retries": self.retries,
            "token_requests": self.token_requests,
            "status_counts": dict(sorted(self.status_counts.items())),
            "latency_ms": {"p50": percentile(self.latencies_ms, 50), "p99": percentile(self.latencies_ms, 99)},
            "duration_seconds": round(self.duration_seconds, 3),
            "profiles_per_second": round(self.accepted_profiles / self.duration_seconds, 1)
            if self.duration_seconds > 0
            else 0.0,
        }


def percentile(values: list[float], rank: float) -> float:
    """Nearest-rank percentile, in the values' unit; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = max(math.ceil(rank / 100 * len(ordered)) - 1, 0)
    return round(ordered[index], 2)


class Sender:
    def __init__(
        self,
        options: SendOptions,
        authorization: Callable[[], str] | None,
        token: ClientCredentialsToken | None = None,
        http: HttpClient | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if options.policy is None:
            raise ValueError("SendOptions.policy is required")
        self.options = options
        self.policy: RetryPolicy = options.policy
        self.authorization = authorization
        self.token = token
        self.http = http or HttpClient()
        self.sleep = sleep
        self.summary = Summary()
        self._lock = threading.Lock()

    def run(self) -> Summary:
        # Batches are rendered before the first request, so profile generation does not compete with
        # sending for the interpreter lock. This takes about 0.5 KB of memory per profile.
        batches = []
        for start in range(0, self.options.profiles, self.options.batch_size):
            count = min(self.options.batch_size, self.options.profiles - start)
            batches.append((start, count, render_batch(make_profiles(count, seed=self.options.seed, start=start))))
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=self.options.concurrency) as pool:
            list(pool.map(self._send_batch, batches))
        self.summary.duration_seconds = time.perf_counter() - started
        if self.token is not None:
            self.summary.token_requests = self.token.requests
        return self.summary

    def _send_batch(self, batch: tuple[int, int, bytes]) -> None:
        start, count, body = batch
        retries_left = list(self.policy.delays_seconds)
        refreshed_after_401 = False
        while True:
            status = self._post(body)
            if status == 401 and self.token is not None and not refreshed_after_401:
                # An OAuth client fetches a new token on 401 and resends at once.
                refreshed_after_401 = True
                continue
            if status is not None and 200 <= status < 300:
                self._count("accepted_profiles", count)
                return
            if not self.policy.retries(status):
                logger.warning("batch at profile %d rejected with status %s", start, status)
                self._count("rejected_profiles", count)
                return
            if not retries_left:
                logger.warning("batch at profile %d dropped after %d retries", start, len(self.policy.delays_seconds))
                self._count("dropped_profiles", count)
                return
            delay = retries_left.pop(0) * self.options.time_scale
            self._count("retries", 1)
            logger.info("retrying batch at profile %d in %.3f s after status %s", start, delay, status)
            self.sleep(delay)

    def _post(self, body: bytes) -> int | None:
        """Post one batch and return its status, None for a connection error, 0 for a token failure."""
        headers = {"Content-Type": "application/json"}
        started = time.perf_counter()
        authorization = None
        try:
            authorization = self._authorization_header()
            if authorization:
                headers["Authorization"] = authorization
            result = self.http.request("POST", self.options.url, body, headers)
            status: int | None = result.status
        except TokenError as error:
            logger.error("cannot obtain an access token: %s", error)
            status = TOKEN_FAILURE
        except OSError as error:
            logger.info("request failed: %s", type(error).__name__)
            status = None
        elapsed_ms = (time.perf_counter() - started) * 1000
        with self._lock:
            self.summary.requests += 1
            self.summary.latencies_ms.append(elapsed_ms)
            self.summary.status_counts[_status_key(status)] += 1
        if status == 401 and self.token is not None and authorization:
            self.token.invalidate(authorization)
        return status

    def _authorization_header(self) -> str | None:
        if self.token is not None:
            return self.token.authorization()
        return self.authorization() if self.authorization else None

    def _count(self, name: str, amount: int) -> None:
        with self._lock:
            setattr(self.summary, name, getattr(self.summary, name) + amount)


def _status_key(status: int | None) -> str:
    if status is None:
        return CONNECTION_ERROR
    if status == TOKEN_FAILURE:
        return "token_error"
    return str(status)
