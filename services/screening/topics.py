"""The contract's topics, created (or brought up to their settings) by one piece of code: `screening topics
create`, the demo and the integration tests all use it.

Records are kept five years (15 CFR 762.6: export records are kept five years from the export, the
reexport or the last transaction): the events, the decisions, the reviews and the dead letters are
created with `retention.ms` of `kafka.records_retention_days` (at least 1,827 days: five years with
their leap days), whatever the broker's default (the development broker keeps logs 24 hours). An
existing record topic whose retention is shorter is altered to it (with Kafka's AlterConfigs, which sets
the topic's whole dynamic configuration: `cleanup.policy`, `retention.ms` and `retention.bytes`; other
per-topic overrides on such a topic go back to the broker's defaults). The ownership and licence feeds are
compacted: the latest record per key is kept for good, a tombstone deletes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from screening.adapters.security import kafka_client_options
from screening.config import KafkaSettings

FIVE_YEARS_DAYS = 1827
"""Five years of days, two leap days included: the least any record topic keeps its records."""
DAY_MS = 86_400_000


def record_topics(kafka: KafkaSettings) -> list[str]:
    """The topics that hold records of what was screened and decided (kept five years)."""
    return [
        kafka.orders_topic,
        kafka.leases_topic,
        kafka.decisions_topic,
        kafka.reviews_topic,
        kafka.dlq_topic,
    ]


def feed_topics(kafka: KafkaSettings) -> list[str]:
    """The compacted feeds: ownership records and licences."""
    return [kafka.ownership_topic, kafka.licences_topic]


def record_configs(kafka: KafkaSettings) -> dict[str, str]:
    """The topic configuration of a record topic."""
    return {
        "cleanup.policy": "delete",
        "retention.ms": str(kafka.records_retention_days * DAY_MS),
        "retention.bytes": "-1",
    }


def contract_topics(kafka: KafkaSettings, partitions: int = 3, replication: int = 1) -> list[NewTopic]:
    """Every topic of the contract with its configuration (feeds have one partition: they are small and
    read whole)."""
    topics = [
        NewTopic(name, partitions, replication, topic_configs=record_configs(kafka))
        for name in record_topics(kafka)
    ]
    topics += [
        NewTopic(name, 1, replication, topic_configs={"cleanup.policy": "compact"})
        for name in feed_topics(kafka)
    ]
    return topics


@dataclass
class TopicsReport:
    """What `ensure_topics` did."""

    created: list[str] = field(default_factory=list)
    retention_raised: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retention_ms: dict[str, int] = field(default_factory=dict)
    """Retention of each record topic after the run (-1: forever)."""

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data (the command prints it)."""
        return {
            "created": self.created,
            "retention_raised": self.retention_raised,
            "unchanged": self.unchanged,
            "retention_ms": self.retention_ms,
        }


async def ensure_topics(
    kafka: KafkaSettings,
    partitions: int = 3,
    replication: int = 1,
    client_options: Mapping[str, Any] | None = None,
) -> TopicsReport:
    """Create the missing contract topics; raise the retention of existing record topics that keep
    records for less than `kafka.records_retention_days` (never lower it). `client_options` replace the
    admin client's security options (default: from `kafka.security`)."""
    options = dict(client_options) if client_options is not None else kafka_client_options(kafka.security)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers, **options)
    await admin.start()
    report = TopicsReport()
    try:
        existing = set(await admin.list_topics())
        wanted = contract_topics(kafka, partitions, replication)
        missing = [topic for topic in wanted if topic.name not in existing]
        if missing:
            await admin.create_topics(missing)
            report.created = [topic.name for topic in missing]
        records = record_topics(kafka)
        current = await _retention(admin, records)
        wanted_ms = kafka.records_retention_days * DAY_MS
        short = [name for name in records if not _keeps(current.get(name), wanted_ms)]
        if short:
            responses = await admin.alter_configs(
                [
                    ConfigResource(ConfigResourceType.TOPIC, name, configs=record_configs(kafka))
                    for name in short
                ]
            )
            for response in responses:
                for error_code, message, _, name in getattr(response, "resources", []):
                    if error_code:
                        raise RuntimeError(
                            f"cannot set the retention of {name}: error {error_code}: {message}"
                        )
            report.retention_raised = [name for name in short if name not in report.created]
        report.unchanged = [
            topic.name for topic in wanted if topic.name not in report.created and topic.name not in short
        ]
        report.retention_ms = await _retention(admin, records)
        # A new configuration reaches the broker's answers a moment later: read until it shows.
        for _ in range(50):
            if all(_keeps(report.retention_ms.get(name), wanted_ms) for name in records):
                break
            await asyncio.sleep(0.1)
            report.retention_ms = await _retention(admin, records)
    finally:
        await admin.close()
    return report


def _keeps(retention_ms: int | None, wanted_ms: int) -> bool:
    return retention_ms is not None and (retention_ms < 0 or retention_ms >= wanted_ms)


async def _retention(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, int]:
    """`retention.ms` of each topic, as the broker reports it (its default where the topic sets none)."""
    described = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    )
    found: dict[str, int] = {}
    for response in described:
        for resource in getattr(response, "resources", []):
            # (error_code, error_message, resource_type, resource_name, config_entries)
            name, entries = resource[3], resource[4]
            for entry in entries:
                if entry[0] == "retention.ms" and entry[1] is not None:
                    found[name] = int(entry[1])
    return found
