"""What the composition root builds, in one object: for the app's hooks, the ops endpoints and tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from faststream.kafka import KafkaBroker

from screening.adapters.kafka import EventConsumer, OffsetCommitter, OwnershipConsumer
from screening.adapters.licences import RedisLicenceStore
from screening.adapters.redis_store import RedisDecisionLedger, RedisListsStore, RedisOwnershipRegistry
from screening.adapters.reviews import ReviewConsumer
from screening.calendar_watch import BoundaryWatcher
from screening.config import Settings
from screening.domain.names import ScreeningLists
from screening.health import ConsumerHealth
from screening.metrics import Metrics
from screening.ports import OpenHoldsStore, OpenSubjects
from screening.rescreen import RescreenScheduler
from screening.service import ScreeningService
from screening.signing import DecisionSigner


@dataclass
class ListsHolder:
    """The lists currently screened against; swapped whole when a new version is loaded."""

    current: ScreeningLists | None = None
    error: str | None = None
    source: str = "none"

    def __call__(self) -> ScreeningLists | None:
        return self.current


@dataclass
class Runtime:
    """Everything `create_app` built."""

    settings: Settings
    broker: KafkaBroker
    service: ScreeningService
    events: EventConsumer
    ownership: OwnershipConsumer
    registry: RedisOwnershipRegistry
    ledger: RedisDecisionLedger
    lists_store: RedisListsStore
    lists: ListsHolder
    metrics: Metrics
    committer: OffsetCommitter
    health: ConsumerHealth
    subjects: OpenSubjects
    holds: OpenHoldsStore
    """The held subjects awaiting review (what the review page lists)."""
    rescreens: RescreenScheduler
    redis: Any
    secrets: tuple[str, ...] = ()
    """Connection strings and passwords that must never appear in what the ops endpoints say."""
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    subscribers: list[Any] = field(default_factory=list)
    """The FastStream subscribers (their `.consumer` once started), for lag and health."""
    signer: DecisionSigner | None = None
    rebuilder: Any = None
    """The `RegistryRebuilder` of the Redis ownership registry (None with an in-memory registry)."""
    calendar: BoundaryWatcher | None = None
    """Rescreens open subjects when the service clock passes a boundary of the rule calendar."""
    reviews: ReviewConsumer | None = None
    """The handler of the reviews topic."""
    licences: RedisLicenceStore | None = None
    """The licence store (its balances are exported as metrics)."""
