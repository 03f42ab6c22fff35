"""The error policy, in one place: what is transient, what is permanent, how often to retry, when to split.

- Transient: the broker unreachable, a timeout, a Kafka error the client marks retriable, any Redis error.
  Retried with backoff (`RetryPolicy`); an ownership read that still fails is decided as unavailable (a
  hold with OWNERSHIP_UNAVAILABLE); a publish that still fails leaves the batch uncommitted
  (`Unavailable`): the consumer rewinds and reads it again later, and the ledger keeps what was published
  from being published twice.
- Permanent: anything else, about one message or one event (undecodable bytes or headers, a failed
  validation, an exception inside a rule, a stored record that fails validation). That message alone is
  dead-lettered and, when it names its subject, held; the rest of the batch is decided and the offsets
  move on. The decoder and the service turn the failures they can name into verdicts; for any other
  exception a batch is tried `batch_attempts` times, then split in halves until the message it fails on
  is alone (`isolate`). A batch is never retried forever.
- A dead letter that cannot be written even cut short (`DeadLetterRefused`) stops the consumer with a
  clear error rather than republish decisions or move past the message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from aiokafka.errors import KafkaError
from redis.exceptions import RedisError

from screening.metrics import Metrics

log = logging.getLogger("screening.resilience")

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries of a transient failure: `attempts` tries in all, waits doubling from `backoff_s`
    up to `max_backoff_s`; a whole batch is tried `batch_attempts` times before it is split."""

    attempts: int = 3
    backoff_s: float = 0.1
    max_backoff_s: float = 5.0
    batch_attempts: int = 2

    def delays(self) -> Iterator[float]:
        """The waits before each retry (`attempts - 1` of them)."""
        delay = self.backoff_s
        for _ in range(self.attempts - 1):
            yield min(delay, self.max_backoff_s)
            delay *= 2


class Unavailable(RuntimeError):
    """A dependency (the broker, Redis) is still unreachable after the retries: the batch stays
    uncommitted and is read again later."""


class DeadLetterRefused(RuntimeError):
    """A dead letter could not be written even cut short: the consumer stops rather than move on."""


def is_transient(error: BaseException) -> bool:
    """Whether retrying the same operation may succeed: an unreachable or slow broker or Redis.

    Every Redis error counts: a record that passed validation cannot be what Redis refuses (a read-only
    replica during a failover, out of memory), and splitting would dead-letter every record of the batch.
    A Kafka error counts when the client marks it retriable (not, say, a record over the size limit).
    """
    if isinstance(error, Unavailable | RedisError):
        return True
    if isinstance(error, KafkaError):
        return bool(error.retriable)
    return isinstance(error, TimeoutError | ConnectionError | asyncio.TimeoutError)


async def isolate(
    items: Sequence[T],
    attempt: Callable[[Sequence[T]], Awaitable[list[R]]],
    poison: Callable[[T, BaseException], Awaitable[list[R]]],
    policy: RetryPolicy,
    metrics: Metrics,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> list[R]:
    """Run `attempt` on `items`; on failure retry, then split in halves until the failing item is alone,
    and hand that one to `poison` (which dead-letters it). Results come in the order of `items`.

    The whole batch and a lone item get `policy.batch_attempts` tries (a transient failure may pass);
    the halves of a split get one each. A failure that is still transient after the tries raises
    `Unavailable` (splitting does not help an outage); `DeadLetterRefused` always propagates.
    """
    return await _isolate(items, attempt, poison, policy, metrics, sleep, policy.batch_attempts)


async def _isolate(
    items: Sequence[T],
    attempt: Callable[[Sequence[T]], Awaitable[list[R]]],
    poison: Callable[[T, BaseException], Awaitable[list[R]]],
    policy: RetryPolicy,
    metrics: Metrics,
    sleep: Callable[[float], Awaitable[None]],
    tries: int,
) -> list[R]:
    if not items:
        return []
    delays = policy.delays()
    error: BaseException | None = None
    for number in range(tries if len(items) > 1 else policy.batch_attempts):
        if number:
            metrics.retried("batch")
            await sleep(next(delays, policy.max_backoff_s))
        try:
            return await attempt(items)
        except DeadLetterRefused:
            raise
        except Exception as failure:
            error = failure
            transient = is_transient(failure)
            metrics.batch_failed("transient" if transient else "permanent")
            log.warning(
                "a batch of %d message(s) failed (%s): %s: %s",
                len(items),
                "transient" if transient else "permanent",
                type(failure).__name__,
                failure,
            )
    assert error is not None
    if is_transient(error):
        raise Unavailable(f"{type(error).__name__}: {error}") from error
    if len(items) == 1:
        log.error("message isolated as the one its batch fails on: %s: %s", type(error).__name__, error)
        return await poison(items[0], error)
    half = len(items) // 2
    first = await _isolate(items[:half], attempt, poison, policy, metrics, sleep, 1)
    return first + await _isolate(items[half:], attempt, poison, policy, metrics, sleep, 1)
