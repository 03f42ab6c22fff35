"""Stream demo events to the input topics and print each decision as it arrives (until Ctrl-C)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from screening.config import Settings

COLOURS = {"allow": "\033[32m", "hold": "\033[33m", "deny": "\033[31m"}


async def main(path: Path) -> None:
    """Produce the events of `path`, then print decisions until interrupted."""
    settings = Settings()
    k = settings.kafka
    consumer = AIOKafkaConsumer(
        k.decisions_topic,
        bootstrap_servers=k.bootstrap_servers,
        group_id=f"demo-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="latest",
        isolation_level="read_committed",
    )
    await consumer.start()
    await consumer.getmany(timeout_ms=1000)
    producer = AIOKafkaProducer(bootstrap_servers=k.bootstrap_servers)
    await producer.start()
    run = uuid.uuid4().hex[:6]
    count = 0
    for line in path.read_bytes().splitlines():
        if not line.strip():
            continue
        event = orjson.loads(line)
        event["event_id"] = (
            f"{event['event_id']}-{run}"  # a fresh id each run: the service decides once per id
        )
        topic = k.orders_topic if "order_id" in event else k.leases_topic
        key = event.get("order_id") or event.get("lease_id")
        await producer.send_and_wait(topic, orjson.dumps(event), key=key.encode())
        count += 1
    await producer.stop()
    print(f"demo: sent {count} events; waiting for decisions (Ctrl-C to stop)", flush=True)
    tty = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    try:
        async for record in consumer:
            decision = orjson.loads(record.value)
            outcome = decision["outcome"]
            colour, reset = (COLOURS[outcome], "\033[0m") if tty else ("", "")
            subject = f"{decision['subject']['kind']} {decision['subject']['id']}"
            print(f"{colour}{outcome.upper():5}{reset} {subject:22} {decision['event_id']}", flush=True)
            for reason in decision["reasons"]:
                print(f"      {reason['outcome']:5} {reason['code']}: {reason['message']}", flush=True)
    finally:
        await consumer.stop()


async def create_topics() -> None:
    """Create the contract's topics (3 partitions; ownership compacted) if they do not exist yet."""
    k = Settings().kafka
    admin = AIOKafkaAdminClient(bootstrap_servers=k.bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, 3, 1)
            for name in (k.orders_topic, k.leases_topic, k.decisions_topic, k.dlq_topic)
            if name not in existing
        ]
        if k.ownership_topic not in existing:
            wanted.append(NewTopic(k.ownership_topic, 1, 1, topic_configs={"cleanup.policy": "compact"}))
        if wanted:
            await admin.create_topics(wanted)
    finally:
        await admin.close()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        if sys.argv[1] == "--create-topics":
            asyncio.run(create_topics())
        else:
            asyncio.run(main(Path(sys.argv[1])))
