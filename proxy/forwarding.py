"""Forwarding one call to an upstream: route choice, failover, then relay or translation.

Same protocol on both sides: the client's body goes upstream with only `model` rewritten (and,
for OpenAI streams, `stream_options.include_usage` switched on for metering), and the upstream's
bytes come back as they arrive (proxy/relay.py). Different protocols: the request, the answer
and its stream events are translated through the canonical form (proxy/translation.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

import orjson
from django.conf import settings

from proxy import errors
from proxy.canonical import ChatRequest
from proxy.catalog import CatalogModel, PriceSnapshot, RoutePlan
from proxy.errors import ApiError
from proxy.http import Request
from proxy.metering import Usage, cost_micros, estimate_tokens, units_cost_micros
from proxy.protocols import CHAT_ENDPOINT, EMBEDDINGS_ENDPOINT, EMBEDDINGS_ENDPOINTS
from proxy.protocols.openai.messages import shorten_call_ids
from proxy.providers import UnknownProvider, get_provider
from proxy.relay import await_first_byte, relay_json, relay_stream
from proxy.routing import health, order_routes
from proxy.translation import translate_json, translate_stream, translated_body
from proxy.upstream import UpstreamResponse, UpstreamUnavailable

log = logging.getLogger(__name__)

RELAYED_CLIENT_ERRORS = {400, 409, 413, 415, 422}
CHAT_ENDPOINTS = frozenset(CHAT_ENDPOINT.values())


@dataclass(slots=True)
class Call:
    """One forwarded request, and everything its usage record needs."""

    request: Request
    context: object  # tokens.lookup.TokenContext
    endpoint: str
    client_protocol: str = "openai"
    started: float = field(default_factory=time.perf_counter)
    model: CatalogModel | None = None
    model_id: str = ""
    body: dict | None = None
    canonical: ChatRequest | None = None  # the body parsed, once a route needs a translation
    body_size: int = 0
    stream: bool = False
    client_wants_usage: bool = False
    route: RoutePlan | None = None
    price: PriceSnapshot | None = None
    response_started: bool = False
    ttfb_ms: int | None = None
    status: int = 0
    error_type: str = ""
    usage: Usage | None = None
    output_events: int = 0
    output_bytes: int = 0
    saw_done: bool = False
    upstream_request_id: str = ""
    ticket: object = None  # proxy.admission.Ticket once admitted
    cap_defaulted: bool = False  # max_tokens was set by Tollgate, not by the client
    # How the call is sent (`payload(call, route, provider)`: body and headers) and its answer
    # relayed (`relay(call, response, send)`) when neither the plain relay nor the chat
    # translation fits: media (proxy/media.py) and embeddings (proxy/embeddings.py).
    adapter: object = None
    # Media endpoints: the units the unit price applies to ("image", "audio_ms" or "char"),
    # never above the bound that the credit hold covered.
    unit_kind: str = ""
    units: int = 0
    units_bound: int = 0
    units_estimated: bool = False
    extra_headers: list = field(default_factory=list)  # x-ratelimit-* for the response
    # a relayed Responses stream's response_id, model and next sequence_number (for its end)
    relayed_response: dict = field(default_factory=dict)

    def elapsed_ms(self) -> int:
        return int((time.perf_counter() - self.started) * 1000)

    def final_usage(self) -> Usage:
        """Reported usage, or an estimate from sizes when the provider gave none (media calls
        are charged by their units: no token estimate)."""
        if self.usage is not None:
            return self.usage
        if not self.response_started or self.unit_kind:
            return Usage()
        if self.stream:
            # OpenAI-style streams carry about one token per content event; the role event,
            # the finish event and [DONE] carry none.
            output = max(0, self.output_events - 1 - (2 if self.saw_done else 0))
        else:
            output = estimate_tokens(self.output_bytes)
        return Usage(input=estimate_tokens(self.body_size), output=output, estimated=True)

    def cost_micros(self) -> int:
        """The charging policy: a request that ends in an error status costs nothing, except a
        stream that the client abandoned, which pays for what was generated until then."""
        if self.status >= 400 and not (self.status == 499 and self.response_started):
            return 0
        return cost_micros(self.final_usage(), self.price) + units_cost_micros(
            min(self.units, self.units_bound), self.unit_kind, self.price
        )


def upstream_body(call: Call, route: RoutePlan, provider) -> bytes:
    """The client's body with only `model` rewritten (plus usage metering on OpenAI streams)."""
    body = call.body
    if provider.model_in_body:
        body["model"] = route.upstream_model
    if call.endpoint == "chat":
        shorten_call_ids(body.get("messages"))  # ids of Gemini calls, which run long
    if call.stream and call.client_protocol == "openai" and provider.supports_stream_usage:
        options = body.get("stream_options")
        if isinstance(options, dict):
            options["include_usage"] = True
        else:
            body["stream_options"] = {"include_usage": True}
    return orjson.dumps(body)


async def forward(call: Call, send) -> None:
    """Try the model's routes in order until one answers; relay its answer to the client.

    Fails over on connection errors, timeouts before the first byte, 429 and 5xx. Once the
    response has started there is no retry.
    """
    routes = order_routes(call.model.routes)
    if not routes:
        raise errors.no_route(call.model_id)
    max_attempts = settings.PROXY_MAX_ATTEMPTS
    deadline = call.started + settings.PROXY_FAILOVER_DEADLINE_S
    failure: ApiError | None = None
    attempts = 0
    unserved = False  # a route was skipped: it does not serve the endpoint
    for route in routes:
        try:
            provider = get_provider(route.provider)
        except UnknownProvider:
            log.error("route %s uses a provider kind that is not implemented", route.id)
            continue
        same = provider.speaks(call.client_protocol)
        endpoint = upstream_endpoint(call.endpoint, provider.protocol, same)
        if endpoint is None or not provider.supports(endpoint):
            unserved = True
            continue
        if attempts >= max_attempts or (attempts and time.perf_counter() > deadline):
            break
        attempts += 1
        if call.adapter is not None:
            payload, client_headers = call.adapter.payload(call, route, provider)
        elif same:
            payload = upstream_body(call, route, provider)
            client_headers = {
                name: call.request.headers[name]
                for name in provider.forwarded_client_headers
                if name in call.request.headers
            }
        else:
            payload = translated_body(call, route, provider)
            client_headers = {}
        try:
            response = await await_first_byte(
                call,
                send,
                provider.send(
                    endpoint,
                    payload,
                    stream=call.stream,
                    headers=client_headers,
                    model=route.upstream_model,
                ),
            )
        except UpstreamUnavailable as exc:
            log.warning(
                "route %s unavailable: %s (request %s)", route.id, exc, call.request.request_id
            )
            health.failed(route.id)
            failure = errors.upstream_timeout() if exc.timeout else errors.upstream_error(str(exc))
            continue
        if response.status == 429 or response.status >= 500:
            await response.aclose()
            log.warning(
                "route %s answered %s (request %s)",
                route.id,
                response.status,
                call.request.request_id,
            )
            health.failed(route.id)
            if response.status == 429:
                failure = errors.upstream_rate_limited(response.headers.get("retry-after"))
            elif response.status == 529:
                failure = errors.upstream_overloaded(response.headers.get("retry-after"))
            else:
                failure = errors.upstream_error(f"HTTP {response.status}")
            continue
        health.succeeded(route.id)
        call.route = route
        call.upstream_request_id = response.request_id[:200]
        call.ttfb_ms = call.elapsed_ms()
        try:
            if response.status >= 400:
                await reject(call, response)
            elif call.adapter is not None:
                await call.adapter.relay(call, response, send)
            elif same and call.stream:
                await relay_stream(call, response, send)
            elif same:
                await relay_json(call, response, send)
            elif call.stream:
                await translate_stream(call, response, send, provider.protocol)
            else:
                await translate_json(call, response, send, provider.protocol)
        finally:
            await response.aclose()
        return
    if failure is None:
        raise errors.no_route(call.model_id, call.endpoint if unserved and not attempts else "")
    raise failure


def upstream_endpoint(endpoint: str, protocol: str, same: bool) -> str | None:
    """The route's endpoint for the client's: the same one, or the chat (or embeddings)
    endpoint of the route's protocol when a chat turn (or an embeddings call) is translated;
    other endpoints are not translated."""
    if same:
        return endpoint
    if endpoint in CHAT_ENDPOINTS:
        return CHAT_ENDPOINT.get(protocol)
    if endpoint in EMBEDDINGS_ENDPOINTS:
        return EMBEDDINGS_ENDPOINT.get(protocol)
    return None


async def reject(call: Call, response: UpstreamResponse) -> None:
    """An upstream 4xx: relay client errors in our shape; anything else is our route's fault."""
    body = await response.read()
    # Gemini answers a bad key with 400 INVALID_ARGUMENT: that key is the route's, not the client's.
    if response.status in RELAYED_CLIENT_ERRORS and b"API_KEY_INVALID" not in body:
        raise errors.from_upstream(response.status, body)
    log.error(
        "route %s answered %s: check the provider's key and model name (request %s)",
        call.route.id,
        response.status,
        call.request.request_id,
    )
    raise errors.upstream_error(f"the provider refused the request (HTTP {response.status})")


async def until_disconnect(work, receive) -> bool:
    """Run `work`; cancel it the moment the client disconnects. True when the client left."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_wait_disconnect(receive))
    try:
        done, _ = await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        watcher.cancel()
        raise
    if task in done:
        watcher.cancel()
        task.result()
        return False
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task  # the client is gone either way
    return True


async def _wait_disconnect(receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
