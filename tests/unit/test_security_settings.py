"""Security settings: validation, secrets from files, and their translation into client arguments."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from screening.adapters.security import (
    SecurityConfigError,
    kafka_client_options,
    kafka_security,
    redis_options,
    redis_url,
)
from screening.config import KafkaSecuritySettings, RedisSecuritySettings, RedisSettings, Settings


def test_plaintext_needs_no_client_arguments() -> None:
    assert kafka_security(KafkaSecuritySettings()) is None
    assert kafka_client_options(KafkaSecuritySettings()) == {}


def test_sasl_ssl_reads_the_password_from_its_file_and_verifies_the_broker(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret-value\n")
    options = kafka_client_options(
        KafkaSecuritySettings(
            protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", username="screening", password_file=secret
        )
    )
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("screening", "s3cret-value")
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_sasl_plaintext_has_no_tls_context() -> None:
    options = kafka_client_options(
        KafkaSecuritySettings(
            protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN", username="u", password=SecretStr("p")
        )
    )
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert options["sasl_mechanism"] == "PLAIN"
    assert "ssl_context" not in options


def test_sasl_without_a_user_or_with_two_passwords_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="needs a username"):
        KafkaSecuritySettings(protocol="SASL_SSL", password=SecretStr("p"))
    with pytest.raises(ValidationError, match="not both"):
        KafkaSecuritySettings(password=SecretStr("p"), password_file=tmp_path / "p")
    with pytest.raises(ValidationError, match="go together"):
        KafkaSecuritySettings(protocol="SSL", cert_file=tmp_path / "client.pem")


def test_a_missing_or_empty_secret_file_is_a_clear_error_that_does_not_show_a_secret(tmp_path: Path) -> None:
    missing = KafkaSecuritySettings(protocol="SASL_PLAINTEXT", username="u", password_file=tmp_path / "nope")
    with pytest.raises(SecurityConfigError, match="cannot read the Kafka password file"):
        kafka_security(missing)
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(SecurityConfigError, match="is empty"):
        kafka_security(KafkaSecuritySettings(protocol="SASL_PLAINTEXT", username="u", password_file=empty))


def test_an_unreadable_ca_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SecurityConfigError, match="cannot load the TLS files"):
        kafka_security(KafkaSecuritySettings(protocol="SSL", ca_file=tmp_path / "missing-ca.pem"))


def test_the_redis_url_is_a_secret_and_can_come_from_a_file(tmp_path: Path) -> None:
    settings = Settings(redis=RedisSettings(url=SecretStr("redis://:hunter2@127.0.0.1:1/0")))
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.model_dump())
    url_file = tmp_path / "redis-url"
    url_file.write_text("rediss://127.0.0.1:6380/0\n")
    assert redis_url(RedisSettings(url_file=url_file)) == "rediss://127.0.0.1:6380/0"


def test_redis_acl_user_and_tls_arguments(tmp_path: Path) -> None:
    secret = tmp_path / "redis-password"
    secret.write_text("pw")
    settings = RedisSettings(
        security=RedisSecuritySettings(
            username="screening", password_file=secret, ca_file=tmp_path / "ca.pem"
        )
    )
    options = redis_options(settings, "rediss://127.0.0.1:6380/0")
    assert options["username"] == "screening" and options["password"] == "pw"
    assert options["ssl_ca_certs"] == str(tmp_path / "ca.pem")
    assert options["ssl_cert_reqs"] == "required" and options["ssl_check_hostname"] is True


def test_redis_tls_files_with_a_plain_url_are_refused(tmp_path: Path) -> None:
    settings = RedisSettings(security=RedisSecuritySettings(ca_file=tmp_path / "ca.pem"))
    with pytest.raises(SecurityConfigError, match="not rediss://"):
        redis_options(settings, "redis://127.0.0.1:6379/0")


def test_security_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SCREENING_KAFKA__SECURITY__PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("SCREENING_KAFKA__SECURITY__USERNAME", "screening")
    monkeypatch.setenv("SCREENING_KAFKA__SECURITY__PASSWORD_FILE", str(tmp_path / "kafka-password"))
    monkeypatch.setenv("SCREENING_REDIS__URL_FILE", str(tmp_path / "redis-url"))
    monkeypatch.setenv("SCREENING_REDIS__SECURITY__USERNAME", "screening")
    settings = Settings()
    assert settings.kafka.security.protocol == "SASL_SSL"
    assert settings.kafka.security.password_file == tmp_path / "kafka-password"
    assert settings.redis.url_file == tmp_path / "redis-url"
    assert settings.redis.security.username == "screening"
