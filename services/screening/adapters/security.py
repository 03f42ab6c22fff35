"""Security settings → client arguments: TLS contexts, SASL credentials, Redis ACL user and TLS.

The only place where secrets are read (from the settings or from their files) and handed to the
Kafka and Redis clients. Nothing here logs a secret; the errors name the setting or file, never its
value.
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as redis
from aiokafka.conn import create_conn
from aiokafka.errors import BrokerResponseError, KafkaError
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import SecretStr

from screening.adapters.redis_store import create_client
from screening.config import KafkaSecuritySettings, KafkaSettings, RedisSettings


class SecurityConfigError(ValueError):
    """A security setting that cannot be used (unreadable secret file, TLS files without TLS, ...)."""


class KafkaAccessError(RuntimeError):
    """The broker refused the service's login or its TLS handshake: a configuration error, not an outage."""


def read_secret(value: SecretStr | None, file: Path | None, what: str) -> str | None:
    """The secret from `file` (trailing newline dropped) when set, else from `value`; None when neither."""
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as error:
            raise SecurityConfigError(f"cannot read the {what} file {file}: {error.strerror}") from None
        if not text:
            raise SecurityConfigError(f"the {what} file {file} is empty")
        return text
    return value.get_secret_value() if value is not None else None


def tls_context(
    ca_file: Path | None,
    cert_file: Path | None = None,
    key_file: Path | None = None,
    key_password: SecretStr | None = None,
    check_hostname: bool = True,
) -> ssl.SSLContext:
    """A client TLS context: server certificates verified (against `ca_file` or the system store),
    TLS 1.2 at least, and a client certificate when one is given (mutual TLS)."""
    try:
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file is not None else None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.check_hostname = check_hostname
        if cert_file is not None:
            password = key_password.get_secret_value() if key_password is not None else None
            context.load_cert_chain(str(cert_file), str(key_file) if key_file else None, password)
    except (OSError, ssl.SSLError) as error:
        files = ", ".join(str(f) for f in (ca_file, cert_file, key_file) if f is not None)
        raise SecurityConfigError(f"cannot load the TLS files ({files}): {error}") from None
    return context


def kafka_security(settings: KafkaSecuritySettings) -> BaseSecurity | None:
    """The FastStream security object of `KafkaBroker(security=...)`; None for PLAINTEXT."""
    protocol = settings.protocol
    if protocol == "PLAINTEXT":
        return None
    use_ssl = protocol in ("SSL", "SASL_SSL")
    context = None
    if use_ssl:
        context = tls_context(
            settings.ca_file,
            settings.cert_file,
            settings.key_file,
            settings.key_password,
            settings.check_hostname,
        )
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    password = read_secret(settings.password, settings.password_file, "Kafka password")
    if not settings.username or password is None:
        raise SecurityConfigError(f"{protocol} needs a username and a password (or password_file)")
    kinds = {"SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512, "PLAIN": SASLPlaintext}
    return kinds[settings.sasl_mechanism](settings.username, password, ssl_context=context, use_ssl=use_ssl)


def kafka_client_options(settings: KafkaSecuritySettings) -> dict[str, Any]:
    """Keyword arguments of aiokafka's producer, consumer and admin client for these settings."""
    options = parse_security(kafka_security(settings))
    if options.get("ssl_context") is None:
        options.pop("ssl_context", None)
    return options


async def check_kafka_login(settings: KafkaSettings, timeout_s: float = 15.0) -> None:
    """Log in once to a bootstrap server with the configured security, so a wrong password or a
    certificate problem stops the service with the broker's reason instead of endless reconnects
    (the Kafka client only logs it and reports "unable to bootstrap"). A broker that cannot be
    reached at all is left to the client's own retries. Nothing to check for PLAINTEXT."""
    security = settings.security
    if security.protocol == "PLAINTEXT":
        return
    options = kafka_client_options(security)
    who = f"user {security.username!r} ({security.sasl_mechanism})" if security.username else "the client"
    for server in (s.strip() for s in settings.bootstrap_servers.split(",") if s.strip()):
        host, _, port = server.rpartition(":")
        try:
            connection = await asyncio.wait_for(
                create_conn(host.strip("[]"), int(port), request_timeout_ms=int(timeout_s * 1000), **options),
                timeout_s,
            )
        except BrokerResponseError as error:  # SaslAuthenticationFailed and its kin
            raise KafkaAccessError(f"Kafka at {server} refused the login of {who}: {error}") from None
        except ssl.SSLError as error:
            raise KafkaAccessError(f"TLS handshake with Kafka at {server} failed: {error}") from None
        except (OSError, TimeoutError, KafkaError, ValueError):
            continue  # not reachable (yet): try the next server
        connection.close()
        return


def redis_url(settings: RedisSettings) -> str:
    """The Redis URL, from `url_file` when set, else from `url`."""
    url = read_secret(settings.url, settings.url_file, "Redis URL")
    assert url is not None  # `url` always has a value
    return url


def redis_options(settings: RedisSettings, url: str) -> dict[str, Any]:
    """`Redis.from_url` keyword arguments: ACL credentials not in the URL, and TLS for `rediss://`."""
    security = settings.security
    options: dict[str, Any] = {}
    password = read_secret(security.password, security.password_file, "Redis password")
    if security.username:
        options["username"] = security.username
    if password is not None:
        options["password"] = password
    tls_files = (security.ca_file, security.cert_file, security.key_file)
    if urlsplit(url).scheme == "rediss":
        options.update(
            ssl_cert_reqs="required",
            ssl_check_hostname=security.check_hostname,
            ssl_min_version=ssl.TLSVersion.TLSv1_2,
        )
        if security.ca_file is not None:
            options["ssl_ca_certs"] = str(security.ca_file)
        if security.cert_file is not None:
            options["ssl_certfile"] = str(security.cert_file)
            options["ssl_keyfile"] = str(security.key_file)
    elif any(f is not None for f in tls_files):
        # Certificates configured for a plain connection: refuse rather than talk in the clear.
        raise SecurityConfigError("Redis TLS files are set but the URL is not rediss://")
    return options


def create_redis_client(settings: RedisSettings, socket_timeout_s: float | None = None) -> redis.Redis:
    """The service's Redis client for these settings (URL, ACL user, TLS); connects lazily."""
    url = redis_url(settings)
    timeout = settings.socket_timeout_s if socket_timeout_s is None else socket_timeout_s
    return create_client(url, timeout, **redis_options(settings, url))
