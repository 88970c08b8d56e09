"""AEP's retry rules per aggregation policy, from the Destination SDK's rate-limiting and retry page.

Best effort retries 403, 408, 409, 429, 500, 502, 503 and 504 twice, 15 s and then 30 s after the
failure, and drops the batch when both retries fail. Configurable aggregation retries 420, 429 and
every status above 500; Adobe's example retries 30 minutes later.
"""

from __future__ import annotations

from dataclasses import dataclass

from destkit.runtime.errors import retried_under_best_effort, retried_under_configurable

# Pseudo-status for a connection error or timeout, counted under this key in the summary.
CONNECTION_ERROR = "connection_error"


@dataclass(frozen=True)
class RetryPolicy:
    name: str
    delays_seconds: tuple[float, ...]

    def retries(self, status: int | None) -> bool:
        """Return True when AEP would retry this status; None stands for a connection error."""
        if status is None:
            # NOTE: Adobe does not document timeouts or refused connections; the sender treats them
            # like 503, which both policies retry.
            return True
        if self.name == "best-effort":
            return retried_under_best_effort(status)
        return retried_under_configurable(status)


BEST_EFFORT = RetryPolicy("best-effort", (15.0, 30.0))
# NOTE: Adobe does not document how many times configurable aggregation retries. Two retries, 30 minutes
# apart, is an assumption: best effort's count with the documented 30-minute delay.
CONFIGURABLE = RetryPolicy("configurable", (1800.0, 1800.0))

POLICIES = {policy.name: policy for policy in (BEST_EFFORT, CONFIGURABLE)}
