"""POST /v1/messages/count_tokens: Anthropic's own count where a route is Anthropic, else an
honest estimate from the request's size (Claude Code sizes its context with it).

Counting is free, as at Anthropic: no hold, no charge, no usage record.
"""

from __future__ import annotations

import logging

import orjson

from proxy.catalog import CatalogModel
from proxy.http import Request
from proxy.protocols.anthropic import estimate_input_tokens
from proxy.providers import UnknownProvider, get_provider
from proxy.routing import order_routes
from proxy.upstream import UpstreamUnavailable

log = logging.getLogger(__name__)


async def count_input_tokens(request: Request, model: CatalogModel, body: dict) -> dict:
    """`{"input_tokens": n}` for `body`, asked of the first Anthropic route that answers."""
    for route in order_routes(model.routes):
        try:
            provider = get_provider(route.provider)
        except UnknownProvider:
            continue
        if provider.protocol != "anthropic" or not provider.supports("count_tokens"):
            continue
        client_headers = {
            name: request.headers[name]
            for name in provider.forwarded_client_headers
            if name in request.headers
        }
        payload = orjson.dumps(dict(body, model=route.upstream_model))
        try:
            response = await provider.send(
                "count_tokens", payload, stream=False, headers=client_headers
            )
        except UpstreamUnavailable as exc:
            log.warning("count_tokens on route %s failed: %s", route.id, exc)
            continue
        try:
            data = await response.read()
        finally:
            await response.aclose()
        if response.status == 200:
            try:
                counted = orjson.loads(data).get("input_tokens")
            except (orjson.JSONDecodeError, AttributeError):
                counted = None
            if isinstance(counted, int):
                return {"input_tokens": counted}
        log.warning("count_tokens on route %s answered %s", route.id, response.status)
    return {"input_tokens": estimate_input_tokens(body)}
