"""Which route to try first: by priority, then a weighted draw; routes that keep failing rest.

Health is per process and in memory: a route that failed `failure_threshold` times in a row is
skipped for `cooldown_s` seconds, unless every route of the model is cooling down (then all are
tried anyway, in order: a cooled-down route beats no answer).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from django.conf import settings

from proxy.catalog import RoutePlan


@dataclass
class _Health:
    failures: int = 0
    resting_until: float = 0.0


class RouteHealth:
    def __init__(self, failure_threshold: int | None = None, cooldown_s: float | None = None):
        # None: read PROXY_ROUTE_FAILURES_BEFORE_COOLDOWN / PROXY_ROUTE_COOLDOWN_S when needed.
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self._routes: dict[int, _Health] = {}

    def is_resting(self, route_id: int, now: float) -> bool:
        health = self._routes.get(route_id)
        return health is not None and health.resting_until > now

    def failed(self, route_id: int) -> None:
        health = self._routes.setdefault(route_id, _Health())
        health.failures += 1
        threshold = self.failure_threshold or settings.PROXY_ROUTE_FAILURES_BEFORE_COOLDOWN
        if health.failures >= threshold:
            cooldown = self.cooldown_s
            if cooldown is None:
                cooldown = settings.PROXY_ROUTE_COOLDOWN_S
            health.resting_until = time.monotonic() + cooldown
            health.failures = 0

    def succeeded(self, route_id: int) -> None:
        if route_id in self._routes:
            del self._routes[route_id]

    def reset(self) -> None:
        self._routes.clear()


health = RouteHealth()


def order_routes(
    routes: tuple[RoutePlan, ...], *, rng: random.Random | None = None
) -> list[RoutePlan]:
    """Routes in the order to try them: healthy first; by priority; weighted within a priority."""
    draw = rng or random
    now = time.monotonic()
    healthy = [r for r in routes if not health.is_resting(r.id, now)]
    resting = [r for r in routes if health.is_resting(r.id, now)]
    return _weighted_by_priority(healthy, draw) + _weighted_by_priority(resting, draw)


def _weighted_by_priority(routes: list[RoutePlan], draw) -> list[RoutePlan]:
    ordered: list[RoutePlan] = []
    for priority in sorted({r.priority for r in routes}):
        group = [r for r in routes if r.priority == priority]
        while group:
            weights = [max(r.weight, 0) for r in group]
            if sum(weights) <= 0:
                ordered.extend(group)
                break
            pick = draw.choices(range(len(group)), weights=weights)[0]
            ordered.append(group.pop(pick))
    return ordered
