"""Anthropic Messages (../shared/protocols/anthropic-messages.md) to and from the canonical form.

Policies (conversion.md): `system` messages inside `messages` (Claude Code sends them) join the
system prompt; consecutive turns of one role are merged, tool results first; a tool call without
a result gets a synthesized "(no result)" answer and a result without its call is dropped; tool
ids are reduced to Anthropic's alphabet; thinking without a signature (another provider's
reasoning) is dropped; an OpenAI effort becomes a thinking budget, and thinking is left off when
the caller forces a tool call. Server tools, documents other than plain text, citations,
`cache_control` and `context_management` do not cross to other providers.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import orjson

from proxy import sse
from proxy.canonical import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    Image,
    Message,
    StreamError,
    StreamStart,
    StreamStop,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    Tool,
    ToolCallDelta,
    ToolCallStart,
    ToolChoice,
    ToolResult,
    ToolUse,
    UsageUpdate,
)
from proxy.errors import ApiError
from proxy.metering import Usage, anthropic_usage, estimate_tokens

DEFAULT_VERSION = "2023-06-01"

# https://docs.anthropic.com/en/api/messages (stop_reason)
FINISH_FROM_ANTHROPIC = {
    "end_turn": FinishReason.STOP,
    "pause_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP_SEQUENCE,
    "max_tokens": FinishReason.LENGTH,
    "model_context_window_exceeded": FinishReason.LENGTH,
    "tool_use": FinishReason.TOOL_USE,
    "refusal": FinishReason.CONTENT_FILTER,
}
FINISH_TO_ANTHROPIC = {
    FinishReason.STOP: "end_turn",
    FinishReason.STOP_SEQUENCE: "stop_sequence",
    FinishReason.LENGTH: "max_tokens",
    FinishReason.TOOL_USE: "tool_use",
    FinishReason.CONTENT_FILTER: "refusal",
}
# https://docs.anthropic.com/en/api/errors: HTTP status -> error.type
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
# OpenAI reasoning effort -> thinking budget (conversion.md §9, a Tollgate policy).
BUDGETS = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 24576, "xhigh": 24576}
BUDGETS["max"] = 32768
NO_RESULT = "(no result: the call was cancelled)"
_ID_FORBIDDEN = re.compile(r"[^A-Za-z0-9_-]")


def _parse_block(block: dict) -> object | None:
    kind = block.get("type")
    if kind == "text" and block.get("text"):
        return Text(block["text"])
    if kind == "image":
        source = block.get("source") or {}
        if source.get("type") == "url":
            return Image(url=str(source.get("url") or ""))
        return Image(
            media_type=str(source.get("media_type") or ""), data=str(source.get("data") or "")
        )
    if kind == "document":
        source = block.get("source") or {}
        if source.get("type") == "text" and source.get("data"):
            return Text(str(source["data"]))
        return None
    if kind == "tool_use":
        data = block.get("input")
        return ToolUse(
            str(block.get("id") or ""),
            str(block.get("name") or ""),
            data if isinstance(data, dict) else {},
        )
    if kind == "tool_result":
        return ToolResult(
            str(block.get("tool_use_id") or ""),
            _parse_content(block.get("content")),
            block.get("is_error") is True,
        )
    if kind == "thinking":
        return Thinking(str(block.get("thinking") or ""), str(block.get("signature") or ""))
    if kind == "redacted_thinking":
        return Thinking(redacted=str(block.get("data") or ""))
    return None


def _parse_content(content) -> list:
    if isinstance(content, str):
        return [Text(content)] if content else []
    blocks = content if isinstance(content, list) else []
    return [p for p in (_parse_block(b) for b in blocks if isinstance(b, dict)) if p is not None]


def parse_request(body: dict) -> ChatRequest:
    """A Messages request body in the canonical form (fields without an equivalent dropped)."""
    request = ChatRequest(model=str(body.get("model") or ""), messages=[])
    request.system = [p.text for p in _parse_content(body.get("system")) if isinstance(p, Text)]
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            continue
        parts = _parse_content(message.get("content"))
        if message.get("role") == "system":
            request.system.extend(p.text for p in parts if isinstance(p, Text))
            continue
        role = "assistant" if message.get("role") == "assistant" else "user"
        if request.messages and request.messages[-1].role == role:
            request.messages[-1].parts.extend(parts)
        elif parts:
            request.messages.append(Message(role, parts))
    cap = body.get("max_tokens")
    request.max_tokens = (
        cap if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0 else None
    )
    for name in ("temperature", "top_p"):
        value = body.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            setattr(request, name, value)
    if isinstance(body.get("top_k"), int):
        request.top_k = body["top_k"]
    request.stop = [s for s in body.get("stop_sequences") or [] if isinstance(s, str)]
    request.stream = body.get("stream") is True
    for tool in body.get("tools") or []:
        if isinstance(tool, dict) and tool.get("name") and tool.get("type") in (None, "custom"):
            schema = tool.get("input_schema") or {"type": "object", "properties": {}}
            request.tools.append(Tool(tool["name"], tool.get("description") or "", schema))
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") in ("auto", "any", "tool", "none"):
        request.tool_choice = ToolChoice(
            choice["type"],
            str(choice.get("name") or ""),
            choice.get("disable_parallel_tool_use") is not True,
        )
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "enabled":
        budget = thinking.get("budget_tokens")
        request.thinking_budget = (
            budget if isinstance(budget, int) and budget > 0 else BUDGETS["medium"]
        )
    metadata = body.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("user_id"), str):
        request.user = metadata["user_id"][:256]
    return request


def tool_id(value: str) -> str:
    """A tool call id in Anthropic's alphabet (the same input always gives the same id)."""
    cleaned = _ID_FORBIDDEN.sub("_", value)
    return cleaned or "toolu_" + uuid.uuid4().hex[:24]


def _render_block(part) -> dict | None:
    if isinstance(part, Text):
        return {"type": "text", "text": part.text} if part.text.strip() else None
    if isinstance(part, Image):
        if part.url:
            return {"type": "image", "source": {"type": "url", "url": part.url}}
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": part.media_type, "data": part.data},
        }
    if isinstance(part, ToolUse):
        return {"type": "tool_use", "id": tool_id(part.id), "name": part.name, "input": part.input}
    if isinstance(part, ToolResult):
        content = [b for b in (_render_block(p) for p in part.content) if b is not None]
        block = {
            "type": "tool_result",
            "tool_use_id": tool_id(part.tool_use_id),
            "content": content,
        }
        if part.is_error:
            block["is_error"] = True
        return block
    if isinstance(part, Thinking) and part.redacted:
        return {"type": "redacted_thinking", "data": part.redacted}
    if isinstance(part, Thinking) and part.signature:
        return {"type": "thinking", "thinking": part.text, "signature": part.signature}
    return None


def _render_messages(messages: list[Message]) -> list[dict]:
    """Turns Anthropic accepts: merged roles, results first and paired with their calls."""
    rendered: list[dict] = []
    pending: list[str] = []  # ids of the previous assistant turn's calls still unanswered
    for message in messages:
        parts = list(message.parts)
        if message.role == "user":
            results = [
                p for p in parts if isinstance(p, ToolResult) and tool_id(p.tool_use_id) in pending
            ]
            answered = {tool_id(p.tool_use_id) for p in results}
            results += [
                ToolResult(i, [Text(NO_RESULT)], True) for i in pending if i not in answered
            ]
            parts = results + [p for p in parts if not isinstance(p, ToolResult)]
            pending = []
        else:
            pending = [tool_id(p.id) for p in parts if isinstance(p, ToolUse)]
        blocks = [b for b in (_render_block(p) for p in parts) if b is not None]
        if not blocks:
            continue
        if rendered and rendered[-1]["role"] == message.role:
            rendered[-1]["content"].extend(blocks)
        else:
            rendered.append({"role": message.role, "content": blocks})
    if pending:
        results = [_render_block(ToolResult(i, [Text(NO_RESULT)], True)) for i in pending]
        rendered.append({"role": "user", "content": results})
    return rendered


def render_request(request: ChatRequest, model: str, default_max_tokens: int = 4096) -> dict:
    """A Messages request for `model`; `max_tokens` (required here) defaults to the model's."""
    max_tokens = request.max_tokens or default_max_tokens
    body: dict = {"model": model, "messages": _render_messages(request.messages)}
    if request.system:
        body["system"] = [{"type": "text", "text": s} for s in request.system if s.strip()]
    budget = request.thinking_budget
    if request.reasoning_effort:
        budget = BUDGETS.get(request.reasoning_effort)
    choice = request.tool_choice
    if choice is not None and choice.mode in ("any", "tool"):
        budget = None  # thinking allows only auto/none, and the caller demanded a call
    if budget:
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
        max_tokens += budget
    else:
        if request.temperature is not None:
            body["temperature"] = min(max(request.temperature, 0.0), 1.0)
        if request.top_p is not None:
            body["top_p"] = request.top_p
        if request.top_k is not None:
            body["top_k"] = request.top_k
    body["max_tokens"] = max_tokens
    if request.stop:
        body["stop_sequences"] = request.stop
    if request.tools:
        body["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": _object_schema(t.schema)}
            for t in request.tools
        ]
        if choice is not None:
            rendered = {"type": choice.mode}
            if choice.mode == "tool":
                rendered["name"] = choice.name
            if not choice.parallel and choice.mode != "none":
                rendered["disable_parallel_tool_use"] = True
            body["tool_choice"] = rendered
    if request.user:
        body["metadata"] = {"user_id": request.user}
    if request.stream:
        body["stream"] = True
    return body


def _object_schema(schema) -> dict:
    if isinstance(schema, dict) and schema.get("type") == "object":
        return schema
    return {"type": "object", "properties": {}}


def parse_response(body: dict) -> ChatResponse:
    """A Messages response in the canonical form."""
    parts = [p for p in _parse_content(body.get("content")) if not isinstance(p, ToolResult)]
    return ChatResponse(
        id=str(body.get("id") or ""),
        model=str(body.get("model") or ""),
        parts=parts,
        finish=FINISH_FROM_ANTHROPIC.get(body.get("stop_reason"), FinishReason.STOP),
        stop_sequence=body.get("stop_sequence")
        if isinstance(body.get("stop_sequence"), str)
        else None,
        usage=anthropic_usage(body.get("usage")),
    )


def render_usage(usage: Usage | None) -> dict:
    usage = usage or Usage()
    return {
        "input_tokens": usage.uncached,
        "cache_creation_input_tokens": usage.cache_write,
        "cache_read_input_tokens": usage.cached,
        "output_tokens": usage.output,
    }


def message_id(upstream_id: str) -> str:
    cleaned = _ID_FORBIDDEN.sub("", upstream_id)
    return cleaned if cleaned.startswith("msg_") else f"msg_{cleaned or uuid.uuid4().hex[:24]}"


def render_response(response: ChatResponse, model: str) -> dict:
    """A Messages response naming `model` (the model the client asked for)."""
    content = []
    for part in response.parts:
        if isinstance(part, Text) and part.text:
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, ToolUse):
            content.append(
                {"type": "tool_use", "id": tool_id(part.id), "name": part.name, "input": part.input}
            )
    return {
        "id": message_id(response.id),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": FINISH_TO_ANTHROPIC[response.finish],
        "stop_sequence": response.stop_sequence,
        "usage": render_usage(response.usage),
    }


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


def render_error(error: ApiError, request_id: str) -> tuple[int, bytes, tuple]:
    """(status, body, headers) of an error for an Anthropic client."""
    error_type = ERROR_TYPES.get(error.status)
    if error_type is None:
        error_type = "api_error" if error.status >= 500 else "invalid_request_error"
    body = {
        "type": "error",
        "error": {"type": error_type, "message": error.message},
        "request_id": request_id,
    }
    headers = (*error.headers, (b"request-id", request_id.encode()))
    return error.status, orjson.dumps(body), headers


def estimate_input_tokens(body: dict) -> int:
    """An honest estimate of a request's input tokens, for routes that cannot count them."""
    counted = {k: body.get(k) for k in ("system", "messages", "tools") if body.get(k)}
    return estimate_tokens(len(orjson.dumps(counted)))


__all__ = [
    "DEFAULT_VERSION",
    "decode_stream",
    "encode_stream",
    "parse_request",
    "parse_response",
    "render_error",
    "render_request",
    "render_response",
]
