"""Which DynamoDB errors are worth another attempt, and how long to wait before it.

The processor and the store both build their clients with botocore's retries off (one attempt
per call, `SINGLE_ATTEMPT`) and retry here instead, because botocore's standard mode keeps one
retry quota per client (500 tokens, 5 per throttled retry): threads sharing a client drain it
within one throttled second, and from then on a throttle fails on its first attempt with no
backoff at all. Here a throttle is waited out for as long as the caller's deadline allows, and
nothing is shared between callers but the table.

Throttling codes: DynamoDB's "Error handling with DynamoDB" page
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html):
ProvisionedThroughputExceededException, ThrottlingException, RequestLimitExceeded, and a
TransactionCanceledException whose reasons include ThrottlingError or ProvisionedThroughputExceeded
(the cancellation codes of TransactWriteItems' API reference). Backoff with full jitter:
"Exponential Backoff And Jitter", AWS Architecture Blog
(https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

THROTTLING_CODES: Final = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "Throttling",
        "TooManyRequestsException",
    }
)
# A transaction's cancellation reasons when one of its items' table or index had no capacity.
TRANSACTION_THROTTLED: Final = frozenset(
    {"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
)
# Worth one more attempt soon: the service's own transient failures (5xx) and lost connections.
TRANSIENT_CODES: Final = frozenset(
    {"InternalServerError", "ServiceUnavailable", "RequestTimeout", "RequestTimeoutException"}
)
# The client side of "retries are ours": one attempt per botocore call (`total_max_attempts`
# counts attempts, the first included; `max_attempts` would count retries).
SINGLE_ATTEMPT: Final = {"mode": "standard", "total_max_attempts": 1}
# Transient errors are rare and usually clear at once: a few attempts, then the error stands.
TRANSIENT_ATTEMPTS: Final = 3


def error_code(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if not isinstance(response, Mapping):
        return ""
    return str(response.get("Error", {}).get("Code", ""))


def cancellation_codes(error: BaseException) -> list[str]:
    response = getattr(error, "response", None)
    reasons = response.get("CancellationReasons") if isinstance(response, Mapping) else None
    return [str(reason.get("Code", "None")) for reason in reasons or []]


def is_throttle(error: BaseException) -> bool:
    """The table (or an index it writes) had no capacity for the request: nothing was done."""
    if not isinstance(error, ClientError):
        return False
    code = error_code(error)
    if code == "TransactionCanceledException":
        return not TRANSACTION_THROTTLED.isdisjoint(cancellation_codes(error))
    return code in THROTTLING_CODES


def is_transient(error: BaseException) -> bool:
    """A failure of the service or the network that another attempt may not meet."""
    if isinstance(error, (ConnectionError, HTTPClientError)):
        return True
    if not isinstance(error, ClientError):
        return False
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return error_code(error) in TRANSIENT_CODES or (isinstance(status, int) and status >= 500)


@dataclass(frozen=True)
class Backoff:
    """Full-jitter exponential backoff: before retry n (1-based), a uniform wait in
    [0, min(cap, base * 2**(n-1))]. Jitter spreads the threads' retries over the interval, so
    they do not meet the refilled bucket all at once."""

    base_s: float = 0.05
    cap_s: float = 1.0

    def ceiling_s(self, retry: int) -> float:
        return float(min(self.cap_s, self.base_s * 2.0 ** min(max(0, retry - 1), 32)))

    def delay_s(self, retry: int, rng: Any = random) -> float:
        return float(rng.uniform(0.0, self.ceiling_s(retry)))
