from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import cache_config, database_config, env_bool, env_int, env_secret

BASE = Path("/srv/tollgate")


def test_sqlite_url_relative_to_the_project_runs_in_wal_mode():
    config = database_config("sqlite:///db.sqlite3", base_dir=BASE)

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/srv/tollgate/db.sqlite3"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_sqlite_url_with_absolute_path():
    assert database_config("sqlite:////var/lib/tg.db", base_dir=BASE)["NAME"] == "/var/lib/tg.db"


def test_postgres_url_is_split_into_parts():
    config = database_config(
        "postgres://tg:p%40ss@db.internal:6543/tollgate?sslmode=require", base_dir=BASE
    )

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"]) == ("tg", "p@ss")
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", "6543", "tollgate")
    assert config["OPTIONS"] == {"sslmode": "require"}


def test_postgres_url_without_a_database_name_is_rejected():
    with pytest.raises(ImproperlyConfigured, match="needs a database name"):
        database_config("postgres://postgres@127.0.0.1:5432/", base_dir=BASE)


def test_unknown_database_scheme_is_rejected():
    with pytest.raises(ImproperlyConfigured, match="unsupported scheme 'mysql'"):
        database_config("mysql://root@localhost/x", base_dir=BASE)


def test_redis_url_selects_the_redis_cache():
    config = cache_config("redis://127.0.0.1:6379/0")

    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert config["LOCATION"] == "redis://127.0.0.1:6379/0"


def test_no_redis_url_means_local_memory_cache():
    assert cache_config("")["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_bad_redis_scheme_is_rejected():
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        cache_config("http://127.0.0.1:6379")


def test_env_bool_is_strict(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "Off")
    assert env_bool("X_FLAG", True) is False
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG must be true or false"):
        env_bool("X_FLAG", False)


def test_env_int_checks_number_and_minimum(monkeypatch):
    monkeypatch.setenv("X_NUM", "12")
    assert env_int("X_NUM", 1) == 12
    monkeypatch.setenv("X_NUM", "twelve")
    with pytest.raises(ImproperlyConfigured, match="X_NUM must be an integer"):
        env_int("X_NUM", 1)
    monkeypatch.setenv("X_NUM", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("X_NUM", 1, minimum=0)


def test_env_secret_reads_the_file_variant(monkeypatch, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cret\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret_file))

    assert env_secret("X_SECRET") == "s3cret"


def test_env_amount_accepts_usd_and_rejects_the_rest(monkeypatch):
    from config.env import env_amount

    monkeypatch.setenv("X_USD", "0.50")
    assert env_amount("X_USD", "0") == "0.50"
    for bad in ("-1", "five", "0.0000001", "NaN"):
        monkeypatch.setenv("X_USD", bad)
        with pytest.raises(ImproperlyConfigured, match="X_USD must be an amount in USD"):
            env_amount("X_USD", "0")
