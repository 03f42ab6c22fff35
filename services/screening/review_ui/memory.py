"""In-memory `OpenHolds` and review sink: for the page's tests and for trying the page without Redis."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from screening.ports import HoldView
from screening.wire import ReviewV1


class InMemoryOpenHolds:
    """Open holds kept in a dict: `hold` a published decision, `release` it, read them as the page does."""

    def __init__(self) -> None:
        self._holds: dict[tuple[str, str], HoldView] = {}

    def hold(
        self, decision: Mapping[str, Any], held_since: datetime, reviews: tuple[Mapping[str, Any], ...] = ()
    ) -> None:
        """Record `decision` (a published `hold`, parsed) as its subject's open hold."""
        subject = decision["subject"]
        key = (str(subject["kind"]), str(subject["id"]))
        self._holds[key] = HoldView(key[0], key[1], decision, held_since, reviews)

    def release(self, kind: str, subject_id: str) -> None:
        """The subject is not held any more."""
        self._holds.pop((kind, subject_id), None)

    async def oldest(self, limit: int = 100) -> list[HoldView]:
        """Open holds, oldest first."""
        return sorted(self._holds.values(), key=lambda hold: hold.held_since)[:limit]

    async def get(self, kind: str, subject_id: str) -> HoldView | None:
        """The subject's open hold, None when it is not held."""
        return self._holds.get((kind, subject_id))


class InMemoryReviewSink:
    """Keeps the reviews the page published, in order."""

    def __init__(self) -> None:
        self.published: list[ReviewV1] = []

    async def publish(self, review: ReviewV1) -> None:
        """Keep `review`."""
        self.published.append(review)
