"""Anthropic Messages: requests, responses and errors (streams are in stream.py)."""

from __future__ import annotations

import re
import uuid

import orjson

from proxy.canonical import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    Image,
    Message,
    ResponseFormat,
    Text,
    Thinking,
    Tool,
    ToolChoice,
    ToolResult,
    ToolUse,
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
# Claude has no JSON mode: a `json_object` format becomes this instruction (conversion.md §6).
JSON_OBJECT_INSTRUCTION = "Reply with one JSON object only: no other text, no code fences."
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
    config = body.get("output_config")
    output = config.get("format") if isinstance(config, dict) else None
    if isinstance(output, dict) and output.get("type") == "json_schema":
        schema = output.get("schema")
        request.response_format = ResponseFormat(
            "json_schema", schema=schema if isinstance(schema, dict) else None
        )
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
    system = list(request.system)
    output = request.response_format
    if output is not None and output.schema is not None:
        # Structured outputs (GA on Claude 4.5 and later; older models answer 400).
        body["output_config"] = {"format": {"type": "json_schema", "schema": output.schema}}
    elif output is not None:
        system.append(JSON_OBJECT_INSTRUCTION)
    if system:
        body["system"] = [{"type": "text", "text": s} for s in system if s.strip()]
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
