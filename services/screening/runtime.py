"""What the composition root builds, in one object: for the app's hooks, the ops endpoints and tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from faststream.kafka import KafkaBroker

from screening.adapters.kafka import EventConsumer, OffsetCommitter, OwnershipConsumer
from screening.adapters.licences import RedisLicenceStore
from screening.adapters.lists_store import RedisListsStore, StoredLists
from screening.adapters.redis_store import RedisDecisionLedger, RedisOwnershipRegistry
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


@dataclass(frozen=True, slots=True)
class RefusedLists:
    """A version found in Redis and refused by the integrity checks: which write, and why."""

    version: str
    generation: int
    problems: tuple[str, ...]


@dataclass
class ListsHolder:
    """The lists currently screened against (swapped whole when a new version is loaded), where they came
    from, and what the lists store looked like: the generation last seen in Redis, the stored lists this
    process loaded (to put them back when Redis loses them), a refused version, a force record."""

    current: ScreeningLists | None = None
    error: str | None = None
    source: str = "none"
    stored: StoredLists | None = None
    """The Redis lists (files and head) `current` was built from; None when it came from files."""
    generation: int | None = None
    """The highest lists generation seen in Redis: a lower one (or none) there means Redis lost them."""
    refused: RefusedLists | None = None
    forced: dict[str, Any] | None = None
    """The force record of `current` when it was accepted past the integrity checks."""
    republished: dict[str, int] = field(default_factory=lambda: {"gone": 0, "older": 0})
    """Times this process put its lists back into Redis, by what it found there."""
    fetches: dict[str, int] = field(default_factory=dict)
    """Scheduled downloads by result (`screening.lists_update.FETCH_RESULTS`)."""

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
