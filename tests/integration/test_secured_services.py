"""The service through a secured broker (SASL_SSL, SCRAM, topic ACLs) and a secured Redis (TLS, ACL user).

`make test` starts the secured pair with `scripts/services.sh up --secure`, which exports
SECURE_KAFKA_BOOTSTRAP, SECURE_REDIS_URL and SECURE_SERVICES_DIR (certificates, password files).
Without them these tests fail, never skip. Topic names use the contract's prefixes, which the ACLs
grant, with a unique suffix per test.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import socket
import ssl
import urllib.request
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
import redis.asyncio as redis_async
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAuthorizationFailedError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr
from redis.exceptions import AuthenticationError, ConnectionError, NoPermissionError

from screening import verify_command
from screening.adapters.security import KafkaAccessError, check_kafka_login, create_redis_client
from screening.app import create_app
from screening.cli import build_parser
from screening.config import (
    KafkaSecuritySettings,
    KafkaSettings,
    MetricsSettings,
    RedisSecuritySettings,
    RedisSettings,
    Settings,
    SigningSettings,
)
from screening.topics import ensure_topics
from tests.support import order_event

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Secured:
    """Where the secured broker and Redis answer, and their test CA, client certificate and passwords."""

    bootstrap: str
    redis_url: str
    home: Path

    @property
    def ca(self) -> Path:
        return self.home / "tls" / "ca.pem"

    @property
    def client_cert(self) -> Path:
        return self.home / "tls" / "client.pem"

    @property
    def client_key(self) -> Path:
        return self.home / "tls" / "client.key"

    def password_file(self, account: str) -> Path:
        return self.home / "credentials" / f"{account}.password"

    def password(self, account: str) -> str:
        return self.password_file(account).read_text().strip()

    def kafka_options(self, user: str, password: str | None = None) -> dict[str, Any]:
        context = ssl.create_default_context(cafile=str(self.ca))
        return {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": "SASL_SSL",
            "ssl_context": context,
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": user,
            "sasl_plain_password": password if password is not None else self.password(f"kafka-{user}"),
        }


@pytest.fixture(scope="session")
def secured() -> Secured:
    bootstrap = os.environ.get("SECURE_KAFKA_BOOTSTRAP")
    redis_url = os.environ.get("SECURE_REDIS_URL")
    home = os.environ.get("SECURE_SERVICES_DIR")
    if not (bootstrap and redis_url and home):
        pytest.fail(
            "the security tests need the secured broker and Redis: run `scripts/services.sh up --secure` "
            "(make test does), which exports SECURE_KAFKA_BOOTSTRAP, SECURE_REDIS_URL, SECURE_SERVICES_DIR"
        )
    return Secured(bootstrap, redis_url, Path(home))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_settings(secured: Secured, tag: str, *, secrets_in_values: bool = False) -> Settings:
    """The service's settings on the secured pair: SCRAM user `screening` with mTLS, Redis user
    `screening` over TLS. `secrets_in_values` puts the passwords in the settings and the Redis URL
    (as an operator might) instead of in files."""
    kafka_password = SecretStr(secured.password("kafka-screening")) if secrets_in_values else None
    redis_password = secured.password("redis-screening")
    host_part = secured.redis_url.split("://", 1)[1]
    url = (
        f"rediss://screening:{quote(redis_password)}@{host_part}" if secrets_in_values else secured.redis_url
    )
    return Settings(
        kafka=KafkaSettings(
            bootstrap_servers=secured.bootstrap,
            group_id=f"screening-{tag}",
            ownership_group_id=f"screening-{tag}-ownership",
            orders_topic=f"screening.orders.{tag}",
            leases_topic=f"screening.leases.{tag}",
            ownership_topic=f"screening.ownership.{tag}",
            decisions_topic=f"screening.decisions.{tag}",
            dlq_topic=f"screening.dlq.{tag}",
            reviews_topic=f"screening.reviews.{tag}",
            licences_topic=f"screening.licences.{tag}",
            batch_timeout_ms=20,
            security=KafkaSecuritySettings(
                protocol="SASL_SSL",
                sasl_mechanism="SCRAM-SHA-512",
                username="screening",
                password=kafka_password,
                password_file=None if secrets_in_values else secured.password_file("kafka-screening"),
                ca_file=secured.ca,
                cert_file=secured.client_cert,
                key_file=secured.client_key,
            ),
        ),
        redis=RedisSettings(
            url=SecretStr(url),
            prefix=f"screening:{tag}:",
            security=RedisSecuritySettings(
                username=None if secrets_in_values else "screening",
                password_file=None if secrets_in_values else secured.password_file("redis-screening"),
                ca_file=secured.ca,
                cert_file=secured.client_cert,
                key_file=secured.client_key,
            ),
        ),
        metrics=MetricsSettings(enabled=True, host="127.0.0.1", port=_free_port()),
    )


async def create_topics(secured: Secured, settings: Settings) -> None:
    """Topics are an administrator's job on the secured broker (the service may not create any)."""
    options = {
        key: value for key, value in secured.kafka_options("admin").items() if key != "bootstrap_servers"
    }
    await ensure_topics(settings.kafka, client_options=options)


async def send_as(secured: Secured, user: str, topic: str, key: str, value: bytes) -> None:
    producer = AIOKafkaProducer(**secured.kafka_options(user))
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=value, key=key.encode())
    finally:
        await producer.stop()


async def read_as(secured: Secured, user: str, topic: str, count: int, timeout: float = 60) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic,
        group_id=f"{user}-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
        **secured.kafka_options(user),
    )
    await consumer.start()
    found: list[bytes] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found) < count and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found.extend(r.value for r in records if r.value is not None)
    finally:
        await consumer.stop()
    return found


@pytest.fixture
async def run_service(secured: Secured) -> AsyncIterator[Any]:
    """A factory: the real app (`create_app`, start-up hooks, ops server) on the secured pair."""
    started: list[Any] = []

    async def start(settings: Settings) -> Any:
        await create_topics(secured, settings)
        app, runtime = create_app(settings)
        await app.start()
        started.append(app)
        return runtime

    yield start
    for app in started:
        await app.stop()


def _http(port: int, path: str) -> str:
    """GET from the ops server (blocking: call it in a thread, the server runs on the test's loop)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return str(response.read().decode())
    except urllib.error.HTTPError as error:  # /readyz answers 503 while not ready: its text still counts
        return str(error.read().decode())


async def test_the_service_decides_through_sasl_ssl_acls_and_redis_tls(secured: Secured, run_service) -> None:
    settings = service_settings(secured, uuid.uuid4().hex[:10])
    runtime = await run_service(settings)
    k = settings.kafka
    await send_as(secured, "order-pipeline", k.orders_topic, "SO-OK", order_event("evt-ok", "SO-OK"))
    huawei = order_event(
        "evt-huawei",
        "SO-HW",
        buyer="Huawei Technologies Co., Ltd.",
        country="CN",
        product="NVIDIA H100",
        eccn=None,
    )
    await send_as(secured, "order-pipeline", k.orders_topic, "SO-HW", huawei)

    decisions = [orjson.loads(v) for v in await read_as(secured, "order-pipeline", k.decisions_topic, 2)]
    outcomes = {d["subject"]["id"]: d["outcome"] for d in decisions}
    assert outcomes == {"SO-OK": "allow", "SO-HW": "deny"}
    # The ledger reached Redis through TLS as the ACL user: both events are marked decided.
    assert set(await runtime.ledger.decided(["evt-ok", "evt-huawei"])) == {"evt-ok", "evt-huawei"}


async def test_a_wrong_kafka_password_stops_start_up_with_the_brokers_reason(secured: Secured) -> None:
    settings = service_settings(secured, uuid.uuid4().hex[:10])
    wrong = secured.home / "credentials" / "wrong.password.test"
    wrong.write_text("not-the-password\n")
    try:
        settings.kafka.security = settings.kafka.security.model_copy(update={"password_file": wrong})
        app, runtime = create_app(settings)
        with pytest.raises(KafkaAccessError) as refused:
            await app.start()
        await runtime.redis.aclose()
    finally:
        wrong.unlink()
    message = str(refused.value)
    assert f"Kafka at {secured.bootstrap} refused the login of user 'screening' (SCRAM-SHA-512)" in message
    assert "Authentication failed" in message and "invalid credentials" in message


async def test_a_broker_certificate_from_an_unknown_ca_is_refused(secured: Secured) -> None:
    settings = service_settings(secured, uuid.uuid4().hex[:10])
    settings.kafka.security = settings.kafka.security.model_copy(update={"ca_file": None})  # system CAs only
    with pytest.raises(
        KafkaAccessError, match=r"TLS handshake with Kafka at .* failed: .*CERTIFICATE_VERIFY_FAILED"
    ):
        await check_kafka_login(settings.kafka)


@pytest.mark.parametrize(
    ("user", "topic_kind", "allowed"),
    [
        ("order-pipeline", "decisions", False),  # a forged allow from an order pipeline
        ("ownership-writer", "decisions", False),
        ("reviewer", "decisions", False),
        ("screening", "ownership", False),  # the service cannot tombstone ownership records
        ("ownership-writer", "orders", False),
        ("reviewer", "reviews", True),
        ("ownership-writer", "ownership", True),
        ("order-pipeline", "orders", True),
    ],
)
async def test_topic_acls_let_each_principal_write_only_its_own_topics(
    secured: Secured, user: str, topic_kind: str, allowed: bool
) -> None:
    tag = uuid.uuid4().hex[:10]
    topic = f"screening.{topic_kind}.{tag}"
    admin = AIOKafkaAdminClient(**secured.kafka_options("admin"))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    payload = orjson.dumps({"decision_id": "forged", "outcome": "allow"})
    if allowed:
        await send_as(secured, user, topic, "k", payload)
        return
    with pytest.raises(TopicAuthorizationFailedError) as refused:
        await send_as(secured, user, topic, "k", payload)
    assert topic in str(refused.value)


async def test_redis_refuses_a_wrong_password_plain_connections_and_commands_outside_the_acl(
    secured: Secured,
) -> None:
    settings = service_settings(secured, uuid.uuid4().hex[:10]).redis
    wrong = settings.model_copy(
        update={
            "security": settings.security.model_copy(
                update={"password_file": None, "password": SecretStr("x")}
            )
        }
    )
    client = create_redis_client(wrong, 2.0)
    with pytest.raises(AuthenticationError, match="invalid username-password pair"):
        await client.ping()
    await client.aclose()

    plain = redis_async.Redis.from_url(secured.redis_url.replace("rediss://", "redis://"), socket_timeout=2)
    with pytest.raises(ConnectionError):
        await plain.ping()
    await plain.aclose()

    service = create_redis_client(settings, 2.0)
    try:
        assert await service.ping()
        await service.set(f"{settings.prefix}probe", "1")
        with pytest.raises(NoPermissionError):
            await service.set("elsewhere:probe", "1")  # outside screening:*
        with pytest.raises(NoPermissionError):
            await service.flushall()  # dangerous commands are not granted
    finally:
        await service.aclose()


async def test_no_secret_reaches_logs_metrics_readiness_or_decisions(
    secured: Secured, run_service, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = service_settings(secured, uuid.uuid4().hex[:10], secrets_in_values=True)
    secrets = {
        "kafka password": secured.password("kafka-screening"),
        "redis password": secured.password("redis-screening"),
        "redis URL credentials": settings.redis.url.get_secret_value().split("://", 1)[1].split("@", 1)[0],
    }
    runtime = await run_service(settings)
    k = settings.kafka
    await send_as(secured, "order-pipeline", k.orders_topic, "SO-1", order_event("evt-1", "SO-1"))
    await send_as(secured, "order-pipeline", k.orders_topic, "SO-2", b"{not json")  # a DLQ record too
    decisions = await read_as(secured, "order-pipeline", k.decisions_topic, 1)
    assert decisions, "no decision through the authenticated service"
    dead_letters = await read_as(secured, "admin", k.dlq_topic, 1)
    assert dead_letters, "no dead letter through the authenticated service"
    await runtime.rescreens.stop()

    port = settings.metrics.port
    texts = {
        "logs": "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records),
        "/metrics": await asyncio.to_thread(_http, port, "/metrics"),
        "/readyz": await asyncio.to_thread(_http, port, "/readyz"),
        "/healthz": await asyncio.to_thread(_http, port, "/healthz"),
        "decisions": "\n".join(d.decode() for d in decisions),
        "dead letters": "\n".join(d.decode() for d in dead_letters),
        "settings repr": repr(settings),
    }
    # What is searched is real: the service's decision log, the Kafka client's SASL exchange, the pages.
    assert '"msg":"decision"' in texts["logs"] and "SaslAuthenticate" in texts["logs"]
    assert '"ready":true' in texts["/readyz"] and "screening_" in texts["/metrics"]
    assert '"signing":"off"' in texts["/readyz"]  # no key configured: readiness says decisions are unsigned
    for where, text in texts.items():
        for what, secret in secrets.items():
            assert secret not in text, f"the {what} appears in {where}"


async def test_screening_verify_reads_the_topic_and_reports_a_forged_decision(
    secured: Secured, run_service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    key = Ed25519PrivateKey.generate()
    key_file, public_file = tmp_path / "signing.pem", tmp_path / "signing.pub.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    public_file.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    settings = service_settings(secured, uuid.uuid4().hex[:10])
    settings.signing = SigningSettings(key_file=key_file)
    await run_service(settings)
    k = settings.kafka
    for n in range(3):
        await send_as(
            secured, "order-pipeline", k.orders_topic, f"SO-{n}", order_event(f"evt-{n}", f"SO-{n}")
        )
    decisions = [orjson.loads(v) for v in await read_as(secured, "order-pipeline", k.decisions_topic, 3)]
    assert len(decisions) == 3 and all("signature" in d for d in decisions)
    # Someone past the ACLs (here: the administrator) turns a decision into an allow for another order.
    forged = {**decisions[0], "subject": {"kind": "order", "id": "SO-FORGED"}, "outcome": "allow"}
    await send_as(secured, "admin", k.decisions_topic, "SO-FORGED", orjson.dumps(forged))

    # `screening verify --topic`, reading as the order pipeline would (settings from the environment).
    monkeypatch.setenv("SCREENING_KAFKA__BOOTSTRAP_SERVERS", secured.bootstrap)
    monkeypatch.setenv("SCREENING_KAFKA__SECURITY__PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("SCREENING_KAFKA__SECURITY__USERNAME", "order-pipeline")
    monkeypatch.setenv(
        "SCREENING_KAFKA__SECURITY__PASSWORD_FILE", str(secured.password_file("kafka-order-pipeline"))
    )
    monkeypatch.setenv("SCREENING_KAFKA__SECURITY__CA_FILE", str(secured.ca))
    args = build_parser().parse_args(
        ["verify", "--public-key", str(public_file), "--topic", k.decisions_topic, "--timeout", "60"]
    )
    out = io.StringIO()
    assert await asyncio.to_thread(verify_command.run, args, out) == 1
    reports = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert len(reports) == 1
    assert reports[0]["problem"] == "bad signature: the decision or its signature was changed"
    assert reports[0]["where"].startswith(f"{k.decisions_topic}/")
    assert "4 decisions checked, 3 good, 1 bad" in capsys.readouterr().err
