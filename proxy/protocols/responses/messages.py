"""OpenAI Responses: requests, response objects and errors (streams are in stream.py)."""

from __future__ import annotations

import time
import uuid

import orjson

from proxy import errors
from proxy.canonical import (
    ChatRequest,
    ChatResponse,
    FinishReason,
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
from proxy.metering import Usage
from proxy.protocols.openai.messages import _append, _json_object, _number, _parse_parts

# What a tool call without its output gets, so that chat upstreams accept the history.
NO_OUTPUT = "aborted"
# Item types that exist only as server-side state: a translated route cannot resolve them.
STATEFUL = ("previous_response_id", "conversation")
# https://platform.openai.com/docs/api-reference/responses/object (incomplete_details.reason)
INCOMPLETE_REASON = {
    FinishReason.LENGTH: "max_output_tokens",
    FinishReason.CONTENT_FILTER: "content_filter",
}
# Request settings a response object repeats (openai-responses.md §4: clients read some back).
ECHOED = (
    "instructions",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "temperature",
    "top_p",
    "max_output_tokens",
    "reasoning",
    "text",
    "store",
    "metadata",
    "user",
)
CUSTOM_TOOL_SCHEMA = {
    "type": "object",
    "properties": {"input": {"type": "string"}},
    "required": ["input"],
}


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _refuse_state(body: dict) -> None:
    for name in STATEFUL:
        if body.get(name):
            raise errors.bad_request(
                f"'{name}' is not known here: Tollgate keeps a response for an hour when it was "
                "created with store=true (this model's provider keeps none). Otherwise send "
                "the whole conversation in 'input'.",
                name,
            )


def _output_parts(output) -> list:
    """A function_call_output's `output`: a string or input_text/input_image parts."""
    if isinstance(output, str):
        return [Text(output)] if output else []
    parts = []
    for part in output if isinstance(output, list) else []:
        if isinstance(part, dict) and part.get("type") == "input_image":
            parts.extend(_parse_parts([{"type": "image_url", "image_url": part.get("image_url")}]))
        elif isinstance(part, dict):
            parts.extend(_parse_parts([part]))
    return parts


def _parse_item(item: dict, request: ChatRequest) -> Message | None:
    kind = item.get("type", "message")
    if kind == "message":
        role = item.get("role")
        content = item.get("content")
        if role in ("system", "developer"):
            request.system.extend(p.text for p in _parse_parts(content) if isinstance(p, Text))
            return None
        if isinstance(content, list):
            content = [
                dict(p, type="image_url", image_url=p.get("image_url"))
                if isinstance(p, dict) and p.get("type") == "input_image"
                else p
                for p in content
            ]
        parts = _parse_parts(content)
        return Message("assistant" if role == "assistant" else "user", parts)
    call_id = str(item.get("call_id") or "")
    if kind == "function_call":
        name = str(item.get("name") or "")
        return Message("assistant", [ToolUse(call_id, name, _json_object(item.get("arguments")))])
    if kind == "custom_tool_call":
        use = ToolUse(call_id, str(item.get("name") or ""), {"input": str(item.get("input") or "")})
        return Message("assistant", [use])
    if kind == "local_shell_call":
        action = item.get("action") if isinstance(item.get("action"), dict) else {}
        return Message("assistant", [ToolUse(call_id, "local_shell", action)])
    if kind in ("function_call_output", "custom_tool_call_output", "local_shell_call_output"):
        return Message("user", [ToolResult(call_id, _output_parts(item.get("output")))])
    if kind == "item_reference":
        raise errors.bad_request(
            "'item_reference' items need responses stored by the provider; send the items "
            "themselves in 'input'.",
            "input",
        )
    # reasoning (encrypted for OpenAI only), web_search_call, compaction, additional_tools...
    return None


def _answer_every_call(messages: list[Message]) -> None:
    """Give each tool call without an output a NO_OUTPUT result in the next user turn."""
    answered = {p.tool_use_id for m in messages for p in m.parts if isinstance(p, ToolResult)}
    position = 0
    while position < len(messages):
        message = messages[position]
        missing = [
            p.id
            for p in message.parts
            if message.role == "assistant" and isinstance(p, ToolUse) and p.id not in answered
        ]
        if missing:
            results = [ToolResult(call_id, [Text(NO_OUTPUT)]) for call_id in missing]
            following = messages[position + 1] if position + 1 < len(messages) else None
            if following is not None and following.role == "user":
                following.parts[:0] = results
            else:
                messages.insert(position + 1, Message("user", results))
        position += 1


def _parse_tools(tools) -> list[Tool]:
    """Function tools as they are; custom tools wrapped as a function of one string `input`.
    Namespaces and hosted tools (web_search, file_search, ...) have no equivalent elsewhere
    and are dropped."""
    parsed = []
    for tool in tools if isinstance(tools, list) else []:
        if not isinstance(tool, dict) or not tool.get("name"):
            continue
        if tool.get("type") == "function":
            schema = tool.get("parameters") or {"type": "object", "properties": {}}
            parsed.append(Tool(tool["name"], tool.get("description") or "", schema))
        elif tool.get("type") == "custom":
            description = tool.get("description") or ""
            grammar = tool.get("format") if isinstance(tool.get("format"), dict) else {}
            if grammar.get("definition"):
                description += f"\n\nThe input follows this {grammar.get('syntax', '')} grammar:\n"
                description += str(grammar["definition"])
            parsed.append(Tool(tool["name"], description, CUSTOM_TOOL_SCHEMA))
    return parsed


def _parse_tool_choice(choice, parallel) -> ToolChoice | None:
    result = None
    if choice in ("auto", "none"):
        result = ToolChoice(choice)
    elif choice == "required":
        result = ToolChoice("any")
    elif isinstance(choice, dict) and choice.get("type") in ("function", "custom"):
        result = ToolChoice("tool", str(choice.get("name") or ""))
    elif isinstance(choice, dict) and choice.get("type") == "allowed_tools":
        result = ToolChoice("any" if choice.get("mode") == "required" else "auto")
    if parallel is False:
        result = result or ToolChoice("auto")
        result.parallel = False
    return result


def _parse_text_format(text) -> ResponseFormat | None:
    """`text.format` (flat, unlike chat's `response_format`); `text.verbosity` is dropped:
    only OpenAI's own models know it, and their routes get the Responses body unchanged."""
    output = text.get("format") if isinstance(text, dict) else None
    if output is None:
        return None
    kind = output.get("type") if isinstance(output, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return ResponseFormat("json_object")
    if kind != "json_schema":
        raise errors.bad_request(
            "'text.format.type' must be 'text', 'json_object' or 'json_schema'.",
            "text.format.type",
        )
    if not isinstance(output.get("schema"), dict):
        raise errors.bad_request(
            "'text.format.schema' must be a JSON Schema object.", "text.format.schema"
        )
    return ResponseFormat(
        "json_schema",
        name=str(output.get("name") or "response"),
        schema=output["schema"],
        strict=output.get("strict") if isinstance(output.get("strict"), bool) else None,
        description=str(output.get("description") or ""),
    )


def parse_request(body: dict) -> ChatRequest:
    """A Responses request in the canonical form, for a route that speaks another protocol.

    Raises a 400 ApiError for what needs the provider's stored state (`previous_response_id`,
    `conversation`, `item_reference`) and for a malformed `text.format`. Dropped: reasoning
    items, hosted and namespace tools, `text.verbosity`, `include`, `store`,
    `prompt_cache_key`, `metadata`, `client_metadata`, `truncation`, `service_tier`.
    """
    _refuse_state(body)
    request = ChatRequest(model=str(body.get("model") or ""), messages=[])
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        request.system.append(instructions)
    items = body.get("input")
    if isinstance(items, str):
        items = [{"type": "message", "role": "user", "content": items}]
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            parsed = _parse_item(item, request)
            if parsed is not None:
                _append(request.messages, parsed)
    _answer_every_call(request.messages)
    cap = body.get("max_output_tokens")
    request.max_tokens = cap if isinstance(cap, int) and cap > 0 else None
    request.temperature = _number(body.get("temperature"))
    request.top_p = _number(body.get("top_p"))
    request.stream = body.get("stream") is True
    request.tools = _parse_tools(body.get("tools"))
    request.tool_choice = _parse_tool_choice(
        body.get("tool_choice"), body.get("parallel_tool_calls")
    )
    reasoning = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
    effort = reasoning.get("effort")
    request.reasoning_effort = effort if isinstance(effort, str) and effort != "none" else None
    user = body.get("user") or body.get("safety_identifier")
    request.user = user if isinstance(user, str) else None
    request.response_format = _parse_text_format(body.get("text"))
    return request


def custom_tool_names(request: dict | None) -> frozenset[str]:
    """The names of the request's `custom` tools: their calls go back as custom_tool_call."""
    tools = request.get("tools") if isinstance(request, dict) else None
    return frozenset(
        tool["name"]
        for tool in (tools if isinstance(tools, list) else [])
        if isinstance(tool, dict)
        and tool.get("type") == "custom"
        and isinstance(tool.get("name"), str)
    )


def echoed_settings(request: dict | None) -> dict:
    """The request's settings that its response object repeats."""
    if not isinstance(request, dict):
        return {}
    return {name: request[name] for name in ECHOED if name in request}


def custom_input(arguments: dict) -> str:
    """The `input` string of a custom tool called through its function wrapper."""
    value = arguments.get("input")
    if isinstance(value, str):
        return value
    return orjson.dumps(arguments).decode() if arguments else ""


def render_usage(usage: Usage) -> dict:
    """All five numbers, always (Codex requires the three totals to be integers)."""
    return {
        "input_tokens": usage.input,
        "input_tokens_details": {"cached_tokens": usage.cached},
        "output_tokens": usage.output,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning},
        "total_tokens": usage.input + usage.output,
    }


def message_item(item_id: str, text: str, status: str = "completed") -> dict:
    content = [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
    return {
        "type": "message",
        "id": item_id,
        "role": "assistant",
        "status": status,
        "content": content if status == "completed" else [],
    }


def call_item(item_id: str, call_id: str, name: str, arguments: str, status="completed") -> dict:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def custom_call_item(item_id: str, call_id: str, name: str, text: str, status="completed") -> dict:
    return {
        "type": "custom_tool_call",
        "id": item_id,
        "call_id": call_id,
        "name": name,
        "input": text,
        "status": status,
    }


def reasoning_item(item_id: str, text: str) -> dict:
    summary = [{"type": "summary_text", "text": text}] if text else []
    return {"type": "reasoning", "id": item_id, "summary": summary}


def response_object(
    ident: str,
    model: str,
    output: list,
    usage: Usage | None,
    finish: FinishReason | None,
    settings: dict | None = None,
) -> dict:
    """A `response` object; `finish` None means still in progress. `settings` are the
    request's own (echoed_settings), which replace the defaults."""
    status, incomplete = "in_progress", None
    if finish is not None:
        reason = INCOMPLETE_REASON.get(finish)
        status = "incomplete" if reason else "completed"
        incomplete = {"reason": reason} if reason else None
    now = int(time.time())
    return {
        "id": ident,
        "object": "response",
        "created_at": now,
        "completed_at": now if finish is not None else None,
        "status": status,
        "model": model,
        "error": None,
        "incomplete_details": incomplete,
        "instructions": None,
        "previous_response_id": None,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "store": False,
        "metadata": {},
        "text": {"format": {"type": "text"}},
        "usage": render_usage(usage) if usage is not None else None,
        **(settings or {}),
    }


def render_response(response: ChatResponse, model: str, *, request: dict | None = None) -> dict:
    """A `response` object naming `model` (the model the client asked for); `request`, the
    client's Responses body, supplies the echoed settings and which tools are custom."""
    output: list[dict] = []
    text = "".join(p.text for p in response.parts if isinstance(p, Text))
    reasoning = "".join(p.text for p in response.parts if isinstance(p, Thinking))
    if reasoning:
        output.append(reasoning_item(new_id("rs"), reasoning))
    if text:
        output.append(message_item(new_id("msg"), text))
    custom = custom_tool_names(request)
    for part in response.parts:
        if isinstance(part, ToolUse) and part.name in custom:
            text = custom_input(part.input)
            output.append(custom_call_item(new_id("ctc"), part.id, part.name, text))
        elif isinstance(part, ToolUse):
            arguments = orjson.dumps(part.input).decode()
            output.append(call_item(new_id("fc"), part.id, part.name, arguments))
    return response_object(
        new_id("resp"),
        model,
        output,
        response.usage,
        response.finish,
        echoed_settings(request),
    )


def render_error(error: ApiError, request_id: str) -> tuple[int, bytes, tuple]:
    """Errors are Chat Completions' `{"error": {...}}` (a 529 is a 503 here)."""
    from proxy.protocols.openai import render_error as render_openai_error

    return render_openai_error(error, request_id)
