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

from proxy.protocols.anthropic.messages import (
    BUDGETS,
    DEFAULT_VERSION,
    ERROR_TYPES,
    JSON_OBJECT_INSTRUCTION,
    NO_RESULT,
    estimate_input_tokens,
    message_id,
    parse_request,
    parse_response,
    render_error,
    render_request,
    render_response,
    render_usage,
    tool_id,
)
from proxy.protocols.anthropic.stream import decode_stream, encode_stream, stream_error

__all__ = [
    "BUDGETS",
    "DEFAULT_VERSION",
    "ERROR_TYPES",
    "JSON_OBJECT_INSTRUCTION",
    "NO_RESULT",
    "decode_stream",
    "encode_stream",
    "estimate_input_tokens",
    "message_id",
    "parse_request",
    "parse_response",
    "render_error",
    "render_request",
    "render_response",
    "render_usage",
    "stream_error",
    "tool_id",
]
