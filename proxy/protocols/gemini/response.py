"""Gemini generateContent responses and usageMetadata (see messages.py for requests)."""

from __future__ import annotations

import uuid

from proxy.canonical import ChatResponse, FinishReason, Text, Thinking, ToolUse, Usage
from proxy.protocols.gemini.calls import call_id
from proxy.protocols.gemini.casing import get

# https://ai.google.dev/api/generate-content#FinishReason and #BlockedReason: refusals.
# Every other reason (OTHER, MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL, TOO_MANY_TOOL_CALLS,
# NO_IMAGE, ...) is a plain stop (conversion.md §7, a Tollgate policy).
FILTERED = {
    "SAFETY",
    "RECITATION",
    "LANGUAGE",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
    "IMAGE_OTHER",
    "MODEL_ARMOR",
    "JAILBREAK",
}
FINISH_TO_GEMINI = {
    FinishReason.STOP: "STOP",
    FinishReason.STOP_SEQUENCE: "STOP",
    FinishReason.LENGTH: "MAX_TOKENS",
    FinishReason.TOOL_USE: "STOP",  # Gemini has no tool-call reason: the parts say it
    FinishReason.CONTENT_FILTER: "SAFETY",
}


def _int(value) -> int:
    if isinstance(value, str) and value.isdigit():
        return int(value)  # int64 fields may come as JSON strings
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def finish_from_gemini(reason, has_calls: bool) -> FinishReason:
    """The canonical finish of a candidate: a functionCall part means TOOL_USE (Gemini says
    STOP), MAX_TOKENS is LENGTH, the safety reasons are CONTENT_FILTER, the rest STOP."""
    if reason in FILTERED:
        return FinishReason.CONTENT_FILTER
    if has_calls:
        return FinishReason.TOOL_USE
    return FinishReason.LENGTH if reason == "MAX_TOKENS" else FinishReason.STOP


def parse_usage(metadata: dict | None) -> Usage | None:
    """`usageMetadata` in our buckets, or None: the prompt includes its cached part and the
    prompt of built-in tools; the output includes the thoughts (gemini.md §3)."""
    if not isinstance(metadata, dict):
        return None
    prompt = _int(get(metadata, "promptTokenCount")) + _int(
        get(metadata, "toolUsePromptTokenCount")
    )
    thoughts = _int(get(metadata, "thoughtsTokenCount"))
    return Usage(
        input=prompt,
        output=_int(get(metadata, "candidatesTokenCount")) + thoughts,
        cached=min(_int(get(metadata, "cachedContentTokenCount")), prompt),
        reasoning=thoughts,
    )


def render_usage(usage: Usage | None) -> dict:
    """Canonical usage as `usageMetadata` (candidates exclude thoughts, as at Gemini)."""
    usage = usage or Usage()
    reasoning = min(usage.reasoning, usage.output)
    rendered = {
        "promptTokenCount": usage.input,
        "candidatesTokenCount": usage.output - reasoning,
        "totalTokenCount": usage.input + usage.output,
    }
    if reasoning:
        rendered["thoughtsTokenCount"] = reasoning
    if usage.cached:
        rendered["cachedContentTokenCount"] = usage.cached
    return rendered


def parse_part(part) -> Text | Thinking | ToolUse | None:
    """An answer's part: text, thought text or a call (whose id carries its signature);
    None for what does not cross (empty text, inline images, code execution)."""
    if not isinstance(part, dict):
        return None
    text = part.get("text")
    if isinstance(text, str) and text:
        return Thinking(text) if part.get("thought") is True else Text(text)
    call = get(part, "functionCall")
    if isinstance(call, dict):
        signature = get(part, "thoughtSignature")
        signature = signature if isinstance(signature, str) else ""
        args = call.get("args")
        return ToolUse(
            call_id(str(call.get("id") or ""), signature),
            str(call.get("name") or ""),
            args if isinstance(args, dict) else {},
            signature,
        )
    return None


def candidate_parts(data: dict) -> tuple[dict, list]:
    """The first candidate of a GenerateContentResponse and its `content.parts`."""
    candidates = data.get("candidates")
    candidate = candidates[0] if isinstance(candidates, list) and candidates else {}
    candidate = candidate if isinstance(candidate, dict) else {}
    content = candidate.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    return candidate, parts if isinstance(parts, list) else []


def is_blocked(data: dict) -> bool:
    """A prompt refused before generation: HTTP 200, no candidates, a blockReason."""
    feedback = get(data, "promptFeedback")
    return isinstance(feedback, dict) and bool(get(feedback, "blockReason"))


def parse_response(data: dict) -> ChatResponse:
    """A GenerateContentResponse in the canonical form (adjacent text parts joined)."""
    if not isinstance(data, dict):
        raise TypeError("a GenerateContentResponse is a JSON object")
    candidate, raw_parts = candidate_parts(data)
    parts: list = []
    for part in (parse_part(p) for p in raw_parts):
        if isinstance(part, Text | Thinking) and parts and type(parts[-1]) is type(part):
            parts[-1].text += part.text
        elif part is not None:
            parts.append(part)
    has_calls = any(isinstance(p, ToolUse) for p in parts)
    finish = finish_from_gemini(get(candidate, "finishReason"), has_calls)
    if not candidate and is_blocked(data):
        finish = FinishReason.CONTENT_FILTER
    return ChatResponse(
        id=str(get(data, "responseId") or ""),
        model=str(get(data, "modelVersion") or ""),
        parts=parts,
        finish=finish,
        usage=parse_usage(get(data, "usageMetadata")),
    )


def response_id(upstream_id: str) -> str:
    return upstream_id or uuid.uuid4().hex[:24]


def render_part(part) -> dict | None:
    """A canonical answer part as a Gemini part (thoughts as `thought: true` text; a call keeps
    the id the upstream gave it, so that the client can answer it by id)."""
    if isinstance(part, Text) and part.text:
        return {"text": part.text}
    if isinstance(part, Thinking) and part.text:
        return {"text": part.text, "thought": True}
    if isinstance(part, ToolUse):
        call = {"id": part.id, "name": part.name, "args": part.input}
        return {"functionCall": call}
    return None


def render_response(response: ChatResponse, model: str) -> dict:
    """A GenerateContentResponse naming `model` (the model the client asked for)."""
    parts = [p for p in (render_part(x) for x in response.parts) if p is not None]
    candidate = {
        "content": {"role": "model", "parts": parts},
        "finishReason": FINISH_TO_GEMINI[response.finish],
        "index": 0,
    }
    return {
        "candidates": [candidate],
        "usageMetadata": render_usage(response.usage),
        "modelVersion": model,
        "responseId": response_id(response.id),
    }
