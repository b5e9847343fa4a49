"""Same protocol on both sides: relay the upstream's answer as it is, reading only its usage.

Also the pieces every answer shares: starting a stream (once), keepalives while the upstream
has not answered yet, and the in-stream error that ends a stream already started.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator

import httpx
import orjson
from django.conf import settings

from proxy import conversations, errors
from proxy.canonical import StreamError
from proxy.errors import ApiError
from proxy.http import base_headers
from proxy.metering import anthropic_usage, openai_usage
from proxy.protocols import get_protocol
from proxy.sse import EventSplitter, iter_events
from proxy.upstream import UpstreamResponse, UpstreamUnavailable

log = logging.getLogger(__name__)

STREAM_HEADERS = [
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]
# What a stream waiting for its upstream gets, per client protocol: ignored by clients. Gemini
# clients get none: the SDKs take any line of a stream for a chunk and fail on a comment.
KEEPALIVE = {
    "openai": b": keepalive\n\n",
    "responses": b": keepalive\n\n",
    "anthropic": b'event: ping\ndata: {"type":"ping"}\n\n',
    "gemini": None,
}


def usage_of(protocol: str, answer: dict):
    """The usage reported in a whole (non-streamed) answer of `protocol`."""
    if protocol == "gemini":
        return get_protocol("gemini").parse_usage(answer.get("usageMetadata"))
    if protocol == "anthropic":
        return anthropic_usage(answer.get("usage"))
    return openai_usage(answer.get("usage"))


def response_headers(call, content_type: bytes) -> list:
    headers = base_headers(call.request.request_id, content_type)
    if call.client_protocol == "anthropic":
        headers.append((b"request-id", call.request.request_id.encode()))
    headers.extend(call.extra_headers)
    return headers


def cost_header(micros: int) -> bytes:
    whole, frac = divmod(micros, 1_000_000)
    return f"{whole}.{frac:06d}".encode()


async def start_stream(call, send, status: int = 200) -> None:
    """Send the headers of an SSE answer, unless they went out already (keepalives)."""
    if call.response_started:
        return
    headers = response_headers(call, b"text/event-stream; charset=utf-8")
    headers.extend(STREAM_HEADERS)
    call.status = status
    call.response_started = True
    await send({"type": "http.response.start", "status": status, "headers": headers})


async def send_keepalive(call, send) -> None:
    body = KEEPALIVE[call.client_protocol]
    if body is None:
        return
    await start_stream(call, send)
    await send({"type": "http.response.body", "body": body, "more_body": True})


async def await_first_byte(call, send, pending):
    """Await `pending` (an upstream's answer); a stream meanwhile gets a keepalive every
    PROXY_KEEPALIVE_INTERVAL_MS, which starts the client's answer (200) early."""
    if not call.stream:
        return await pending
    interval_s = settings.PROXY_KEEPALIVE_INTERVAL_MS / 1000
    task = asyncio.ensure_future(pending)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=interval_s)
            if done:
                return task.result()
            await send_keepalive(call, send)
    finally:
        if not task.done():
            task.cancel()


async def end_with_error(call, send, error: ApiError) -> None:
    """A stream already started fails: the client protocol's error event, then the end."""
    event = StreamError(error.status, anthropic_error_type(error), error.message)
    # a relayed Responses stream ends under its own response id and sequence numbers
    position = call.relayed_response if call.client_protocol == "responses" else {}
    piece = get_protocol(call.client_protocol).stream_error(event, **position)
    await send({"type": "http.response.body", "body": piece, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def anthropic_error_type(error: ApiError) -> str:
    from proxy.protocols.anthropic import ERROR_TYPES

    return ERROR_TYPES.get(error.status, "api_error")


def cut_error(call, exc: Exception) -> ApiError:
    """The error for an upstream stream that broke off: noted on the call and logged."""
    if isinstance(exc, httpx.TimeoutException):
        error = errors.upstream_timeout()
    else:
        error = errors.upstream_error(f"the stream was cut ({type(exc).__name__})")
    call.error_type = error.code or ""
    log.warning(
        "stream from route %s cut: %s (request %s)",
        call.route.id,
        type(exc).__name__,
        call.request.request_id,
    )
    return error


async def read_answer(response: UpstreamResponse) -> bytes:
    """The whole answer of an upstream; ApiError 502/504 when it breaks off."""
    try:
        return await response.read()
    except httpx.TimeoutException:
        raise errors.upstream_timeout() from None
    except (httpx.HTTPError, UpstreamUnavailable) as exc:
        raise errors.upstream_error(f"the response was cut ({type(exc).__name__})") from None


async def send_answer(call, data: bytes, send, response: UpstreamResponse | None = None) -> None:
    """A whole answer with its length and cost (the usage is known by now), under the status and
    content type of the upstream `response` it relays, else as 200 JSON."""
    status, content_type = 200, "application/json"
    if response is not None:
        status = response.status
        content_type = response.headers.get("content-type", content_type)
    call.status = status
    headers = response_headers(call, content_type.encode("latin-1"))
    headers.append((b"content-length", str(len(data)).encode()))
    headers.append((b"x-tollgate-cost-usd", cost_header(call.cost_micros())))
    call.response_started = True
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def relay_json(call, response: UpstreamResponse, send) -> None:
    data = await read_answer(response)
    call.output_bytes = len(data)
    parsed = None
    try:
        parsed = orjson.loads(data)
        call.usage = usage_of(call.client_protocol, parsed) if isinstance(parsed, dict) else None
    except orjson.JSONDecodeError:
        call.usage = None
    if call.client_protocol == "responses" and isinstance(parsed, dict):
        await remember_response(call, parsed.get("id"))
    await send_answer(call, data, send, response)


async def relay_stream(call, response: UpstreamResponse, send) -> None:
    await start_stream(call, send, response.status)
    meter = METERS[call.client_protocol]
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
            if call.client_protocol == "responses" and follow_responses_stream(call, blob):
                await remember_response(call, call.relayed_response["response_id"])
            if b'"usage' in blob:  # "usage" or Gemini's "usageMetadata"
                blob = meter(call, blob, strip_usage)
                if not blob:
                    continue
            await send({"type": "http.response.body", "body": blob, "more_body": True})
        rest = splitter.rest()
        if rest:
            await send({"type": "http.response.body", "body": rest, "more_body": True})
    except (httpx.HTTPError, UpstreamUnavailable) as exc:
        error = cut_error(call, exc)
        await end_with_error(call, send, error)
        return
    await send({"type": "http.response.body", "body": b""})


def meter_events(call, blob: bytes, strip_usage: bool) -> bytes:
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


def payloads_with(blob: bytes, *markers: bytes) -> Iterator[dict]:
    """The JSON objects of the events in `blob` whose bytes hold one of `markers`."""
    for event in iter_events(blob):
        if not any(marker in event.raw for marker in markers):
            continue
        try:
            payload = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            continue
        if isinstance(payload, dict):
            yield payload


def meter_anthropic_events(call, blob: bytes, strip_usage: bool) -> bytes:
    """Read usage from `message_start` and `message_delta` (cumulative); relay them unchanged."""
    for payload in payloads_with(blob, b'"usage"'):
        if payload.get("type") == "message_start":
            usage = (payload.get("message") or {}).get("usage")
            call.usage = anthropic_usage(usage) or call.usage
        elif payload.get("type") == "message_delta":
            call.usage = anthropic_usage(payload.get("usage"), call.usage) or call.usage
    return blob


SEQUENCE_NUMBER = re.compile(rb'"sequence_number":\s*(\d+)')


def follow_responses_stream(call, blob: bytes) -> bool:
    """Note the response id, model and next sequence_number of a relayed Responses stream in
    `call.relayed_response`, so that a cut ends it as itself. True when the id is new."""
    position = call.relayed_response
    numbers = SEQUENCE_NUMBER.findall(blob)
    if numbers:
        position["sequence_number"] = int(numbers[-1]) + 1
    if "response_id" in position or b'"response.created"' not in blob:
        return False
    for event in iter_events(blob):
        if b'"response.created"' not in event.raw:
            continue
        try:
            response = orjson.loads(event.data).get("response")
        except (orjson.JSONDecodeError, AttributeError):
            continue
        if isinstance(response, dict) and isinstance(response.get("id"), str):
            position["response_id"] = response["id"]
            position["model"] = str(response.get("model") or "")
            return True
    return False


async def remember_response(call, response_id) -> None:
    """Note which route created a relayed response (GET and DELETE /v1/responses/{id} go
    there)."""
    if isinstance(response_id, str) and response_id and call.route is not None:
        await conversations.remember_route(
            call.context.account_id, call.body, response_id, call.route.id
        )


def meter_responses_events(call, blob: bytes, strip_usage: bool) -> bytes:
    """Read usage from the terminal event (`response.completed`, `.incomplete` or `.failed`);
    relay every event unchanged."""
    for payload in payloads_with(blob, b'"usage":{', b'"usage": {'):
        response = payload.get("response")
        if isinstance(response, dict):
            call.usage = openai_usage(response.get("usage")) or call.usage
    return blob


def meter_gemini_events(call, blob: bytes, strip_usage: bool) -> bytes:
    """Read `usageMetadata` (the last chunk that has it is the whole count); relay unchanged."""
    parse_usage = get_protocol("gemini").parse_usage
    for payload in payloads_with(blob, b'"usageMetadata"'):
        call.usage = parse_usage(payload.get("usageMetadata")) or call.usage
    return blob


METERS = {
    "openai": meter_events,
    "anthropic": meter_anthropic_events,
    "responses": meter_responses_events,
    "gemini": meter_gemini_events,
}
