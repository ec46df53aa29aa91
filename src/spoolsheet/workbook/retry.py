"""When to retry a Google request, decided once, at the edge, by status code.

Google's advice: truncated exponential backoff, wait min(2^n s + up to 1 s jitter, cap), retry
429 and 5xx only, never another 4xx. A request whose outcome is unknown (5xx, timeout, reset)
is retried only when repeating it is harmless; a 429 was refused before anything happened, so it
is always retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import TransientBackendError

if TYPE_CHECKING:  # imported where a retry loop is made (Google's backend): not for the .xlsx
    import tenacity


class AmbiguousWriteError(TransientBackendError):
    """A write that cannot be safely repeated failed without a clear answer: it may have landed.

    Re-read before deciding what to do; retrying blindly could apply it twice.
    """


class RetryableFailure(TransientBackendError):
    """Internal signal: a transient failure the retry loop may repeat."""


@dataclass(frozen=True)
class RetryPolicy:
    """Truncated exponential backoff with jitter, a cap per wait, and a total budget."""

    max_attempts: int = 8
    initial_wait: float = 1.0
    max_wait: float = 32.0
    jitter: float = 1.0
    budget_seconds: float = 180.0

    def retrying(self, on_retry) -> tenacity.Retrying:
        import tenacity

        return tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RetryableFailure),
            stop=tenacity.stop_after_attempt(self.max_attempts)
            | tenacity.stop_after_delay(self.budget_seconds),
            wait=tenacity.wait_exponential(multiplier=self.initial_wait, max=self.max_wait)
            + tenacity.wait_random(0, self.jitter),
            before_sleep=lambda state: on_retry(state),
            reraise=True,
        )


#: For tests and the fake: the same logic with waits of milliseconds.
FAST_RETRY = RetryPolicy(initial_wait=0.001, max_wait=0.01, jitter=0.001, budget_seconds=10.0)


def is_transient_status(status: int) -> bool:
    return status == 429 or 500 <= status <= 599
