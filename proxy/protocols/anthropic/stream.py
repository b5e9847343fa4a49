"""Anthropic streams: decoding upstream events and encoding client events (see messages.py)."""

from __future__ import annotations

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
from proxy.metering import Usage, anthropic_usage
from proxy.protocols.anthropic.messages import (
    FINISH_FROM_ANTHROPIC,
    FINISH_TO_ANTHROPIC,
    message_id,
    render_usage,
    tool_id,
)


async def decode_stream(events: AsyncIterator[sse.SseEvent]) -> AsyncIterator:
    """Messages stream events -> canonical stream events (pings dropped)."""
    usage: Usage | None = None
    calls: dict[int, int] = {}  # block index -> tool call index
    async for event in events:
        try:
            data = orjson.loads(event.data) if event.data else {}
        except orjson.JSONDecodeError:
            continue
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "message_start":
            message = data.get("message") or {}
            usage = anthropic_usage(message.get("usage"))
            yield StreamStart(str(message.get("id") or ""), str(message.get("model") or ""), usage)
        elif kind == "content_block_start":
            block = data.get("content_block") or {}
            if block.get("type") == "tool_use":
                calls[data.get("index", 0)] = len(calls)
                yield ToolCallStart(
                    len(calls) - 1, str(block.get("id") or ""), str(block.get("name") or "")
                )
            elif block.get("type") == "text" and block.get("text"):
                yield TextDelta(block["text"])
        elif kind == "content_block_delta":
            delta = data.get("delta") or {}
            delta_kind = delta.get("type")
            if delta_kind == "text_delta" and delta.get("text"):
                yield TextDelta(delta["text"])
            elif delta_kind == "input_json_delta" and delta.get("partial_json"):
                index = calls.get(data.get("index", 0))
                if index is not None:
                    yield ToolCallDelta(index, delta["partial_json"])
            elif delta_kind == "thinking_delta" and delta.get("thinking"):
                yield ThinkingDelta(delta["thinking"])
            elif delta_kind == "signature_delta":
                yield ThinkingDelta(signature=str(delta.get("signature") or ""))
        elif kind == "message_delta":
            usage = anthropic_usage(data.get("usage"), usage) or usage
            if usage is not None:
                yield UsageUpdate(usage)
            delta = data.get("delta") or {}
            if delta.get("stop_reason"):
                sequence = delta.get("stop_sequence")
                yield StreamStop(
                    FINISH_FROM_ANTHROPIC.get(delta["stop_reason"], FinishReason.STOP),
                    sequence if isinstance(sequence, str) else None,
                )
        elif kind == "error":
            error = data.get("error") or {}
            error_type = str(error.get("type") or "api_error")
            status = 529 if error_type == "overloaded_error" else 502
            yield StreamError(status, error_type, str(error.get("message") or "upstream error"))
            return


def _event(payload: dict) -> bytes:
    return sse.encode(orjson.dumps(payload), payload["type"])


class _Encoder:
    """The state of one Anthropic stream being written: open block, indices, finish, usage."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.next_index = 0
        self.open: tuple[str, int] | None = None  # (kind, block index)
        self.tool_blocks: dict[int, int] = {}  # tool call index -> block index
        self.finish = FinishReason.STOP
        self.stop_sequence: str | None = None
        self.usage: Usage | None = None

    def start(self, event) -> bytes:
        ident = event.id if isinstance(event, StreamStart) else ""
        usage = event.usage if isinstance(event, StreamStart) else None
        message = {
            "id": message_id(ident),
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": self.model,
            "stop_reason": None,
            "stop_sequence": None,
            "usage": render_usage(usage),
        }
        return _event({"type": "message_start", "message": message})

    def close(self) -> list[bytes]:
        if self.open is None:
            return []
        index, self.open = self.open[1], None
        return [_event({"type": "content_block_stop", "index": index})]

    def open_block(self, kind: str, block: dict) -> list[bytes]:
        out = self.close()
        self.open = (kind, self.next_index)
        out.append(
            _event(
                {"type": "content_block_start", "index": self.next_index, "content_block": block}
            )
        )
        self.next_index += 1
        return out

    def text(self, text: str) -> list[bytes]:
        out = (
            []
            if self.open and self.open[0] == "text"
            else self.open_block("text", {"type": "text", "text": ""})
        )
        delta = {"type": "text_delta", "text": text}
        return [
            *out,
            _event({"type": "content_block_delta", "index": self.open[1], "delta": delta}),
        ]

    def tool_start(self, event: ToolCallStart) -> list[bytes]:
        block = {"type": "tool_use", "id": tool_id(event.id), "name": event.name, "input": {}}
        out = self.open_block("tool", block)
        self.tool_blocks[event.index] = self.open[1]
        return out

    def tool_delta(self, event: ToolCallDelta) -> list[bytes]:
        index = self.tool_blocks.get(event.index)
        if index is None:
            return []
        delta = {"type": "input_json_delta", "partial_json": event.arguments}
        return [_event({"type": "content_block_delta", "index": index, "delta": delta})]

    def end(self) -> list[bytes]:
        out = self.close()
        delta = {
            "stop_reason": FINISH_TO_ANTHROPIC[self.finish],
            "stop_sequence": self.stop_sequence,
        }
        out.append(
            _event({"type": "message_delta", "delta": delta, "usage": render_usage(self.usage)})
        )
        out.append(_event({"type": "message_stop"}))
        return out


async def encode_stream(
    events: AsyncIterator, *, model: str, include_usage: bool = False
) -> AsyncIterator[bytes]:
    """Canonical stream events -> Messages stream events, always with their `event:` lines.

    Reasoning from other providers is dropped (unsigned thinking cannot be sent back).
    """
    state = _Encoder(model)
    started = False
    async for event in events:
        if not started:
            started = True
            yield state.start(event)
        out: list[bytes] = []
        if isinstance(event, TextDelta) and event.text:
            out = state.text(event.text)
        elif isinstance(event, ToolCallStart):
            out = state.tool_start(event)
        elif isinstance(event, ToolCallDelta):
            out = state.tool_delta(event)
        elif isinstance(event, UsageUpdate):
            state.usage = event.usage
        elif isinstance(event, StreamStop):
            state.finish, state.stop_sequence = event.finish, event.stop_sequence
        elif isinstance(event, StreamError):
            yield stream_error(event)
            return
        for piece in out:
            yield piece
    if not started:
        yield state.start(None)
    for piece in state.end():
        yield piece


def stream_error(event: StreamError) -> bytes:
    """An error after the first byte: `event: error` (the SDK raises, Claude Code retries)."""
    return _event({"type": "error", "error": {"type": event.type, "message": event.message}})
