"""Counting a prompt's tokens: Anthropic's /v1/messages/count_tokens and Gemini's countTokens.

The count comes from the first route of the client's own protocol that answers, else it is an
honest estimate from the request's size (Claude Code sizes its context with it). Counting is
free, as at Anthropic and Google: no hold, no charge, no usage record.
"""

from __future__ import annotations

import logging

import orjson

from proxy.catalog import CatalogModel
from proxy.http import Request
from proxy.protocols import get_protocol
from proxy.providers import UnknownProvider, get_provider
from proxy.routing import order_routes
from proxy.upstream import UpstreamUnavailable

log = logging.getLogger(__name__)


async def count_input_tokens(
    request: Request, model: CatalogModel, body: dict, protocol: str = "anthropic"
) -> dict:
    """The count of `body` in `protocol`'s shape (`{"input_tokens": n}` for Anthropic,
    `{"totalTokens": n}` for Gemini), asked of the first route of that protocol that answers."""
    for route in order_routes(model.routes):
        try:
            provider = get_provider(route.provider)
        except UnknownProvider:
            continue
        if provider.protocol != protocol or not provider.supports("count_tokens"):
            continue
        client_headers = {
            name: request.headers[name]
            for name in provider.forwarded_client_headers
            if name in request.headers
        }
        payload = orjson.dumps(upstream_body(body, route.upstream_model, protocol))
        try:
            response = await provider.send(
                "count_tokens",
                payload,
                stream=False,
                headers=client_headers,
                model=route.upstream_model,
            )
        except UpstreamUnavailable as exc:
            log.warning("count_tokens on route %s failed: %s", route.id, exc)
            continue
        try:
            data = await response.read()
        finally:
            await response.aclose()
        if response.status == 200:
            counted = read_count(data, protocol)
            if counted is not None:
                return counted
        log.warning("count_tokens on route %s answered %s", route.id, response.status)
    estimate = get_protocol(protocol).estimate_input_tokens(body)
    return {"totalTokens": estimate} if protocol == "gemini" else {"input_tokens": estimate}


def upstream_body(body: dict, upstream_model: str, protocol: str) -> dict:
    """The client's body for the route's model (Gemini's names it only inside a wrapped
    `generateContentRequest`)."""
    if protocol != "gemini":
        return dict(body, model=upstream_model)
    for name in ("generateContentRequest", "generate_content_request"):
        if isinstance(body.get(name), dict):
            return dict(body, **{name: dict(body[name], model=f"models/{upstream_model}")})
    return body


def read_count(data: bytes, protocol: str) -> dict | None:
    """The upstream's count in the client's shape, or None when the answer has none."""
    try:
        answer = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(answer, dict):
        return None
    if protocol == "gemini":
        if not isinstance(answer.get("totalTokens"), int):
            return None
        kept = ("totalTokens", "cachedContentTokenCount", "promptTokensDetails")
        return {name: answer[name] for name in kept if name in answer}
    counted = answer.get("input_tokens")
    return {"input_tokens": counted} if isinstance(counted, int) else None
