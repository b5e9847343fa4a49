import random

from proxy.catalog import ProviderConfig, RoutePlan
from proxy.routing import RouteHealth, _weighted_by_priority, health, order_routes

PROVIDER = ProviderConfig(1, "p", "openai", "http://x", "", (), 1.0, 1.0, 1.0)


def route(route_id: int, priority: int = 1, weight: int = 1) -> RoutePlan:
    return RoutePlan(route_id, PROVIDER, f"m{route_id}", priority, weight)


def test_lower_priority_number_is_tried_first():
    routes = (route(1, priority=2), route(2, priority=1))

    assert [r.id for r in order_routes(routes)] == [2, 1]


def test_weights_share_traffic_within_a_priority():
    rng = random.Random(7)
    routes = [route(1, weight=3), route(2, weight=1)]

    firsts = [_weighted_by_priority(list(routes), rng)[0].id for _ in range(4000)]

    share = firsts.count(1) / len(firsts)
    assert 0.70 < share < 0.80


def test_a_route_that_keeps_failing_rests_behind_the_others():
    health.reset()
    routes = (route(1), route(2, priority=2))
    for _ in range(3):
        health.failed(1)

    try:
        assert [r.id for r in order_routes(routes)] == [2, 1]
    finally:
        health.reset()


def test_success_clears_the_failure_count():
    tracker = RouteHealth(failure_threshold=2, cooldown_s=60)
    tracker.failed(5)
    tracker.succeeded(5)
    tracker.failed(5)

    import time

    assert tracker.is_resting(5, time.monotonic()) is False
