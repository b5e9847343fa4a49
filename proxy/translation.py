"""Different protocols on the two sides: translate through the canonical form (canonical.py).

The request is parsed from the client's protocol and rendered in the route's; the answer goes
the other way. Streams are translated event by event as they arrive (never buffered whole),
metered from the canonical usage events, and kept alive while the upstream is silent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import orjson
from django.conf import settings

from proxy import conversations, errors
from proxy.canonical import (
    StreamError,
    StreamStart,
    TextDelta,
    ThinkingDelta,
    ToolCallDelta,
    UsageUpdate,
)
from proxy.protocols import get_protocol
from proxy.relay import (
    anthropic_error_type,
    cut_error,
    end_with_error,
    read_answer,
    send_answer,
    send_keepalive,
    start_stream,
)
from proxy.sse import EventSplitter, SseEvent, iter_events
from proxy.upstream import UpstreamResponse, UpstreamUnavailable


def translated_body(call, route, provider) -> bytes:
    """The client's request rendered in the protocol of the route's provider, for the route's
    model."""
    if call.canonical is None:
        call.canonical = get_protocol(call.client_protocol).parse_request(call.body)
        call.canonical.stream = call.stream  # Gemini says it in the URL, not the body
    body = get_protocol(provider.protocol).render_request(
        call.canonical, route.upstream_model, default_max_tokens=call.model.max_output_tokens
    )
    return orjson.dumps(provider.adjust_translated(body))


def client_options(call) -> dict:
    """What the client protocol's renderer needs besides the answer: a Responses answer
    echoes its request's settings and returns calls of custom tools as custom_tool_call."""
    return {"request": call.body} if call.client_protocol == "responses" else {}


async def translate_json(call, response: UpstreamResponse, send, source: str) -> None:
    data = await read_answer(response)
    call.output_bytes = len(data)
    try:
        parsed = orjson.loads(data)
        answer = get_protocol(source).parse_response(parsed)
    except (orjson.JSONDecodeError, AttributeError, TypeError):
        raise errors.upstream_error("the provider's answer was not valid JSON") from None
    call.usage = answer.usage
    rendered = get_protocol(call.client_protocol).render_response(
        answer, call.model_id, **client_options(call)
    )
    if call.client_protocol == "responses":
        await conversations.keep(call.context.account_id, call.body, rendered)
    await send_answer(call, orjson.dumps(rendered), send)


async def translate_stream(call, response: UpstreamResponse, send, source: str) -> None:
    await start_stream(call, send)
    target = get_protocol(call.client_protocol)
    events = get_protocol(source).decode_stream(upstream_events(call, response, send))
    pieces = target.encode_stream(
        metered(call, events),
        model=call.model_id,
        include_usage=call.client_wants_usage,
        **client_options(call),
    )
    piece = b""
    try:
        async for piece in pieces:
            call.output_bytes += len(piece)
            await send({"type": "http.response.body", "body": piece, "more_body": True})
    except (httpx.HTTPError, UpstreamUnavailable) as exc:
        error = cut_error(call, exc)
        await end_with_error(call, send, error)
        return
    if call.client_protocol == "responses":
        await keep_streamed(call, piece)
    await send({"type": "http.response.body", "body": b""})


async def keep_streamed(call, last_piece: bytes) -> None:
    """Keep the conversation of a Responses stream from its terminal event (the last piece)."""
    for event in iter_events(last_piece):
        payload = orjson.loads(event.data)
        if payload.get("type") in ("response.completed", "response.incomplete"):
            await conversations.keep(call.context.account_id, call.body, payload["response"])


async def upstream_events(call, response: UpstreamResponse, send) -> AsyncIterator[SseEvent]:
    """The upstream's SSE events; the client gets a keepalive whenever the upstream is silent
    for PROXY_KEEPALIVE_INTERVAL_MS (long thinking before the first token)."""
    interval_s = settings.PROXY_KEEPALIVE_INTERVAL_MS / 1000
    splitter = EventSplitter()
    chunks = response.chunks.__aiter__()
    while True:
        pending = asyncio.ensure_future(chunks.__anext__())
        try:
            while not (await asyncio.wait({pending}, timeout=interval_s))[0]:
                await send_keepalive(call, send)
            chunk = pending.result()
        except StopAsyncIteration:
            break
        finally:
            if not pending.done():
                pending.cancel()
        blob = splitter.feed(chunk)
        if blob:
            for event in iter_events(blob):
                yield event
    rest = splitter.rest()
    if rest.strip():
        for event in iter_events(rest + b"\n\n"):
            yield event


async def metered(call, events: AsyncIterator) -> AsyncIterator:
    """Pass canonical events on, keeping the latest usage and counting output deltas.

    An upstream cut becomes a StreamError event, so that the client protocol's encoder ends
    its own stream (a Responses stream needs its own response id and sequence numbers in
    `response.failed`)."""
    try:
        async for event in events:
            if isinstance(event, UsageUpdate | StreamStart) and event.usage is not None:
                call.usage = event.usage
            elif isinstance(event, TextDelta | ThinkingDelta | ToolCallDelta):
                call.output_events += 1
            yield event
    except (httpx.HTTPError, UpstreamUnavailable) as exc:
        error = cut_error(call, exc)
        yield StreamError(error.status, anthropic_error_type(error), error.message)
