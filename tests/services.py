"""Tests that need a real server skip without it on a laptop, and fail without it in CI."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"


def services_required() -> bool:
    return os.environ.get("TOLLGATE_REQUIRE_SERVICES", "") == "1"


def missing(reason: str) -> None:
    """Skip with `reason`, or fail when CI requires every service."""
    if services_required():
        pytest.fail(f"{reason} (required in CI: TOLLGATE_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(reason)


def require_redis() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        missing("needs a Redis server: set REDIS_URL")
    return url


def require_postgres() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        missing("needs PostgreSQL: set DATABASE_URL=postgres://...")


def require_chromium() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        missing("needs Debian's chromium (apt-get install chromium)")
    return path
