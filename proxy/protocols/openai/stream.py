"""OpenAI streams: decoding upstream events and encoding client events (see messages.py)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import orjson

from proxy import sse
from proxy.canonical import (
    FinishReason,
    StreamError,
    StreamStart,
    StreamStop,
    TextDelta,
    ThinkingDelta,
    ToolCallDelta,
    ToolCallStart,
    UsageUpdate,
)
from proxy.metering import openai_usage
from proxy.protocols.openai.messages import (
    FINISH_FROM_OPENAI,
    FINISH_TO_OPENAI,
    chat_id,
    render_usage,
)


async def decode_stream(events: AsyncIterator[sse.SseEvent]) -> AsyncIterator:
    """Chat completion chunks -> canonical stream events."""
    started = False
    calls: dict[int, int] = {}  # OpenAI tool call index -> our index
    async for event in events:
        if event.data == "[DONE]" or not event.data:
            continue
        try:
            chunk = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(chunk, dict):
            continue
        if isinstance(chunk.get("error"), dict):
            error = chunk["error"]
            yield StreamError(502, "api_error", str(error.get("message") or "upstream error"))
            return
        if not started:
            started = True
            yield StreamStart(str(chunk.get("id") or ""), str(chunk.get("model") or ""))
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if isinstance(reasoning, str) and reasoning:
                yield ThinkingDelta(reasoning)
            if isinstance(delta.get("content"), str) and delta["content"]:
                yield TextDelta(delta["content"])
            for call in delta.get("tool_calls") or []:
                position = call.get("index", len(calls))
                function = call.get("function") or {}
                if position not in calls:
                    calls[position] = len(calls)
                    yield ToolCallStart(
                        calls[position], str(call.get("id") or ""), str(function.get("name") or "")
                    )
                if function.get("arguments"):
                    yield ToolCallDelta(calls[position], function["arguments"])
            if choice.get("finish_reason"):
                yield StreamStop(FINISH_FROM_OPENAI.get(choice["finish_reason"], FinishReason.STOP))
        usage = openai_usage(chunk.get("usage"))
        if usage is not None:
            yield UsageUpdate(usage)


async def encode_stream(
    events: AsyncIterator, *, model: str, include_usage: bool = False
) -> AsyncIterator[bytes]:
    """Canonical stream events -> chat completion chunks, `data: [DONE]` at the end."""
    ident, created = chat_id(""), int(time.time())
    finish, usage, started = FinishReason.STOP, None, False

    def chunk(delta: dict, finish_reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        payload = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [choice],
        }
        return sse.encode(orjson.dumps(payload))

    async for event in events:
        if not started:
            started = True
            if isinstance(event, StreamStart) and event.id:
                ident = chat_id(event.id)
            yield chunk({"role": "assistant", "content": ""})
        if isinstance(event, TextDelta):
            yield chunk({"content": event.text})
        elif isinstance(event, ThinkingDelta) and event.text:
            yield chunk({"reasoning_content": event.text})
        elif isinstance(event, ToolCallStart):
            call = {"index": event.index, "id": event.id, "type": "function"}
            call["function"] = {"name": event.name, "arguments": ""}
            yield chunk({"tool_calls": [call]})
        elif isinstance(event, ToolCallDelta):
            yield chunk(
                {"tool_calls": [{"index": event.index, "function": {"arguments": event.arguments}}]}
            )
        elif isinstance(event, UsageUpdate):
            usage = event.usage
        elif isinstance(event, StreamStop):
            finish = event.finish
        elif isinstance(event, StreamError):
            yield stream_error(event)
            return
    yield chunk({}, FINISH_TO_OPENAI[finish])
    if include_usage and usage is not None:
        payload = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [],
            "usage": render_usage(usage),
        }
        yield sse.encode(orjson.dumps(payload))
    yield b"data: [DONE]\n\n"


def stream_error(event: StreamError) -> bytes:
    """An error after the first byte: `data: {"error": ...}` (the SDK raises on it)."""
    error = {"message": event.message, "type": "api_error", "param": None, "code": event.type}
    return sse.encode(orjson.dumps({"error": error}))
