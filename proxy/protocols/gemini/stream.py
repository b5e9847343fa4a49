"""Gemini streams (streamGenerateContent?alt=sse): decoding upstream chunks and encoding
client chunks. Every chunk is a whole GenerateContentResponse holding only the new parts;
there are no event names and no terminator."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import orjson

from proxy import sse
from proxy.canonical import (
    FinishReason,
    StreamError,
    StreamStart,
    StreamStop,
    TextDelta,
    Thinking,
    ThinkingDelta,
    ToolCallDelta,
    ToolCallStart,
    ToolUse,
    Usage,
    UsageUpdate,
)
from proxy.protocols.gemini.casing import get
from proxy.protocols.gemini.errors import decode_error, stream_error
from proxy.protocols.gemini.response import (
    FINISH_TO_GEMINI,
    candidate_parts,
    finish_from_gemini,
    is_blocked,
    parse_part,
    parse_usage,
    render_usage,
    response_id,
)

log = logging.getLogger(__name__)


async def decode_stream(events: AsyncIterator[sse.SseEvent]) -> AsyncIterator:
    """Gemini chunks -> canonical events: StreamStart first (with the prompt usage of the
    first chunk), text and thought deltas, each functionCall as a ToolCallStart and one
    ToolCallDelta of its whole arguments, a UsageUpdate after each chunk whose usageMetadata
    changed (the last one counts), and StreamStop at the end even without a finishReason."""
    started, calls, reason, blocked = False, 0, None, False
    usage: Usage | None = None  # the last one sent on
    async for event in events:
        try:
            chunk = orjson.loads(event.data) if event.data else None
        except orjson.JSONDecodeError:
            continue
        if isinstance(chunk, list):  # a JSON-array stream cut into events: one element each
            chunk = chunk[0] if len(chunk) == 1 else None
        if not isinstance(chunk, dict):
            continue
        if "error" in chunk:
            yield decode_error(chunk["error"])
            return
        latest = parse_usage(get(chunk, "usageMetadata"))
        if not started:
            started = True
            ident, model = get(chunk, "responseId"), get(chunk, "modelVersion")
            yield StreamStart(str(ident or ""), str(model or ""), latest)
        candidate, parts = candidate_parts(chunk)
        for part in (parse_part(p) for p in parts):
            if isinstance(part, Thinking):
                yield ThinkingDelta(part.text)
            elif isinstance(part, ToolUse):
                yield ToolCallStart(calls, part.id, part.name)
                yield ToolCallDelta(calls, orjson.dumps(part.input).decode())
                calls += 1
            elif part is not None:
                yield TextDelta(part.text)
        if latest is not None and latest != usage:
            usage = latest
            yield UsageUpdate(latest)
        reason = get(candidate, "finishReason") or reason
        blocked = blocked or (not candidate and is_blocked(chunk))
    if not started:
        yield StreamStart("", "")
    finish = finish_from_gemini(reason, calls > 0)
    yield StreamStop(FinishReason.CONTENT_FILTER if blocked else finish)


class _Encoder:
    """The state of one Gemini stream being written: its id, the calls being buffered (Gemini
    sends each call whole), the finish and the latest usage."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.id = response_id("")
        self.calls: dict[int, list] = {}  # index -> [id, name, arguments text]
        self.finish = FinishReason.STOP
        self.usage: Usage | None = None

    def chunk(self, parts: list[dict], final: bool = False) -> bytes:
        candidate: dict = {"content": {"role": "model", "parts": parts}, "index": 0}
        payload: dict = {"candidates": [candidate]}
        if final:
            candidate["finishReason"] = FINISH_TO_GEMINI[self.finish]
            payload["usageMetadata"] = render_usage(self.usage)
        payload["modelVersion"] = self.model
        payload["responseId"] = self.id
        return sse.encode(orjson.dumps(payload))

    def call_parts(self) -> list[dict]:
        """The buffered calls as whole functionCall parts (arguments that are not a JSON
        object become {}, logged), and an empty buffer."""
        parts = []
        for ident, name, arguments in self.calls.values():
            try:
                args = orjson.loads(arguments) if arguments.strip() else {}
            except orjson.JSONDecodeError:
                args = None
            if not isinstance(args, dict):
                log.warning("tool call %s had arguments that are not a JSON object", name)
                args = {}
            parts.append({"functionCall": {"id": ident, "name": name, "args": args}})
        self.calls = {}
        return parts

    def flush(self, parts: list[dict] | None = None) -> list[bytes]:
        """The finished calls, then `parts`, as one chunk (none when both are empty)."""
        parts = self.call_parts() + (parts or [])
        return [self.chunk(parts)] if parts else []


async def encode_stream(
    events: AsyncIterator, *, model: str, include_usage: bool = False
) -> AsyncIterator[bytes]:
    """Canonical events -> `data: <GenerateContentResponse>` chunks. Text and thoughts go out
    as they come; a tool call goes out whole once finished (at the next call, text or the
    end); the last chunk carries finishReason and usageMetadata (always: `include_usage` is
    for OpenAI clients). A StreamError becomes a last `data: {"error": ...}` chunk."""
    state = _Encoder(model)
    async for event in events:
        out: list[bytes] = []
        if isinstance(event, StreamStart):
            state.id = response_id(event.id)
            state.usage = event.usage or state.usage
        elif isinstance(event, TextDelta) and event.text:
            out = state.flush([{"text": event.text}])
        elif isinstance(event, ThinkingDelta) and event.text:
            out = state.flush([{"text": event.text, "thought": True}])
        elif isinstance(event, ToolCallStart):
            out = state.flush()
            state.calls[event.index] = [event.id, event.name, ""]
        elif isinstance(event, ToolCallDelta) and event.index in state.calls:
            state.calls[event.index][2] += event.arguments
        elif isinstance(event, UsageUpdate):
            state.usage = event.usage
        elif isinstance(event, StreamStop):
            state.finish = event.finish
        elif isinstance(event, StreamError):
            yield stream_error(event)
            return
        for piece in out:
            yield piece
    # The SDKs read `.text` of every chunk: a last chunk without a part would give None.
    yield state.chunk(state.call_parts() or [{"text": ""}], final=True)
