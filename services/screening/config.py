"""Settings of the service, from the environment or `.env` (prefix `SCREENING_`, nested with `__`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _one_of(value: object, file: Path | None, what: str) -> None:
    if value is not None and file is not None:
        raise ValueError(f"set {what} or {what}_file, not both")


class KafkaSecuritySettings(BaseModel):
    """How the service authenticates to the brokers and protects the connection (TLS, SASL, mTLS).

    Secrets come from the environment (`SCREENING_KAFKA__SECURITY__PASSWORD`) or, better, from a file
    mounted as a secret (`..._PASSWORD_FILE`); they are never logged.
    """

    protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="Kafka security protocol; production uses SASL_SSL or SSL (mTLS)"
    )
    sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] = Field(
        default="SCRAM-SHA-512", description="SASL mechanism (SASL_* protocols only)"
    )
    username: str | None = Field(default=None, description="SASL user name (the service's principal)")
    password: SecretStr | None = Field(default=None, description="SASL password")
    password_file: Path | None = Field(
        default=None, description="File holding the SASL password (trailing newline ignored)"
    )
    ca_file: Path | None = Field(
        default=None, description="PEM CA bundle the brokers' certificates are checked by; default: system"
    )
    cert_file: Path | None = Field(default=None, description="PEM client certificate (mutual TLS)")
    key_file: Path | None = Field(default=None, description="PEM private key of the client certificate")
    key_password: SecretStr | None = Field(default=None, description="Password of an encrypted key_file")
    check_hostname: bool = Field(
        default=True, description="Check that the broker certificate names the host connected to"
    )

    @model_validator(mode="after")
    def _consistent(self) -> KafkaSecuritySettings:
        _one_of(self.password, self.password_file, "password")
        if self.protocol.startswith("SASL_") and not self.username:
            raise ValueError(f"security protocol {self.protocol} needs a username")
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together")
        return self


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
    reviews_topic: str = Field(
        default="screening.reviews.v1", description="Reviews of held decisions in (keyed by subject id)"
    )
    reviews_group_id: str = Field(default="screening-reviews", description="Group of the reviews subscriber")
    licences_topic: str = Field(
        default="screening.licences.v1", description="Licences and NAC/ACA notifications in (compacted)"
    )
    licences_group_id: str = Field(default="screening-licences", description="Group of the licences feed")
    records_retention_days: int = Field(
        default=1827,
        ge=1827,
        description="How long the record topics (events, decisions, reviews, dead letters) keep records: at "
        "least five years (15 CFR 762.6); set by `screening topics create`",
    )
    dlq_topic: str = Field(default="screening.dlq.v1", description="Rejected messages out")
    max_records: int = Field(default=500, ge=1, description="Most records handed to one batch")
    batch_timeout_ms: int = Field(
        default=5, ge=1, description="How long an empty poll waits (FastStream then sleeps as long again)"
    )
    linger_ms: int = Field(
        default=0, ge=0, description="Producer linger; 0 measured best: a busy sender batches by itself"
    )
    max_batch_bytes: int = Field(
        default=256 * 1024,
        ge=16 * 1024,
        le=1024 * 1024,
        description="Producer batch per partition; a batch of decisions goes out in a few requests, "
        "not one per 16 KiB",
    )
    auto_offset_reset: Literal["earliest", "latest", "none"] = Field(
        default="earliest", description="Where a new group starts reading"
    )
    transactions: bool = Field(
        default=True,
        description="Exactly-once: each consumed partition's decisions, dead letters and consumed offset "
        "are published in one Kafka transaction (readers of decisions use isolation_level=read_committed)",
    )
    transactional_id_prefix: str = Field(
        default="screening-tx",
        description="Start of the transactional ids, `<prefix>.<group>.<topic>.<partition>` (ACLs grant "
        "the service's principal the transactional ids with this prefix)",
    )
    transaction_timeout_ms: int = Field(
        default=30_000,
        ge=1000,
        description="The broker aborts a transaction left open this long (a producer that died mid-batch "
        "and whose partition nobody took over); read_committed readers wait for it until then",
    )
    request_timeout_ms: int = Field(
        default=15_000,
        ge=1000,
        description="Longest wait for one broker request (the client's default, 40 s, kept a batch stuck "
        "that long on a request sent to a broker that had just died or paused)",
    )
    metadata_max_age_ms: int = Field(
        default=30_000, ge=1000, description="Cluster metadata is refreshed at least this often"
    )
    retry_backoff_ms: int = Field(default=100, ge=10, description="Wait before retrying a failed request")
    session_timeout_ms: int = Field(
        default=10_000,
        ge=1000,
        description="A consumer that sends no heartbeat this long leaves the group (its partitions move)",
    )
    heartbeat_interval_ms: int = Field(
        default=2_000, ge=100, description="Heartbeat interval (well under the session timeout)"
    )
    transaction_wait_s: float = Field(
        default=10.0, gt=0, description="Longest wait for one transaction (or a producer's start) to finish"
    )
    security: KafkaSecuritySettings = Field(
        default_factory=KafkaSecuritySettings, description="TLS and SASL settings of every Kafka client"
    )


class RedisSecuritySettings(BaseModel):
    """Redis ACL user and TLS (a `rediss://` URL); secrets from the environment or from files."""

    username: str | None = Field(default=None, description="ACL user name, when the URL does not carry one")
    password: SecretStr | None = Field(default=None, description="ACL password, when the URL carries none")
    password_file: Path | None = Field(default=None, description="File holding the ACL password")
    ca_file: Path | None = Field(
        default=None, description="PEM CA bundle Redis's certificate is checked against; default: system"
    )
    cert_file: Path | None = Field(default=None, description="PEM client certificate (when Redis asks)")
    key_file: Path | None = Field(default=None, description="PEM private key of the client certificate")
    check_hostname: bool = Field(
        default=True, description="Check that Redis's certificate names the host connected to"
    )

    @model_validator(mode="after")
    def _consistent(self) -> RedisSecuritySettings:
        _one_of(self.password, self.password_file, "password")
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together")
        return self


class RedisSettings(BaseModel):
    """Redis: ownership registry cache, lists store and decision ledger."""

    url: SecretStr = Field(
        default=SecretStr("redis://127.0.0.1:16379/0"),
        description="Redis URL: redis:// or rediss:// (TLS); secret, since it may carry a password",
    )
    url_file: Path | None = Field(
        default=None, description="File holding the Redis URL (a mounted secret); replaces `url` when set"
    )
    security: RedisSecuritySettings = Field(
        default_factory=RedisSecuritySettings, description="ACL user and TLS settings"
    )
    prefix: str = Field(default="screening:", description="Key prefix of every key the service writes")
    socket_timeout_s: float = Field(
        default=0.5, gt=0, description="Per-call timeout; a slow Redis is a down Redis"
    )
    ledger_ttl_s: int = Field(default=14 * 24 * 3600, gt=0, description="How long a decided event id is kept")


class ListsSettings(BaseModel):
    """Where the control lists come from, how old they may be, and what a new version must hold."""

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
    max_age_hours: float | None = Field(
        default=72.0,
        gt=0,
        description="Lists older than this (from their source date) hold every decision (LISTS_STALE); "
        "empty: no limit. ScreeningListsStale warns at 36 h",
    )
    max_entry_loss: float = Field(
        default=0.10,
        ge=0,
        lt=1,
        description="A new version with fewer than (1 - this) of the last good version's entries, in all or "
        "on a required list, is refused unless forced",
    )
    required_sources: list[str] = Field(
        default_factory=lambda: ["EL", "SDN"],
        description="Lists (source codes) a version must hold, or it is refused unless forced",
    )
    fetch_url: str = Field(
        default="https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv",
        description="Where `screening lists fetch` downloads the Consolidated Screening List (trade.gov CSV)",
    )
    fetch_interval_s: float | None = Field(
        default=None,
        gt=0,
        description="`screening serve` fetches the lists this often (conditional GET); empty: never (off)",
    )
    fetch_timeout_s: float = Field(default=120.0, gt=0, description="Longest a download may take")
    fetch_max_bytes: int = Field(
        default=200 * 1024 * 1024, ge=1024, description="Largest download accepted (the CSV is ~10-35 MB)"
    )


class RescreenSettings(BaseModel):
    """Re-deciding open orders and active leases when the lists or the ownership records change."""

    enabled: bool = Field(default=True, description="Rescreen open subjects on a list or ownership change")
    chunk_size: int = Field(default=500, ge=1, description="Subjects decided per ownership read and publish")
    settle_s: float = Field(
        default=0.5, ge=0, description="Wait before a rescreen, so a burst of changes is one rescreen"
    )
    retry_s: float = Field(default=30.0, gt=0, description="Wait before retrying a failed rescreen")
    calendar_check_s: float = Field(
        default=60.0,
        gt=0,
        description="How often the service clock is compared with the rule calendar's next boundary",
    )
    full_every_hours: float = Field(
        default=24.0,
        ge=0,
        description="How often every open subject is re-decided whatever changed (cause `periodic`), the "
        "bound on what a rescreen of only what changed leaves out; 0: never",
    )


class ReviewsSettings(BaseModel):
    """Reviews of held decisions: who may review, and how long a hold may wait."""

    reviewers: list[str] = Field(
        default_factory=list,
        description="Who may review (the review's `reviewer`); empty: anyone signed in (never a blank name)",
    )
    sla_s: float = Field(
        default=24 * 3600.0,
        gt=0,
        description="How long a hold may wait for review; exported as screening_review_sla_seconds, which "
        "the ScreeningHoldsOverSla alert compares the oldest hold with",
    )


class LicencesSettings(BaseModel):
    """Licences on file (the licence store, fed by `screening.licences.v1` and `screening licences load`)."""

    trust_event_licences: bool = Field(
        default=False,
        description="Count a licence the event describes but the store does not hold without holding the "
        "event (LICENCE_UNVERIFIED); off: only licences on file let an event through unheld",
    )


class LimitsSettings(BaseModel):
    """Input limits, checked when a message is decoded: a message over any of them is dead-lettered (and its
    subject held when it names one), so no algorithm ever sees unbounded input."""

    max_message_bytes: int = Field(default=256 * 1024, ge=1024, description="Largest message value")
    max_parties: int = Field(default=50, ge=1, description="Parties per event, all roles together")
    max_intermediaries: int = Field(default=40, ge=0, description="Intermediaries per order")
    max_aliases: int = Field(default=20, ge=0, description="Aliases per party or ownership record")
    max_name_chars: int = Field(default=512, ge=1, description="Characters in a name, alias or product")
    max_items: int = Field(default=200, ge=1, description="Items (orders) or resources (leases) per event")
    max_licences: int = Field(default=50, ge=0, description="Licences per event")
    max_text_chars: int = Field(
        default=4000, ge=1, description="Characters in free text: end use, purpose, address, source"
    )
    max_id_chars: int = Field(default=200, ge=1, description="Characters in an id (event, subject, line...)")
    max_quantity: int = Field(default=10**9, ge=1, description="Largest quantity or accelerator count")
    max_number: float = Field(
        default=1e9, gt=0, description="Largest TPP, die or package area, bandwidth (finite decimals only)"
    )
    max_owners: int = Field(default=100, ge=1, description="Owners per ownership record")


class ResilienceSettings(BaseModel):
    """The error policy: bounded retries of transient failures, batch splitting, health thresholds."""

    attempts: int = Field(
        default=3, ge=1, description="Tries of a transient operation (a publish, an ownership read)"
    )
    backoff_s: float = Field(default=0.1, ge=0, description="Wait before the first retry; doubles each time")
    max_backoff_s: float = Field(default=5.0, ge=0, description="Longest wait between two tries")
    batch_attempts: int = Field(
        default=2,
        ge=1,
        description="Tries of a whole batch before it is split to isolate the failing message",
    )
    stuck_after_s: float = Field(
        default=120.0,
        gt=0,
        description="/readyz fails when a partition has unconsumed records and no commit for this long",
    )
    dlq_value_bytes: int = Field(
        default=64 * 1024, ge=256, description="Most bytes of a rejected value copied into its dead letter"
    )
    registry_check_s: float = Field(
        default=1.0,
        gt=0,
        description="How often the ownership registry's generation marker is checked: a registry gone, "
        "older or being built is rebuilt from the ownership feed, and its return starts a rescreen",
    )


class MetricsSettings(BaseModel):
    """Prometheus metrics and health endpoints."""

    enabled: bool = Field(default=True, description="Export metrics and serve /metrics, /healthz, /readyz")
    host: str = Field(
        default="127.0.0.1",
        description="HTTP bind address: loopback unless a scraper elsewhere needs it (0.0.0.0 in containers)",
    )
    port: int = Field(default=9464, description="HTTP port")


class SigningSettings(BaseModel):
    """Signatures on published decisions (`screening.signing`); unsigned when no key is given."""

    key_file: Path | None = Field(
        default=None,
        description="Ed25519 private key, PEM PKCS#8 (`openssl genpkey -algorithm ed25519`); unset: unsigned",
    )


class ReviewUiSettings(BaseModel):
    """The reviewers' web page (`screening review-ui`): where it listens, how reviewers sign in, sessions.

    Sign-in is by a password file (`screening review-ui add-user`), or, behind an authenticating proxy, by
    a trusted header the proxy sets. The session is a signed cookie (HttpOnly, SameSite=Strict, Secure
    when served over TLS) carrying the reviewer's name and the CSRF token every form must send back.
    """

    host: str = Field(
        default="127.0.0.1", description="Bind address: loopback unless a proxy elsewhere must reach it"
    )
    port: int = Field(default=8470, ge=1, le=65535, description="HTTP port")
    auth: Literal["password", "header"] = Field(
        default="password",
        description="password: sign in against password_file; header: the identity in trusted_header, set by "
        "an authenticating proxy that every request passes through (never expose the page directly then)",
    )
    password_file: Path | None = Field(
        default=None,
        description="Reviewers and their scrypt password hashes, one `name:hash` a line "
        "(`screening review-ui add-user NAME`); needed when auth is password",
    )
    trusted_header: str = Field(
        default="X-Authenticated-User", description="Header naming the signed-in reviewer (auth = header)"
    )
    session_secret: SecretStr | None = Field(
        default=None,
        description="Key signing the session cookie (32+ random bytes); unset: a new one per start",
    )
    session_secret_file: Path | None = Field(
        default=None, description="File holding the session key (a mounted secret)"
    )
    session_max_age_s: int = Field(
        default=8 * 3600, ge=60, description="A session ends this long after sign-in"
    )
    tls_cert_file: Path | None = Field(default=None, description="PEM certificate: serve HTTPS")
    tls_key_file: Path | None = Field(default=None, description="PEM private key of tls_cert_file")
    secure_cookie: bool | None = Field(
        default=None,
        description="Mark the session cookie Secure; unset: exactly when served over TLS (set true behind a "
        "proxy that terminates TLS)",
    )
    queue_limit: int = Field(default=200, ge=1, le=5000, description="Most holds listed in the queue")

    @model_validator(mode="after")
    def _consistent(self) -> ReviewUiSettings:
        _one_of(self.session_secret, self.session_secret_file, "session_secret")
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file go together")
        return self


class Settings(BaseSettings):
    """All settings of `screening serve`."""

    model_config = SettingsConfigDict(
        env_prefix="SCREENING_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    lists: ListsSettings = Field(default_factory=ListsSettings)
    rescreen: RescreenSettings = Field(default_factory=RescreenSettings)
    reviews: ReviewsSettings = Field(default_factory=ReviewsSettings)
    licences: LicencesSettings = Field(default_factory=LicencesSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    signing: SigningSettings = Field(default_factory=SigningSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    resilience: ResilienceSettings = Field(default_factory=ResilienceSettings)
    review_ui: ReviewUiSettings = Field(default_factory=ReviewUiSettings)
    ruleset_file: Path | None = Field(default=None, description="Ruleset TOML; default: the shipped ruleset")
    catalogue_file: Path | None = Field(default=None, description="Product catalogue CSV; default: shipped")
    log_level: str = Field(default="INFO", description="Log level")
