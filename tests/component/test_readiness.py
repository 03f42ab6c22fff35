"""`/readyz` and the stuck gauge: a partition with records left and no commit for a while is stuck, a
caught-up one is not, and no error text carries a connection string."""

from __future__ import annotations

from typing import Any

from aiokafka import TopicPartition

from screening.app import create_runtime
from screening.config import KafkaSettings, MetricsSettings, RedisSettings, ResilienceSettings, Settings
from screening.health import ConsumerHealth
from screening.ops import readiness, redact


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_partition_is_stuck_only_while_records_wait_and_its_commit_does_not_move() -> None:
    clock = Clock()
    health = ConsumerHealth(clock)
    health.consuming({("orders", 0): 100, ("orders", 1): 50})
    health.committed({("orders", 1): 60})
    clock.now += 30
    stuck = health.stuck_seconds({("orders", 0): 120, ("orders", 1): 60}, {})
    assert stuck == {("orders", 0): 30.0, ("orders", 1): 0.0}
    health.committed({("orders", 0): 110})  # progress restarts the clock
    clock.now += 5
    assert health.stuck_seconds({("orders", 0): 120}, {}) == {("orders", 0): 5.0}
    # Idle and caught up for an hour, then a record arrives: not stuck for an hour.
    health.committed({("orders", 0): 120})
    assert health.stuck_seconds({("orders", 0): 120}, {}) == {("orders", 0): 0.0}
    clock.now += 3600
    assert health.stuck_seconds({("orders", 0): 120}, {}) == {("orders", 0): 0.0}
    clock.now += 2
    assert health.stuck_seconds({("orders", 0): 121}, {}) == {("orders", 0): 2.0}
    # A partition never consumed here: its position stands in for the commit.
    assert health.stuck_seconds({("leases", 0): 7}, {("leases", 0): 7}) == {("leases", 0): 0.0}


def test_redact_removes_url_credentials_and_configured_secrets() -> None:
    text = "Error connecting to redis://admin:s3cret@10.0.0.5:6379/0 (sasl hunter2)"
    cleaned = redact(text, ["hunter2"])
    assert "s3cret" not in cleaned and "admin" not in cleaned and "hunter2" not in cleaned
    assert "10.0.0.5:6379" in cleaned


class StuckConsumer:
    """A consumer whose partition 0 of `orders` has 5 records beyond the position."""

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition("orders", 0)}

    def highwater(self, tp: TopicPartition) -> int:
        return 105

    async def position(self, tp: TopicPartition) -> int:
        return 100


class Subscriber:
    consumer: Any = StuckConsumer()


async def test_readyz_fails_on_a_stuck_partition_and_says_nothing_secret() -> None:
    settings = Settings(
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1", orders_topic="orders"),
        redis=RedisSettings(url="redis://:s3cret-password@127.0.0.1:1/0", socket_timeout_s=0.2),
        metrics=MetricsSettings(enabled=False),
        resilience=ResilienceSettings(stuck_after_s=1.0),
    )
    runtime = create_runtime(settings)
    clock = Clock()
    runtime.health = ConsumerHealth(clock)
    runtime.subscribers = [Subscriber()]
    runtime.health.consuming({("orders", 0): 100})
    clock.now += 10
    checks = await readiness(runtime)
    assert checks["ready"] is False and checks["consumers"] is False
    assert checks["stuck_partitions"] == {"orders:0": 10.0}
    assert checks["redis"] is False and "redis_error" in checks
    assert "s3cret-password" not in str(checks)
    runtime.health.stopped = "event consumer stopped: redis://:s3cret-password@127.0.0.1:1/0 refused"
    checks = await readiness(runtime)
    assert "s3cret-password" not in checks["consumer_error"]
    await runtime.redis.aclose()
