"""How long the usage pages take to render for one account: the check behind docs/benchmarks.md.

Pages are requested through Django's test client as a signed-in owner, so the figures are the
server's time (queries and templates), without a network or a browser.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from accounts.models import Account
from usage.models import UsageRecord, UserPreference


@dataclass
class Timing:
    path: str
    median_ms: float
    max_ms: float
    status: int


def pages_for(account: Account, today) -> list[str]:
    newest = UsageRecord.objects.filter(account=account).order_by("-created_at").first()
    model = newest.model if newest else ""
    request_id = newest.request_id if newest else "none"

    def days_ago(n: int) -> str:
        return (today - timedelta(days=n)).isoformat()

    return [
        "/dashboard/",
        "/usage/",
        f"/usage/?first={today.isoformat()}&last={today.isoformat()}",
        f"/usage/?first={days_ago(1)}&last={today.isoformat()}",
        f"/usage/?first={days_ago(29)}&last={today.isoformat()}",
        f"/usage/?first={days_ago(89)}&last={today.isoformat()}",
        f"/usage/?first={days_ago(29)}&last={today.isoformat()}&model={model}",
        f"/usage/export.csv?first={days_ago(29)}&last={today.isoformat()}&table=series",
        "/usage/requests/",
        f"/usage/requests/?model={model}&status=error",
        f"/usage/requests/?q={request_id}",
        "/api/usage/summary/",
    ]


def time_pages(account: Account, *, repeat: int = 5, time_zone: str = "") -> list[Timing]:
    """Each page `repeat` times (after one warm-up request) as the account's first member, with
    their time zone set to `time_zone` meanwhile."""
    owner = account.memberships.order_by("id").first().user
    before = UserPreference.objects.filter(user=owner).first()
    UserPreference.objects.update_or_create(user=owner, defaults={"time_zone": time_zone})
    try:
        return _time_pages(account, owner, repeat)
    finally:
        if before is None:
            UserPreference.objects.filter(user=owner).delete()
        else:
            before.save()


def _time_pages(account: Account, owner, repeat: int) -> list[Timing]:
    client = Client(SERVER_NAME="localhost")
    client.force_login(owner)
    session = client.session
    session["tollgate_account_id"] = account.id
    session.save()
    results = []
    today = timezone.now().date()
    for path in pages_for(account, today):
        status = client.get(path).status_code
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
        results.append(Timing(path, statistics.median(samples), max(samples), status))
    return results
