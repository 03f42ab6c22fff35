"""Settings of the service, from the environment or `.env` (prefix `SCREENING_`, nested with `__`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseModel):
    """Kafka connection, topics and batching."""

    bootstrap_servers: str = Field(default="127.0.0.1:19092", description="Comma-separated host:port list")
    group_id: str = Field(default="screening", description="Consumer group of the order/lease subscriber")
    ownership_group_id: str = Field(default="screening-ownership", description="Group of the ownership feed")
    orders_topic: str = Field(default="screening.orders.v1", description="Order events in")
    leases_topic: str = Field(default="screening.leases.v1", description="Lease events in")
    ownership_topic: str = Field(
        default="screening.ownership.v1", description="Ownership records in (compacted)"
    )
    decisions_topic: str = Field(default="screening.decisions.v1", description="Decisions out")
    dlq_topic: str = Field(default="screening.dlq.v1", description="Rejected messages out")
    max_records: int = Field(default=500, ge=1, description="Most records handed to one batch")
    batch_timeout_ms: int = Field(
        default=5, ge=1, description="How long an empty poll waits (FastStream then sleeps as long again)"
    )
    linger_ms: int = Field(
        default=0, ge=0, description="Producer linger; 0 measured best: a busy sender batches by itself"
    )
    auto_offset_reset: Literal["earliest", "latest", "none"] = Field(
        default="earliest", description="Where a new group starts reading"
    )
    sasl_password: SecretStr | None = Field(default=None, description="Reserved for SASL deployments")


class RedisSettings(BaseModel):
    """Redis: ownership registry cache, lists store and decision ledger."""

    url: str = Field(default="redis://127.0.0.1:16379/0", description="Redis URL")
    prefix: str = Field(default="screening:", description="Key prefix of every key the service writes")
    socket_timeout_s: float = Field(
        default=0.5, gt=0, description="Per-call timeout; a slow Redis is a down Redis"
    )
    ledger_ttl_s: int = Field(default=14 * 24 * 3600, gt=0, description="How long a decided event id is kept")


class ListsSettings(BaseModel):
    """Where the control lists come from."""

    files: list[Path] = Field(
        default_factory=list,
        description="List files (trade.gov CSL CSV/JSON) used when Redis has none; empty = shipped snapshot",
    )
    use_shipped_snapshot: bool = Field(
        default=True, description="Fall back to the shipped CSL snapshot when Redis holds no lists"
    )
    refresh_interval_s: float = Field(
        default=30.0, gt=0, description="How often Redis is checked for new lists"
    )


class RescreenSettings(BaseModel):
    """Re-deciding open orders and active leases when the lists or the ownership records change."""

    enabled: bool = Field(default=True, description="Rescreen open subjects on a list or ownership change")
    chunk_size: int = Field(default=500, ge=1, description="Subjects decided per ownership read and publish")
    settle_s: float = Field(
        default=0.5, ge=0, description="Wait before a rescreen, so a burst of changes is one rescreen"
    )
    retry_s: float = Field(default=30.0, gt=0, description="Wait before retrying a failed rescreen")


class MetricsSettings(BaseModel):
    """Prometheus metrics and health endpoints."""

    enabled: bool = Field(default=True, description="Export metrics and serve /metrics, /healthz, /readyz")
    host: str = Field(default="127.0.0.1", description="HTTP bind address")
    port: int = Field(default=9464, description="HTTP port")


class Settings(BaseSettings):
    """All settings of `screening serve`."""

    model_config = SettingsConfigDict(
        env_prefix="SCREENING_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    lists: ListsSettings = Field(default_factory=ListsSettings)
    rescreen: RescreenSettings = Field(default_factory=RescreenSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    ruleset_file: Path | None = Field(default=None, description="Ruleset TOML; default: the shipped ruleset")
    catalogue_file: Path | None = Field(default=None, description="Product catalogue CSV; default: shipped")
    log_level: str = Field(default="INFO", description="Log level")
