"""Gemini generateContent requests: system, generation config, tools (the contents are in
contents.py, answers in response.py, streams in stream.py, errors in errors.py)."""

from __future__ import annotations

import orjson

from proxy.canonical import ChatRequest, ResponseFormat, Tool, ToolChoice
from proxy.metering import estimate_tokens
from proxy.protocols.gemini.casing import get
from proxy.protocols.gemini.contents import bad, parse_contents, render_contents
from proxy.protocols.gemini.schema import json_schema

# OpenAI effort -> thinkingBudget: Google's own OpenAI-compatible mapping (conversion.md §9).
BUDGETS = {"low": 1024, "medium": 8192, "high": 24576, "xhigh": 24576, "max": 24576}
MAX_BUDGET = 24576  # the largest budget every 2.5 model accepts (Flash's ceiling)
NO_THINKING = ("none", "minimal")
MAX_STOP_SEQUENCES = 5
EMPTY_SCHEMAS = ({}, {"type": "object"}, {"type": "object", "properties": {}})
# Tokens Gemini bills for one image (up to 384 px a side; larger ones are tiled).
TOKENS_PER_IMAGE = 258


def _number(value) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _parse_system(instruction) -> list[str]:
    if instruction is None:
        return []
    if isinstance(instruction, str):
        return [instruction] if instruction.strip() else []
    parts = instruction.get("parts") if isinstance(instruction, dict) else instruction
    if not isinstance(parts, list):
        raise bad("'systemInstruction' must be a content with text parts.", "systemInstruction")
    texts = [p.get("text") for p in parts if isinstance(p, dict)]
    return [t for t in texts if isinstance(t, str) and t.strip()]


def _parse_thinking(config, request: ChatRequest) -> None:
    if not isinstance(config, dict):
        return
    level = get(config, "thinkingLevel")
    budget = get(config, "thinkingBudget")
    if isinstance(level, str) and level.upper() != "THINKING_LEVEL_UNSPECIFIED":
        request.reasoning_effort = level.lower()
    elif isinstance(budget, int) and budget == -1:
        request.reasoning_effort = "medium"  # dynamic: the model decides
    elif isinstance(budget, int) and budget > 0:
        request.thinking_budget = budget


def _parse_generation_config(config, request: ChatRequest) -> None:
    if config is None:
        return
    if not isinstance(config, dict):
        raise bad("'generationConfig' must be an object.", "generationConfig")
    cap = get(config, "maxOutputTokens")
    request.max_tokens = (
        cap if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0 else None
    )
    request.temperature = _number(get(config, "temperature"))
    request.top_p = _number(get(config, "topP"))
    top_k = _number(get(config, "topK"))
    request.top_k = int(top_k) if top_k is not None else None
    stops = get(config, "stopSequences") or []
    request.stop = [s for s in stops if isinstance(s, str)] if isinstance(stops, list) else []
    count = get(config, "candidateCount")
    if isinstance(count, int) and count > 1:
        raise bad(
            "candidateCount above 1 is not available for this model: ask once per answer.",
            "generationConfig.candidateCount",
        )
    _parse_thinking(get(config, "thinkingConfig"), request)
    request.response_format = _parse_response_format(config)


def _parse_response_format(config: dict) -> ResponseFormat | None:
    """JSON output: `responseMimeType: application/json`, with `responseJsonSchema` (taken
    as is) or `responseSchema` (converted). Enum output (`text/x.enum`) is plain text here."""
    if get(config, "responseMimeType") != "application/json":
        return None
    schema = get(config, "responseJsonSchema")
    if not isinstance(schema, dict):
        schema = json_schema(get(config, "responseSchema")) or None
    if schema is None:
        return ResponseFormat("json_object")
    return ResponseFormat("json_schema", schema=schema)


def _parse_tools(tools) -> list[Tool]:
    parsed: list[Tool] = []
    for tool in tools if isinstance(tools, list) else []:
        declarations = get(tool, "functionDeclarations") if isinstance(tool, dict) else None
        for declaration in declarations if isinstance(declarations, list) else []:
            name = declaration.get("name") if isinstance(declaration, dict) else None
            if not isinstance(name, str) or not name:
                continue
            schema = get(declaration, "parametersJsonSchema")
            if not isinstance(schema, dict):
                schema = json_schema(get(declaration, "parameters")) or None
            parsed.append(
                Tool(
                    name,
                    str(declaration.get("description") or ""),
                    schema or {"type": "object", "properties": {}},
                )
            )
    return parsed


def _parse_tool_config(config, request: ChatRequest) -> None:
    calling = get(config, "functionCallingConfig") if isinstance(config, dict) else None
    if not isinstance(calling, dict):
        return
    mode = str(get(calling, "mode") or "AUTO").upper()
    allowed = get(calling, "allowedFunctionNames") or []
    allowed = [n for n in allowed if isinstance(n, str)] if isinstance(allowed, list) else []
    if mode == "NONE":
        request.tool_choice = ToolChoice("none")
        return
    if mode not in ("AUTO", "ANY", "VALIDATED", "MODE_UNSPECIFIED"):
        raise bad(
            f"functionCallingConfig.mode '{mode}' is unknown: use AUTO, ANY, NONE or VALIDATED.",
            "toolConfig",
        )
    if mode == "ANY" and len(allowed) == 1:
        request.tool_choice = ToolChoice("tool", allowed[0])
        return
    request.tool_choice = ToolChoice("any" if mode == "ANY" else "auto")
    kept = [t for t in request.tools if t.name in allowed]
    if kept and mode != "AUTO":
        request.tools = kept  # the other providers cannot restrict calls to a subset


def parse_request(body: dict) -> ChatRequest:
    """A generateContent body (camelCase or snake_case) in the canonical form.

    The model is in the URL, not the body: `body["model"]` is read when the endpoint put it
    there. Bad input raises a 400 ApiError naming the field."""
    if not isinstance(body, dict):
        raise bad("The request body must be a JSON object.", None)
    if get(body, "cachedContent"):
        raise bad(
            "'cachedContent' is only known to Gemini itself and this model is served by another "
            "provider: send the whole prompt in 'contents' instead.",
            "cachedContent",
        )
    model = str(body.get("model") or "").removeprefix("models/")
    request = ChatRequest(model=model, messages=parse_contents(get(body, "contents")))
    request.system = _parse_system(get(body, "systemInstruction"))
    _parse_generation_config(get(body, "generationConfig"), request)
    request.tools = _parse_tools(get(body, "tools"))
    _parse_tool_config(get(body, "toolConfig"), request)
    request.stream = body.get("stream") is True
    return request


def _thinking_config(request: ChatRequest, model: str) -> dict | None:
    """thinkingConfig from an effort or a budget (conversion.md §9, a Tollgate policy).

    "none"/"minimal" turn thinking off where the model allows it (2.5 Pro cannot: it gets its
    minimum, 128); budgets are capped at 24576, the ceiling of every 2.5 model; thought
    summaries are asked for whenever the caller asked for thinking."""
    effort = request.reasoning_effort
    if effort in NO_THINKING:
        return {"thinkingBudget": 128 if "pro" in model else 0}
    budget = BUDGETS.get(effort or "") or request.thinking_budget
    if not budget:
        return None
    return {"thinkingBudget": min(budget, MAX_BUDGET), "includeThoughts": True}


def _generation_config(request: ChatRequest, model: str, default_max_tokens: int) -> dict:
    config: dict = {}
    thinking = _thinking_config(request, model)
    cap = request.max_tokens or default_max_tokens
    if cap:
        budget = thinking.get("thinkingBudget", 0) if thinking else 0
        if request.max_tokens and budget:
            # Thoughts share maxOutputTokens: the answer keeps the room the caller asked for.
            cap = request.max_tokens + budget
            cap = min(cap, default_max_tokens) if default_max_tokens else cap
        config["maxOutputTokens"] = cap
    for name, key in (("temperature", "temperature"), ("top_p", "topP"), ("top_k", "topK")):
        if getattr(request, name) is not None:
            config[key] = getattr(request, name)
    if request.stop:
        config["stopSequences"] = request.stop[:MAX_STOP_SEQUENCES]
    if thinking:
        config["thinkingConfig"] = thinking
    output = request.response_format
    if output is not None:
        config["responseMimeType"] = "application/json"
        if output.schema is not None:
            config["responseJsonSchema"] = output.schema
    return config


def _render_tool(tool: Tool) -> dict:
    declaration: dict = {"name": tool.name}
    if tool.description:
        declaration["description"] = tool.description
    if tool.schema not in EMPTY_SCHEMAS:
        declaration["parametersJsonSchema"] = tool.schema
    return declaration


def _render_tool_config(choice: ToolChoice) -> dict:
    calling: dict = {"mode": {"none": "NONE", "any": "ANY", "tool": "ANY"}.get(choice.mode, "AUTO")}
    if choice.mode == "tool" and choice.name:
        calling["allowedFunctionNames"] = [choice.name]
    return {"functionCallingConfig": calling}


def render_request(request: ChatRequest, model: str, *, default_max_tokens: int = 0) -> dict:
    """A generateContent body for `model` (in camelCase; neither the model nor the method is
    in it: both go in the URL). `default_max_tokens` bounds the output when the caller set
    no cap; parallel_tool_calls and `user` have no Gemini equivalent and are dropped."""
    body: dict = {"contents": render_contents(request.messages)}
    system = [{"text": s} for s in request.system if s.strip()]
    if system and not body["contents"]:
        body["contents"] = [{"role": "user", "parts": system}]  # Gemini needs some contents
    elif system:
        body["systemInstruction"] = {"parts": system}
    if request.tools:
        body["tools"] = [{"functionDeclarations": [_render_tool(t) for t in request.tools]}]
        if request.tool_choice is not None:
            body["toolConfig"] = _render_tool_config(request.tool_choice)
    config = _generation_config(request, model, default_max_tokens)
    if config:
        body["generationConfig"] = config
    return body


def estimate_input_tokens(body: dict) -> int:
    """An honest estimate of a :countTokens body's tokens (`{"contents"}` or a wrapped
    `generateContentRequest`): the JSON size of the text, plus 258 tokens per inline or
    referenced file (an image's price; base64 bytes say little about tokens)."""
    inner = get(body, "generateContentRequest")
    inner = inner if isinstance(inner, dict) else body
    files = 0

    def strip(value):
        nonlocal files
        if isinstance(value, dict):
            if get(value, "inlineData") is not None or get(value, "fileData") is not None:
                files += 1
                return None
            return {k: strip(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    counted = {
        name: strip(get(inner, name))
        for name in ("contents", "systemInstruction", "tools")
        if get(inner, name)
    }
    return estimate_tokens(len(orjson.dumps(counted))) + files * TOKENS_PER_IMAGE
