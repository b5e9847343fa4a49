"""Forwarding one call to an upstream: route choice, failover, relaying, metering.

Same protocol on both sides (all this issue needs): the client's body goes upstream with only
`model` rewritten (and, for streams, `stream_options.include_usage` switched on for metering),
and the upstream's bytes come back as they arrive. Stream events are only looked into when they
carry usage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

import httpx
import orjson
from django.conf import settings

from proxy import errors
from proxy.catalog import CatalogModel, PriceSnapshot, RoutePlan
from proxy.errors import ApiError
from proxy.http import Request, base_headers
from proxy.metering import Usage, cost_micros, estimate_tokens, openai_usage
from proxy.providers import UnknownProvider, get_provider
from proxy.routing import health, order_routes
from proxy.sse import EventSplitter, iter_events
from proxy.upstream import UpstreamResponse, UpstreamUnavailable

log = logging.getLogger(__name__)

RELAYED_CLIENT_ERRORS = {400, 409, 413, 415, 422}
STREAM_HEADERS = [
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


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
    extra_headers: list = field(default_factory=list)  # x-ratelimit-* for the response

    def elapsed_ms(self) -> int:
        return int((time.perf_counter() - self.started) * 1000)

    def final_usage(self) -> Usage:
        """Reported usage, or an estimate from sizes when the provider gave none."""
        if self.usage is not None:
            return self.usage
        if not self.response_started:
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
        return cost_micros(self.final_usage(), self.price)


def upstream_body(call: Call, route: RoutePlan, supports_stream_usage: bool) -> bytes:
    """The client's body with only `model` rewritten (plus usage metering on streams)."""
    body = call.body
    body["model"] = route.upstream_model
    if call.stream and supports_stream_usage:
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
    for route in routes:
        try:
            provider = get_provider(route.provider)
        except UnknownProvider:
            log.error("route %s uses a provider kind that is not implemented", route.id)
            continue
        if not provider.supports(call.endpoint):
            continue
        if attempts >= max_attempts or (attempts and time.perf_counter() > deadline):
            break
        attempts += 1
        payload = upstream_body(call, route, provider.supports_stream_usage)
        try:
            response = await provider.send(call.endpoint, payload, stream=call.stream)
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
            elif call.stream:
                await relay_stream(call, response, send)
            else:
                await relay_json(call, response, send)
        finally:
            await response.aclose()
        return
    if failure is None:
        raise errors.no_route(call.model_id)
    raise failure


async def reject(call: Call, response: UpstreamResponse) -> None:
    """An upstream 4xx: relay client errors in our shape; anything else is our route's fault."""
    body = await response.read()
    if response.status in RELAYED_CLIENT_ERRORS:
        raise errors.from_upstream(response.status, body)
    log.error(
        "route %s answered %s: check the provider's key and model name (request %s)",
        call.route.id,
        response.status,
        call.request.request_id,
    )
    raise errors.upstream_error(f"the provider refused the request (HTTP {response.status})")


def cost_header(micros: int) -> bytes:
    whole, frac = divmod(micros, 1_000_000)
    return f"{whole}.{frac:06d}".encode()


async def relay_json(call: Call, response: UpstreamResponse, send) -> None:
    try:
        data = await response.read()
    except httpx.TimeoutException:
        raise errors.upstream_timeout() from None
    except httpx.HTTPError as exc:
        raise errors.upstream_error(f"the response was cut ({type(exc).__name__})") from None
    call.output_bytes = len(data)
    try:
        parsed = orjson.loads(data)
        call.usage = openai_usage(parsed.get("usage")) if isinstance(parsed, dict) else None
    except orjson.JSONDecodeError:
        call.usage = None
    call.status = response.status
    headers = base_headers(
        call.request.request_id,
        response.headers.get("content-type", "application/json").encode("latin-1"),
    )
    headers.append((b"content-length", str(len(data)).encode()))
    headers.append((b"x-tollgate-cost-usd", cost_header(call.cost_micros())))
    headers.extend(call.extra_headers)
    call.response_started = True
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def relay_stream(call: Call, response: UpstreamResponse, send) -> None:
    headers = base_headers(call.request.request_id, b"text/event-stream; charset=utf-8")
    headers.extend(STREAM_HEADERS)
    headers.extend(call.extra_headers)
    call.status = response.status
    call.response_started = True
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    splitter = EventSplitter()
    strip_usage = not call.client_wants_usage
    try:
        async for chunk in response.chunks:
            blob = splitter.feed(chunk)
            if not blob:
                continue
            call.output_events += blob.count(b"\n\n")
            call.output_bytes += len(blob)
            if b"[DONE]" in blob:
                call.saw_done = True
            if b'"usage"' in blob:
                blob = meter_events(call, blob, strip_usage)
                if not blob:
                    continue
            await send({"type": "http.response.body", "body": blob, "more_body": True})
        rest = splitter.rest()
        if rest:
            await send({"type": "http.response.body", "body": rest, "more_body": True})
    except (httpx.HTTPError, UpstreamUnavailable) as exc:
        timeout = isinstance(exc, httpx.TimeoutException)
        error = (
            errors.upstream_timeout()
            if timeout
            else errors.upstream_error(f"the stream was cut ({type(exc).__name__})")
        )
        call.error_type = error.code or ""
        log.warning(
            "stream from route %s cut: %s (request %s)",
            call.route.id,
            type(exc).__name__,
            call.request.request_id,
        )
        await send(
            {
                "type": "http.response.body",
                "body": b"data: " + error.openai_body() + b"\n\n",
                "more_body": True,
            }
        )
    await send({"type": "http.response.body", "body": b""})


def meter_events(call: Call, blob: bytes, strip_usage: bool) -> bytes:
    """Read usage from the events in `blob`; hide it from clients that did not ask for it."""
    kept: list[bytes] = []
    for event in iter_events(blob):
        raw = event.raw
        if b'"usage":{' in raw or b'"usage": {' in raw:
            try:
                payload = orjson.loads(event.data)
            except orjson.JSONDecodeError:
                kept.append(raw)
                continue
            usage = openai_usage(payload.get("usage")) if isinstance(payload, dict) else None
            if usage is not None:
                call.usage = usage
            if strip_usage:
                if not payload.get("choices"):
                    continue  # the usage-only chunk that was injected for metering
                payload.pop("usage", None)
                raw = b"data: " + orjson.dumps(payload) + b"\n\n"
        elif strip_usage:
            raw = raw.replace(b',"usage":null', b"").replace(b'"usage":null,', b"")
        kept.append(raw)
    return b"".join(kept)


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
