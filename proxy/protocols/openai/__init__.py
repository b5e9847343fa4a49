"""OpenAI Chat Completions (../shared/protocols/openai-chat.md) to and from the canonical form.

Policies (conversion.md): every system or developer message is hoisted into the system prompt;
tool messages become tool results in a user turn; `arguments` that are not a JSON object become
`{}`; reasoning text is shown to OpenAI clients as `reasoning_content` (DeepSeek's extension,
ignored by clients that do not know it); `top_k`, signatures and redacted thinking are dropped.
"""

from __future__ import annotations

from proxy.protocols.openai.embeddings import (
    parse_embeddings_request,
    parse_embeddings_response,
    render_embeddings_request,
    render_embeddings_response,
)
from proxy.protocols.openai.messages import (
    chat_id,
    effort_for_budget,
    parse_request,
    parse_response,
    render_error,
    render_request,
    render_response,
    render_usage,
)
from proxy.protocols.openai.stream import decode_stream, encode_stream, stream_error

__all__ = [
    "chat_id",
    "decode_stream",
    "effort_for_budget",
    "encode_stream",
    "parse_embeddings_request",
    "parse_embeddings_response",
    "parse_request",
    "parse_response",
    "render_embeddings_request",
    "render_embeddings_response",
    "render_error",
    "render_request",
    "render_response",
    "render_usage",
    "stream_error",
]
