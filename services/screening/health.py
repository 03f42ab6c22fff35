"""What the consumers did, for `/readyz` and the metrics: how far each partition is committed, and when it
last moved, so a partition that has records to consume and makes no progress shows as stuck."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

Partition = tuple[str, int]
"""(topic, partition)."""


class ConsumerHealth:
    """Commits per partition and the time each last moved; `stopped` once a consumer had to stop."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._committed: dict[Partition, int] = {}
        self._moved_at: dict[Partition, float] = {}
        self.stopped: str | None = None
        """Why a consumer stopped (a dead letter it could not write), or None."""

    def consuming(self, first_offsets: Mapping[Partition, int]) -> None:
        """A batch starts at these offsets: nothing before them is left to commit."""
        now = self._clock()
        for partition, offset in first_offsets.items():
            if partition not in self._committed:
                self._committed[partition] = offset
                self._moved_at[partition] = now

    def committed(self, offsets: Mapping[Partition, int]) -> None:
        """These offsets (next to read) are committed."""
        now = self._clock()
        for partition, offset in offsets.items():
            if offset > self._committed.get(partition, -1):
                self._committed[partition] = offset
                self._moved_at[partition] = now

    def stuck_seconds(
        self, ends: Mapping[Partition, int], positions: Mapping[Partition, int]
    ) -> dict[Partition, float]:
        """Per partition with a known end: seconds since its commit last moved (or it was last seen caught
        up) while records are left to commit (the end is past the committed offset, or past the position
        where none is known), else 0."""
        now = self._clock()
        stuck: dict[Partition, float] = {}
        for partition, end in ends.items():
            committed = self._committed.get(partition, positions.get(partition))
            if committed is None or committed >= end:
                # Caught up: time spent idle does not count once records arrive again.
                self._moved_at[partition] = now
                stuck[partition] = 0.0
                continue
            since = self._moved_at.setdefault(partition, now)
            stuck[partition] = max(0.0, now - since)
        return stuck
