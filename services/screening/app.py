"""The composition root: builds clients, the service and the Kafka subscribers from settings.

Nothing connects at import time; `create_app(settings)` returns an app whose start hooks connect.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from faststream import FastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.subscriber.usecase import BatchSubscriber
from faststream.middlewares import AckPolicy

from screening.adapters.clearances import RedisClearances
from screening.adapters.holds import RedisOpenHolds
from screening.adapters.kafka import (
    EventConsumer,
    OffsetCommitter,
    OwnershipConsumer,
    RevokedPartitions,
    raw_batch_decoder,
    raw_batch_parser,
)
from screening.adapters.licences import LicenceConsumer, RedisLicenceStore
from screening.adapters.lists_store import RedisListsStore
from screening.adapters.redis_store import RedisDecisionLedger, RedisOwnershipRegistry, RegistryState
from screening.adapters.registry_rebuild import RegistryRebuilder, watch_registry
from screening.adapters.reviews import ReviewConsumer
from screening.adapters.security import (
    check_kafka_login,
    create_redis_client,
    kafka_client_options,
    kafka_security,
    read_secret,
    redis_url,
)
from screening.adapters.subjects import RedisOpenSubjects, RedisRescreenMarks
from screening.adapters.transactions import PartitionTransactions
from screening.calendar_watch import BoundaryWatcher, RedisBoundaryMark
from screening.codec import EventDecoder
from screening.config import Settings
from screening.domain.engine import ScreeningEngine
from screening.domain.list_integrity import ListCounts, integrity_problems
from screening.domain.ownership import OwnershipRecord
from screening.domain.review import ReviewPolicy
from screening.health import ConsumerHealth
from screening.kinds import EVENT_KINDS
from screening.lists_update import FETCH_RESULTS, ListsRefused, fetch_lists, policy_of, prepare
from screening.metrics import Metrics, PrometheusMetrics
from screening.ops import start_ops_server
from screening.ports import OpenHolds, OpenHoldsStore, OpenSubjects
from screening.rescreen import (
    PartitionShare,
    Rescreener,
    RescreenScheduler,
    full_rescreens,
    lists_change,
    ownership_change,
)
from screening.resilience import RetryPolicy
from screening.resources import build_lists, load_catalogue, load_lists, load_ruleset, shipped_counts
from screening.runtime import ListsHolder, RefusedLists, Runtime
from screening.service import Clock, ScreeningService, utc_now
from screening.signing import DecisionSigner

if TYPE_CHECKING:  # the review page's web stack is imported only by the command that serves it
    from starlette.applications import Starlette

    from screening.review_ui.kafka import ReviewSink

__all__ = [
    "ListsHolder",
    "Runtime",
    "create_app",
    "create_review_ui",
    "create_runtime",
    "fetch_and_refresh",
    "refresh_lists",
    "start_registry_watch",
    "watch_ownership_writes",
]

log = logging.getLogger("screening.app")


def create_runtime(
    settings: Settings,
    metrics: Metrics | None = None,
    registry: Any = None,
    ledger: Any = None,
    subjects: OpenSubjects | None = None,
    clock: Clock = utc_now,
    holds: OpenHoldsStore | None = None,
) -> Runtime:
    """Build the broker, adapters, service and handlers (no connection is made here).

    `registry`, `ledger`, `subjects` and `holds` replace the Redis adapters (component tests pass
    in-memory ones); `clock` is the service clock (tests move it across rule-calendar boundaries).
    """
    ruleset = load_ruleset(settings.ruleset_file)
    engine = ScreeningEngine(ruleset, load_catalogue(settings.catalogue_file))
    redis_client = create_redis_client(settings.redis)
    registry = registry or RedisOwnershipRegistry(
        redis_client, settings.redis.prefix, max_depth=int(ruleset.ownership.get("max_depth", 12))
    )
    ledger = ledger or RedisDecisionLedger(redis_client, settings.redis.prefix, settings.redis.ledger_ttl_s)
    if holds is None:
        holds = RedisOpenHolds(redis_client, settings.redis.prefix)
    if subjects is None:
        # The open holds are written in the same transaction as the open subjects.
        stager = holds if isinstance(holds, RedisOpenHolds) else None
        subjects = RedisOpenSubjects(redis_client, settings.redis.prefix, stager)
    lists = ListsHolder()
    metrics = metrics or (PrometheusMetrics() if settings.metrics.enabled else Metrics())
    resilience = settings.resilience
    policy = RetryPolicy(
        attempts=resilience.attempts,
        backoff_s=resilience.backoff_s,
        max_backoff_s=resilience.max_backoff_s,
        batch_attempts=resilience.batch_attempts,
    )
    rs = settings.rescreen
    licence_store = RedisLicenceStore(redis_client, settings.redis.prefix)
    review_policy = ReviewPolicy(
        ruleset.list_policy.deny_lists, reviewers=frozenset(settings.reviews.reviewers)
    )
    service = ScreeningService(
        engine,
        lists,
        registry,
        ledger,
        subjects if rs.enabled else None,
        policy,
        metrics,
        clock,
        lists_max_age_hours=settings.lists.max_age_hours,
        holds=holds,
        review_policy=review_policy,
        decoder=EventDecoder(settings.limits),
        clearances=RedisClearances(redis_client, settings.redis.prefix),
        licences=licence_store,
        trust_event_licences=settings.licences.trust_event_licences,
    )
    broker = KafkaBroker(
        settings.kafka.bootstrap_servers,
        security=kafka_security(settings.kafka.security),
        linger_ms=settings.kafka.linger_ms,
        max_batch_size=settings.kafka.max_batch_bytes,
        acks=1,
        request_timeout_ms=settings.kafka.request_timeout_ms,
        metadata_max_age_ms=settings.kafka.metadata_max_age_ms,
        retry_backoff_ms=settings.kafka.retry_backoff_ms,
        logger=logging.getLogger("screening.kafka"),
        log_level=logging.DEBUG,
    )
    k = settings.kafka
    signer = DecisionSigner.from_file(settings.signing.key_file) if settings.signing.key_file else None

    def seal(topic: str, value: bytes) -> bytes:
        if signer is not None and topic == k.decisions_topic:  # every decision, whichever path made it
            return signer.sign_encoded(value)
        return value

    async def send(topic: str, key: bytes | None, value: bytes) -> asyncio.Future[Any]:
        value = seal(topic, value)
        ack = await broker.publish(value, topic=topic, key=key, no_confirm=True)
        if isinstance(ack, asyncio.Future):
            return ack
        # FastStream's in-memory test broker acknowledges at once and returns no future.
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(ack)
        return done

    decoder = EventDecoder(settings.limits)
    health = ConsumerHealth()
    committer = OffsetCommitter(health)
    kinds_by_topic = {kind.topic(k): kind for kind in EVENT_KINDS}
    transactions = (
        PartitionTransactions(
            k.bootstrap_servers,
            k.group_id,
            k.transactional_id_prefix,
            {
                **kafka_client_options(k.security),
                "request_timeout_ms": k.request_timeout_ms,
                "metadata_max_age_ms": k.metadata_max_age_ms,
                "retry_backoff_ms": k.retry_backoff_ms,
                "max_batch_size": k.max_batch_bytes,
            },
            k.auto_offset_reset,
            k.transaction_wait_s,
            k.transaction_timeout_ms,
            k.linger_ms,
            seal=seal,
        )
        if k.transactions
        else None
    )
    events = EventConsumer(
        service,
        send,
        kinds_by_topic,
        k.decisions_topic,
        k.dlq_topic,
        decoder,
        metrics,
        committer,
        health,
        policy,
        resilience.dlq_value_bytes,
        transactions=transactions,
    )
    # Each instance rescreens the subjects of the event partitions its consumer owns.
    share = PartitionShare(
        {kind.name: kind.topic(k) for kind in EVENT_KINDS},
        lambda: getattr(events_subscriber, "consumer", None),
        events.gate,
        RedisRescreenMarks(redis_client, settings.redis.prefix),
    )
    rescreener = Rescreener(
        service, subjects, send, k.decisions_topic, metrics, events.gate, rs.chunk_size, decoder, share
    )
    rescreens = RescreenScheduler(rescreener, metrics, settle_s=rs.settle_s, retry_s=rs.retry_s)

    def handed_over(causes: set[str]) -> None:
        if rs.enabled:
            for cause in sorted(causes):
                rescreens.request(cause)

    share.on_handover = handed_over
    share.chained = RevokedPartitions(events)
    calendar = BoundaryWatcher(
        service, engine.calendar, RedisBoundaryMark(redis_client, settings.redis.prefix), rescreens, share
    )

    def ownership_changed(changed: Sequence[tuple[str, Any, OwnershipRecord | None]]) -> None:
        if rs.enabled:  # the subjects of the entities the feed wrote (and of their name keys)
            rescreens.request("ownership", ownership_change([(e, record) for e, _, record in changed]))

    ownership = OwnershipConsumer(
        registry,
        send,
        k.dlq_topic,
        decoder,
        metrics,
        committer,
        health,
        policy,
        ownership_changed,
        resilience.dlq_value_bytes,
    )

    reviews = ReviewConsumer(
        service,
        send,
        k.decisions_topic,
        k.dlq_topic,
        metrics,
        committer,
        health,
        policy,
        events.gate,
        settings.limits.max_message_bytes,
        resilience.dlq_value_bytes,
    )

    licences = LicenceConsumer(
        licence_store,
        send,
        k.dlq_topic,
        metrics,
        committer,
        health,
        policy,
        settings.limits.max_message_bytes,
        resilience.dlq_value_bytes,
    )

    def batch_subscriber(*topics: str, group_id: str, **options: Any) -> BatchSubscriber:
        """A manually acknowledged batch subscriber reading raw records (decoded by the handlers)."""
        # `options` hides which overload applies from the type checker; batch=True makes it this one.
        return cast(
            BatchSubscriber,
            broker.subscriber(
                *topics,
                group_id=group_id,
                batch=True,
                max_records=k.max_records,
                batch_timeout_ms=k.batch_timeout_ms,
                ack_policy=AckPolicy.MANUAL,
                parser=raw_batch_parser,
                decoder=raw_batch_decoder,
                **options,
            ),
        )

    group_timeouts = {
        "session_timeout_ms": k.session_timeout_ms,
        "heartbeat_interval_ms": k.heartbeat_interval_ms,
    }
    events_subscriber = batch_subscriber(
        *kinds_by_topic,
        group_id=k.group_id,
        auto_offset_reset=k.auto_offset_reset,
        listener=share,
        **group_timeouts,
    )

    @events_subscriber
    async def screen_events(message: KafkaMessage) -> None:
        await events(message)

    ownership_subscriber = batch_subscriber(
        k.ownership_topic, group_id=k.ownership_group_id, auto_offset_reset="earliest", **group_timeouts
    )

    @ownership_subscriber
    async def apply_ownership(message: KafkaMessage) -> None:
        await ownership(message)

    reviews_subscriber = batch_subscriber(
        k.reviews_topic, group_id=k.reviews_group_id, auto_offset_reset="earliest"
    )

    @reviews_subscriber
    async def apply_reviews(message: KafkaMessage) -> None:
        await reviews(message)

    licences_subscriber = batch_subscriber(
        k.licences_topic, group_id=k.licences_group_id, auto_offset_reset="earliest"
    )

    @licences_subscriber
    async def apply_licences(message: KafkaMessage) -> None:
        await licences(message)

    events.consumer = lambda: getattr(events_subscriber, "consumer", None)
    licences.consumer = lambda: getattr(licences_subscriber, "consumer", None)
    reviews.consumer = lambda: getattr(reviews_subscriber, "consumer", None)
    ownership.consumer = lambda: getattr(ownership_subscriber, "consumer", None)
    tasks: list[asyncio.Task[Any]] = []
    rebuilder = None
    if isinstance(registry, RedisOwnershipRegistry):

        async def recover() -> None:
            # Every subject decided while the registry was unavailable is open again, then rescreened.
            count = await service.recover_blind()
            log.warning("ownership registry back: rescreening the open subjects (%d held without it)", count)
            rescreens.request("ownership")

        def registry_state_changed(state: RegistryState) -> None:
            if state.problem is None and rs.enabled:
                tasks.append(asyncio.create_task(recover()))

        registry.on_state = registry_state_changed
        rebuilder = RegistryRebuilder(
            registry,
            ownership,
            k.bootstrap_servers,
            k.ownership_topic,
            kafka_client_options(k.security),
            decoder,
        )
    redis_security, kafka_login = settings.redis.security, settings.kafka.security
    secrets = tuple(
        text
        for text in (
            redis_url(settings.redis),
            read_secret(redis_security.password, redis_security.password_file, "Redis password"),
            read_secret(kafka_login.password, kafka_login.password_file, "Kafka password"),
        )
        if text
    )
    return Runtime(
        settings=settings,
        broker=broker,
        service=service,
        events=events,
        ownership=ownership,
        registry=registry,
        ledger=ledger,
        lists_store=RedisListsStore(redis_client, settings.redis.prefix),
        lists=lists,
        metrics=metrics,
        committer=committer,
        health=health,
        subjects=subjects,
        holds=holds,
        rescreens=rescreens,
        redis=redis_client,
        signer=signer,
        secrets=secrets,
        subscribers=[events_subscriber, ownership_subscriber, reviews_subscriber, licences_subscriber],
        tasks=tasks,
        rebuilder=rebuilder,
        calendar=calendar,
        licences=licence_store,
        reviews=reviews,
        share=share,
    )


def create_review_ui(
    settings: Settings, holds: OpenHolds | None = None, reviews: ReviewSink | None = None
) -> Starlette:
    """The review page (`screening review-ui`): open holds read from Redis, reviews published to Kafka.

    `holds` and `reviews` replace the Redis reader and the Kafka publisher (tests). Nothing connects
    here: the app's lifespan logs in to Kafka, starts the producer, and closes both clients at the end.
    """
    from screening.review_ui.kafka import KafkaReviewPublisher
    from screening.review_ui.passwords import PasswordFile
    from screening.review_ui.server import session_secret
    from screening.review_ui.web import build_review_app

    ui = settings.review_ui
    redis_client = None
    if holds is None:
        from screening.adapters.holds import RedisOpenHolds

        redis_client = create_redis_client(settings.redis)
        holds = RedisOpenHolds(redis_client, settings.redis.prefix)
    publisher = None
    if reviews is None:
        publisher = reviews = KafkaReviewPublisher(settings.kafka)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if publisher is not None:
            await check_kafka_login(settings.kafka)
            await publisher.start()
        try:
            yield
        finally:
            if publisher is not None:
                await publisher.stop()
            if redis_client is not None:
                await redis_client.aclose()

    passwords = PasswordFile(ui.password_file) if ui.password_file is not None else None
    return build_review_app(ui, holds, reviews, session_secret(ui), passwords, lifespan=lifespan)


async def refresh_lists(runtime: Runtime) -> None:
    """Bring the lists in memory in line with the lists store in Redis, checking every new version first.

    - A new version (another generation, another version) is parsed and checked against the lists in memory
      (or the shipped snapshot when there are none): losing more than `lists.max_entry_loss` of the entries,
      in all or on a required list, or lacking a required list, refuses it unless its force record names it.
      A refused version is logged with its problems and exported (`screening_lists_refused`); the lists in
      memory stay, and so does readiness. An accepted version replaces them, and a rescreen follows.
    - Lists this process loaded from Redis that are gone from it, or there at an older generation than it
      saw (Redis lost its data, or came back from an old backup), are not a new version: the service keeps
      deciding with the lists in memory (intact, of a known version) and writes them back, and counts it
      (`screening_lists_republished_total`, an alert).
    - With no lists in Redis and none in memory, the list files (or the shipped snapshot) are loaded. A
      version in Redis that a starting service refuses leaves it without lists (every decision a hold,
      LISTS_UNAVAILABLE, not ready): the operator's lists are in Redis, and older files are not put in
      their place silently.
    """
    store, holder = runtime.lists_store, runtime.lists
    try:
        head = await store.head()
    except Exception as error:
        log.warning("cannot read the lists store in Redis: %s", error)
        if holder.current is None:
            await _load_fallback(runtime)
        return
    current = holder.current
    if head is None or (holder.generation is not None and head.generation < holder.generation):
        if holder.stored is not None:
            await _restore_lists(runtime, "gone" if head is None else "older", head)
        elif current is None:
            await _load_fallback(runtime)
        return
    if current is not None and holder.stored is not None and head.version == holder.stored.head.version:
        holder.generation = max(holder.generation or 0, head.generation)
        return
    refused = holder.refused
    if refused is not None and (refused.version, refused.generation) == (head.version, head.generation):
        return  # refused already; a new write (another generation) is checked again
    stored = await store.load()
    if stored is None:
        return
    ruleset = runtime.service.engine.ruleset
    given = stored.head.as_of if stored.head.as_of_basis == "given" else None
    try:
        candidate = await asyncio.to_thread(prepare, stored.files, given)
    except ListsRefused as error:
        _refuse(runtime, stored.head.version, stored.head.generation, error.problems, "cannot be loaded")
        return
    baseline = (
        ListCounts.of(current.entries) if current is not None else await asyncio.to_thread(shipped_counts)
    )
    problems = integrity_problems(candidate.counts, baseline, policy_of(runtime.settings.lists))
    if not candidate.counts.entries:
        # An empty list would screen every party clean: never, forced or not.
        _refuse(runtime, stored.head.version, stored.head.generation, problems, "cannot be loaded")
        return
    if problems and not stored.head.forced_here:
        _refuse(runtime, stored.head.version, stored.head.generation, problems, "refused")
        return
    try:
        fresh = await asyncio.to_thread(build_lists, candidate.loaded, ruleset)
    except Exception as error:
        _refuse(runtime, stored.head.version, stored.head.generation, [str(error)], "cannot be loaded")
        return
    holder.current, holder.source, holder.error = fresh, "redis", None
    holder.stored, holder.generation, holder.refused = stored, stored.head.generation, None
    holder.forced = dict(stored.head.forced or {}) if problems else None
    if problems:
        log.warning(
            "lists %s accepted past the integrity checks because they were forced (%s): %s",
            fresh.version,
            holder.forced,
            "; ".join(problems),
        )
    log.info("lists loaded from Redis: %s (generation %s)", fresh.version, stored.head.generation)
    if current is not None and runtime.settings.rescreen.enabled:
        service = runtime.service
        change = lists_change(current, fresh, service.now(), service.lists_max_age_hours)
        runtime.rescreens.request("lists", change)


def _refuse(runtime: Runtime, version: str, generation: int, problems: list[str], how: str) -> None:
    """Record and log a version found in Redis that the service will not screen against."""
    holder = runtime.lists
    holder.refused = RefusedLists(version, generation, tuple(problems))
    kept = holder.current.version if holder.current is not None else "none: every decision is held"
    message = f"lists version {version} in Redis {how}: {'; '.join(problems)}; screening goes on with {kept}"
    if holder.current is None:
        holder.error = message
    log.error(message)


async def _restore_lists(runtime: Runtime, found: str, head: Any) -> None:
    """Write the lists this process holds back into Redis, which lost them (`found`: gone, older)."""
    holder = runtime.lists
    assert holder.stored is not None
    holder.republished[found] = holder.republished.get(found, 0) + 1
    there = "none" if head is None else f"generation {head.generation} ({head.version})"
    log.error(
        "the lists in Redis are %s: %s there, generation %s (%s) seen before; screening goes on with the "
        "lists in memory and writes them back",
        found,
        there,
        holder.generation,
        holder.stored.head.version,
    )
    try:
        restored = await runtime.lists_store.restore(holder.stored)
    except Exception as error:
        log.warning("cannot write the lists back into Redis: %s", error)
        return
    if not restored:
        log.info("a newer lists version was stored meanwhile; it is checked on the next refresh")


async def _load_fallback(runtime: Runtime) -> None:
    """The list files (or the shipped snapshot) when Redis gives no usable lists and none are loaded."""
    settings = runtime.settings.lists
    if not settings.files and not settings.use_shipped_snapshot:
        runtime.lists.error = runtime.lists.error or "no lists in Redis and no list files configured"
        return
    try:
        ruleset = runtime.service.engine.ruleset
        runtime.lists.current = await asyncio.to_thread(load_lists, settings.files, ruleset)
        runtime.lists.source = "files"
        log.info("lists loaded from files: %s", runtime.lists.current.version)
    except Exception as error:
        runtime.lists.error = f"cannot load list files: {error}"
        log.error(runtime.lists.error)


async def fetch_and_refresh(runtime: Runtime) -> str:
    """One scheduled download of the lists (`lists.fetch_url`), then a refresh when it stored a new version;
    returns the fetch's result (counted by result)."""
    settings = runtime.settings.lists
    outcome = await fetch_lists(
        runtime.lists_store,
        settings.fetch_url,
        policy_of(settings),
        timeout_s=settings.fetch_timeout_s,
        max_bytes=settings.fetch_max_bytes,
    )
    fetches = runtime.lists.fetches
    fetches[outcome.result] = fetches.get(outcome.result, 0) + 1
    if outcome.result in ("refused", "failed"):
        log.error("lists fetch from %s %s: %s", settings.fetch_url, outcome.result, outcome.detail)
    else:
        log.info("lists fetch from %s: %s (%s)", settings.fetch_url, outcome.result, outcome.detail)
    if outcome.result == "updated":
        await refresh_lists(runtime)
    return outcome.result


async def _lists_fetcher(runtime: Runtime, interval_s: float) -> None:
    for result in FETCH_RESULTS:
        runtime.lists.fetches.setdefault(result, 0)
    while True:
        try:
            await fetch_and_refresh(runtime)
        except Exception:  # a failed fetch must not stop the next one
            log.exception("lists fetch failed")
        await asyncio.sleep(interval_s)


async def watch_ownership_writes(runtime: Runtime, seen: str | None) -> str | None:
    """Rescreen when the registry changed through another writer (`screening ownership load`).

    Changes this process applied from the ownership topic already asked for a rescreen; `seen` is the
    version observed on the previous check (None on the first, which only records it).
    """
    version = await runtime.registry.current_version()
    changed_elsewhere = seen is not None and version not in (seen, runtime.registry.written_version)
    if changed_elsewhere and runtime.settings.rescreen.enabled:
        runtime.rescreens.request("ownership")
    return version


async def _lists_refresher(runtime: Runtime) -> None:
    seen: str | None = None
    while True:
        with contextlib.suppress(Exception):
            seen = await watch_ownership_writes(runtime, seen)
        await asyncio.sleep(runtime.settings.lists.refresh_interval_s)
        loaded = runtime.lists.current
        with contextlib.suppress(Exception):
            await refresh_lists(runtime)
        if runtime.lists.current is not loaded:
            settle_heap()


def settle_heap() -> None:
    """Put what is loaded now (the lists' name index, catalogue, ruleset: millions of objects that live as
    long as their lists) out of the cyclic garbage collector's reach, so its full collections stop walking
    them in the middle of a batch. Called again when new lists replace the old: that full collection frees
    the old ones (one pause of a fraction of a second, per list change)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def start_registry_watch(runtime: Runtime) -> None:
    """Check the ownership registry in the background: rebuild it from the feed when it is gone, older
    or half built, and rescreen when it is back (no-op with an in-memory registry)."""
    if runtime.rebuilder is not None:
        interval = runtime.settings.resilience.registry_check_s
        runtime.tasks.append(asyncio.create_task(watch_registry(runtime.rebuilder, interval)))


def start_calendar(runtime: Runtime) -> None:
    """Start re-deciding open subjects on the rule calendar's boundaries (at once, for any passed while the
    service was down, then as the service clock passes each), when rescreens are enabled."""
    if runtime.calendar is not None and runtime.settings.rescreen.enabled:
        interval = runtime.settings.rescreen.calendar_check_s
        runtime.tasks.append(asyncio.create_task(runtime.calendar.run(interval)))


def start_full_rescreens(runtime: Runtime) -> None:
    """Re-decide every open subject every `rescreen.full_every_hours` (none when 0 or rescreens are off)."""
    rs = runtime.settings.rescreen
    if rs.enabled and rs.full_every_hours > 0:
        runtime.tasks.append(
            asyncio.create_task(full_rescreens(runtime.rescreens, rs.full_every_hours * 3600))
        )


def create_app(settings: Settings | None = None) -> tuple[FastStream, Runtime]:
    """The FastStream app of `screening serve`, and its runtime."""
    settings = settings or Settings()
    runtime = create_runtime(settings)
    app = FastStream(runtime.broker, logger=logging.getLogger("screening.app"))

    @app.on_startup
    async def load_data() -> None:
        await check_kafka_login(settings.kafka)  # a refused login stops start-up with the broker's reason
        await refresh_lists(runtime)
        settle_heap()
        runtime.tasks.append(asyncio.create_task(_lists_refresher(runtime)))
        if settings.lists.fetch_interval_s is not None:
            runtime.tasks.append(
                asyncio.create_task(_lists_fetcher(runtime, settings.lists.fetch_interval_s))
            )

    @app.after_startup
    async def watch_registry_generation() -> None:
        start_registry_watch(runtime)  # after the subscribers started: a rebuild needs the feed consumer

    @app.after_startup
    async def start_ops() -> None:
        await start_ops_server(runtime)
        start_calendar(runtime)  # the broker is up: a boundary passed while down is rescreened now
        start_full_rescreens(runtime)

    @app.on_shutdown
    async def flush_offsets() -> None:
        await runtime.committer.flush()

    @app.after_shutdown
    async def close() -> None:
        await runtime.events.close()
        for task in runtime.tasks:
            task.cancel()
        await runtime.rescreens.stop()
        await runtime.redis.aclose()

    return app, runtime
