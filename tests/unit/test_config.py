import pytest

from shared.config import Settings


def test_defaults_are_the_embedded_setup():
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///var/intervisie.db"
    assert settings.broker_url == "embedded"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.smtp_url is None


def test_webhooks_to_private_addresses_are_refused_unless_turned_on():
    assert Settings.from_env({}).webhook_allow_private is False
    assert Settings.from_env({"INTERVISIE_WEBHOOK_ALLOW_PRIVATE": "1"}).webhook_allow_private is True
    assert Settings.from_env({"INTERVISIE_WEBHOOK_ALLOW_PRIVATE": "0"}).webhook_allow_private is False


def test_environment_overrides():
    settings = Settings.from_env(
        {
            "INTERVISIE_DATABASE_URL": "postgresql://u@db/intervisie",
            "INTERVISIE_BROKER_URL": "redis://redis:6379/0",
            "INTERVISIE_PUBLIC_URL": "https://intervisie.example.org/",
            "INTERVISIE_SWEEP_SECONDS": "5",
        }
    )
    assert settings.database_url == "postgresql://u@db/intervisie"
    assert settings.broker_url == "redis://redis:6379/0"
    assert settings.public_base == "https://intervisie.example.org"
    assert settings.sweep_seconds == 5


def test_a_negative_answer_cache_is_refused_at_start():
    with pytest.raises(ValueError, match="INTERVISIE_ANSWER_CACHE_SIZE"):
        Settings.from_env({"INTERVISIE_ANSWER_CACHE_SIZE": "-1"})
    assert Settings.from_env({"INTERVISIE_ANSWER_CACHE_SIZE": "0"}).answer_cache_size == 0


def test_a_dead_senders_mail_is_taken_over_after_a_minute_unless_set_otherwise():
    assert Settings.from_env({}).sending_timeout_seconds == 60
    assert Settings.from_env({"INTERVISIE_SENDING_TIMEOUT_SECONDS": "5"}).sending_timeout_seconds == 5


@pytest.mark.parametrize("value", ["0", "-5", "soon", "1.5"])
def test_a_sending_timeout_that_is_not_a_positive_whole_number_is_refused_at_start(value):
    with pytest.raises(ValueError, match="INTERVISIE_SENDING_TIMEOUT_SECONDS"):
        Settings.from_env({"INTERVISIE_SENDING_TIMEOUT_SECONDS": value})


def test_metrics_are_open_to_loopback_only_unless_networks_or_a_token_are_set():
    settings = Settings.from_env({})
    assert settings.metrics_networks == () and settings.metrics_token is None
    token = "f" * 64
    opened = Settings.from_env({"INTERVISIE_METRICS_ALLOW": "10.0.0.0/8, 2001:db8::/32,192.0.2.7", "INTERVISIE_METRICS_TOKEN": token})
    assert [str(n) for n in opened.metrics_networks] == ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"]
    assert opened.metrics_token == token


@pytest.mark.parametrize("value", ["10.0.0.0/33", "everyone", "10.0.0.0/8;192.0.2.0/24", "*"])
def test_metrics_networks_that_are_not_networks_are_refused_at_start(value):
    with pytest.raises(ValueError, match="INTERVISIE_METRICS_ALLOW"):
        Settings.from_env({"INTERVISIE_METRICS_ALLOW": value})


@pytest.mark.parametrize("value", ["short", "x" * 31, "has space" + "x" * 32, "x" * 32 + "\n", "ü" * 40, "x" * 32 + "=a"])
def test_a_metrics_token_that_is_short_or_not_a_bearer_token_is_refused_at_start_without_being_shown(value):
    with pytest.raises(ValueError, match="INTERVISIE_METRICS_TOKEN") as refused:
        Settings.from_env({"INTERVISIE_METRICS_TOKEN": value})
    assert value not in str(refused.value)
