"""OpenAI Chat Completions: requests, responses and errors (streams are in stream.py)."""

from __future__ import annotations

import hashlib
import time
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
from proxy.metering import Usage, openai_usage

# https://platform.openai.com/docs/api-reference/chat/object (choices[].finish_reason)
FINISH_FROM_OPENAI = {
    "stop": FinishReason.STOP,
    "length": FinishReason.LENGTH,
    "tool_calls": FinishReason.TOOL_USE,
    "function_call": FinishReason.TOOL_USE,
    "content_filter": FinishReason.CONTENT_FILTER,
}
FINISH_TO_OPENAI = {
    FinishReason.STOP: "stop",
    FinishReason.STOP_SEQUENCE: "stop",
    FinishReason.LENGTH: "length",
    FinishReason.TOOL_USE: "tool_calls",
    FinishReason.CONTENT_FILTER: "content_filter",
}
# Anthropic thinking budget -> OpenAI effort (conversion.md §9, a Tollgate policy).
EFFORT_LIMITS = ((2048, "low"), (16384, "medium"))
MAX_CALL_ID = 40  # OpenAI refuses longer tool call ids


def _json_object(text) -> dict:
    """A tool call's `arguments` as an object: anything else (bad JSON included) is {}."""
    if isinstance(text, dict):
        return text
    if not isinstance(text, str) or not text.strip():
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _parse_data_url(url: str) -> Image:
    if url.startswith("data:") and ";base64," in url:
        header, data = url[5:].split(";base64,", 1)
        return Image(media_type=header or "image/png", data=data)
    return Image(url=url)


def _parse_parts(content) -> list:
    if isinstance(content, str):
        return [Text(content)] if content else []
    parts = []
    for part in content if isinstance(content, list) else []:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind in ("text", "input_text", "output_text") and part.get("text"):
            parts.append(Text(part["text"]))
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            if isinstance(url, str) and url:
                parts.append(_parse_data_url(url))
    return parts


def _parse_message(message: dict, request: ChatRequest) -> Message | None:
    role = message.get("role")
    if role in ("system", "developer"):
        request.system.extend(p.text for p in _parse_parts(message.get("content")))
        return None
    if role == "tool":
        result = ToolResult(str(message.get("tool_call_id") or ""))
        result.content = _parse_parts(message.get("content"))
        return Message("user", [result])
    if role == "assistant":
        parts: list = []
        reasoning = message.get("reasoning_content")
        if isinstance(reasoning, str) and reasoning:
            parts.append(Thinking(reasoning))
        parts.extend(_parse_parts(message.get("content")))
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            parts.append(
                ToolUse(
                    str(call.get("id") or ""),
                    str(function.get("name") or ""),
                    _json_object(function.get("arguments")),
                )
            )
        return Message("assistant", parts)
    return Message("user", _parse_parts(message.get("content")))


def _parse_tool_choice(choice, parallel) -> ToolChoice | None:
    result = None
    if choice in ("auto", "none"):
        result = ToolChoice(choice)
    elif choice == "required":
        result = ToolChoice("any")
    elif isinstance(choice, dict) and choice.get("type") == "function":
        result = ToolChoice("tool", str((choice.get("function") or {}).get("name") or ""))
    if parallel is False:
        result = result or ToolChoice("auto")
        result.parallel = False
    return result


def parse_response_format(value) -> ResponseFormat | None:
    """`response_format` in the canonical form: None for text or anything unknown."""
    if not isinstance(value, dict):
        return None
    if value.get("type") == "json_object":
        return ResponseFormat("json_object")
    spec = value.get("json_schema")
    if value.get("type") != "json_schema" or not isinstance(spec, dict):
        return None
    schema = spec.get("schema")
    return ResponseFormat(
        "json_schema",
        name=str(spec.get("name") or "response"),
        schema=schema if isinstance(schema, dict) else None,
        strict=spec.get("strict") if isinstance(spec.get("strict"), bool) else None,
        description=str(spec.get("description") or ""),
    )


def render_response_format(value: ResponseFormat) -> dict:
    """The canonical response format as chat's `response_format`."""
    if value.kind != "json_schema":
        return {"type": "json_object"}
    spec: dict = {"name": value.name, "schema": value.schema or {"type": "object"}}
    if value.strict is not None:
        spec["strict"] = value.strict
    if value.description:
        spec["description"] = value.description
    return {"type": "json_schema", "json_schema": spec}


def parse_request(body: dict) -> ChatRequest:
    """A chat completions request body in the canonical form (unknown fields are dropped)."""
    request = ChatRequest(model=str(body.get("model") or ""), messages=[])
    for message in body.get("messages") or []:
        if isinstance(message, dict):
            parsed = _parse_message(message, request)
            if parsed is not None:
                _append(request.messages, parsed)
    cap = body.get("max_completion_tokens") or body.get("max_tokens")
    request.max_tokens = cap if isinstance(cap, int) and cap > 0 else None
    request.temperature = _number(body.get("temperature"))
    request.top_p = _number(body.get("top_p"))
    stop = body.get("stop")
    request.stop = (
        [stop] if isinstance(stop, str) else [s for s in stop or [] if isinstance(s, str)]
    )
    request.stream = body.get("stream") is True
    options = body.get("stream_options")
    request.include_usage = isinstance(options, dict) and options.get("include_usage") is True
    for tool in body.get("tools") or []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if tool.get("type") == "function" and isinstance(function, dict) and function.get("name"):
            schema = function.get("parameters") or {"type": "object", "properties": {}}
            request.tools.append(Tool(function["name"], function.get("description") or "", schema))
    request.tool_choice = _parse_tool_choice(
        body.get("tool_choice"), body.get("parallel_tool_calls")
    )
    effort = body.get("reasoning_effort")
    request.reasoning_effort = effort if isinstance(effort, str) else None
    user = body.get("user") or body.get("safety_identifier")
    request.user = user if isinstance(user, str) else None
    request.response_format = parse_response_format(body.get("response_format"))
    return request


def _append(messages: list[Message], message: Message) -> None:
    """Consecutive turns of one role become one turn (tool results and the next user text)."""
    if messages and messages[-1].role == message.role:
        messages[-1].parts.extend(message.parts)
    elif message.parts:
        messages.append(message)


def _number(value) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def effort_for_budget(budget: int) -> str:
    for limit, effort in EFFORT_LIMITS:
        if budget <= limit:
            return effort
    return "high"


def _render_parts(parts: list) -> str | list:
    """Text and images as OpenAI content: a plain string when it is only text."""
    if all(isinstance(p, Text) for p in parts):
        return "".join(p.text for p in parts)
    rendered = []
    for part in parts:
        if isinstance(part, Text):
            rendered.append({"type": "text", "text": part.text})
        elif isinstance(part, Image):
            url = part.url or f"data:{part.media_type};base64,{part.data}"
            rendered.append({"type": "image_url", "image_url": {"url": url}})
    return rendered


def upstream_call_id(value: str) -> str:
    """A tool call id OpenAI takes: at most 40 characters. Longer ones (a Gemini call's, which
    carries its thought signature) become a digest, the same for the call and its result."""
    if len(value) <= MAX_CALL_ID:
        return value
    return "call_" + hashlib.sha256(value.encode()).hexdigest()[: MAX_CALL_ID - 5]


def shorten_call_ids(messages) -> None:
    """Rewrite, in a chat body's `messages`, tool call ids OpenAI would refuse (see above)."""
    if not isinstance(messages, list):
        return
    for message in messages:
        if not isinstance(message, dict):
            continue
        ident = message.get("tool_call_id")
        if isinstance(ident, str) and len(ident) > MAX_CALL_ID:
            message["tool_call_id"] = upstream_call_id(ident)
        for call in message.get("tool_calls") or ():
            if isinstance(call, dict) and len(str(call.get("id") or "")) > MAX_CALL_ID:
                call["id"] = upstream_call_id(str(call["id"]))


def _render_messages(request: ChatRequest) -> list[dict]:
    messages: list[dict] = []
    if request.system:
        messages.append({"role": "system", "content": "\n\n".join(request.system)})
    for message in request.messages:
        if message.role == "assistant":
            text = "".join(p.text for p in message.parts if isinstance(p, Text))
            rendered: dict = {"role": "assistant", "content": text or None}
            calls = [
                {
                    "id": upstream_call_id(p.id),
                    "type": "function",
                    "function": {"name": p.name, "arguments": orjson.dumps(p.input).decode()},
                }
                for p in message.parts
                if isinstance(p, ToolUse)
            ]
            if calls:
                rendered["tool_calls"] = calls
            messages.append(rendered)
            continue
        images_from_results = []
        for part in message.parts:
            if isinstance(part, ToolResult):
                text = "".join(p.text for p in part.content if isinstance(p, Text))
                if part.is_error:
                    text = f"Error: {text}"
                call_id = upstream_call_id(part.tool_use_id)
                messages.append({"role": "tool", "tool_call_id": call_id, "content": text})
                images_from_results.extend(p for p in part.content if isinstance(p, Image))
        rest = images_from_results + [p for p in message.parts if isinstance(p, Text | Image)]
        if rest:
            messages.append({"role": "user", "content": _render_parts(rest)})
    return messages


def render_request(request: ChatRequest, model: str, default_max_tokens: int = 0) -> dict:
    """A chat completions request for `model` (usage is always asked for on streams).

    The output cap is optional here: `default_max_tokens` is unused, and `max_tokens` is sent
    only when the client set one (`max_completion_tokens` is not known to most compatible
    servers)."""
    body: dict = {"model": model, "messages": _render_messages(request)}
    if request.max_tokens:
        body["max_tokens"] = request.max_tokens
    for name in ("temperature", "top_p", "user"):
        if getattr(request, name) is not None:
            body[name] = getattr(request, name)
    if request.stop:
        body["stop"] = request.stop[:4]
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {"name": t.name, "description": t.description, "parameters": t.schema},
            }
            for t in request.tools
        ]
    choice = request.tool_choice
    if choice is not None and request.tools:
        body["tool_choice"] = {"auto": "auto", "none": "none", "any": "required"}.get(
            choice.mode, {"type": "function", "function": {"name": choice.name}}
        )
        if not choice.parallel:
            body["parallel_tool_calls"] = False
    if request.reasoning_effort:
        body["reasoning_effort"] = request.reasoning_effort
    elif request.thinking_budget:
        body["reasoning_effort"] = effort_for_budget(request.thinking_budget)
    if request.response_format is not None:
        body["response_format"] = render_response_format(request.response_format)
    if request.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def parse_response(body: dict) -> ChatResponse:
    """A chat.completion object in the canonical form."""
    choices = body.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = _parse_message(
        dict(choice.get("message") or {}, role="assistant"), ChatRequest("", [])
    )
    finish = FINISH_FROM_OPENAI.get(choice.get("finish_reason"), FinishReason.STOP)
    return ChatResponse(
        id=str(body.get("id") or ""),
        model=str(body.get("model") or ""),
        parts=message.parts if message else [],
        finish=finish,
        usage=openai_usage(body.get("usage")),
    )


def render_usage(usage: Usage) -> dict:
    return {
        "prompt_tokens": usage.input,
        "completion_tokens": usage.output,
        "total_tokens": usage.input + usage.output,
        "prompt_tokens_details": {"cached_tokens": usage.cached},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning},
    }


def chat_id(upstream_id: str) -> str:
    return f"chatcmpl-{upstream_id or uuid.uuid4().hex[:24]}"


def render_response(response: ChatResponse, model: str) -> dict:
    """A chat.completion object naming `model` (the model the client asked for)."""
    text = "".join(p.text for p in response.parts if isinstance(p, Text))
    message: dict = {"role": "assistant", "content": text or None, "refusal": None}
    reasoning = "".join(p.text for p in response.parts if isinstance(p, Thinking))
    if reasoning:
        message["reasoning_content"] = reasoning
    calls = [
        {
            "id": p.id,
            "type": "function",
            "function": {"name": p.name, "arguments": orjson.dumps(p.input).decode()},
        }
        for p in response.parts
        if isinstance(p, ToolUse)
    ]
    if calls:
        message["tool_calls"] = calls
    body = {
        "id": chat_id(response.id),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": FINISH_TO_OPENAI[response.finish],
            }
        ],
    }
    if response.usage is not None:
        body["usage"] = render_usage(response.usage)
    return body


def render_error(error: ApiError, request_id: str) -> tuple[int, bytes, tuple]:
    """(status, body, headers) of an error for an OpenAI client (a 529 is a 503 here)."""
    if error.status == 529:
        error = ApiError(503, "api_error", error.code, error.message, headers=error.headers)
    return error.status, error.openai_body(), error.headers
