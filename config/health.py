"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving requests."""
    return JsonResponse({"status": "ok"})


def check_database() -> str | None:
    """None when the database answers, else the reason it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return f"{type(exc).__name__}: {exc}".strip()
    return None


def check_redis() -> str | None:
    """None when Redis answers (or is not configured), else the reason it does not."""
    url = settings.REDIS_URL
    if not url:
        return None
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()
    finally:
        client.close()
    return None


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database and (if configured) Redis answer; 503 naming what failed otherwise."""
    checks = {"database": check_database()}
    if settings.REDIS_URL:
        checks["redis"] = check_redis()
    failed = {name: reason for name, reason in checks.items() if reason}
    body = {
        "status": "unavailable" if failed else "ok",
        "checks": {name: ("failed" if reason else "ok") for name, reason in checks.items()},
    }
    if failed:
        body["errors"] = failed
    return JsonResponse(body, status=503 if failed else 200)
