"""OpenAI Responses (../shared/protocols/openai-responses.md) to and from the canonical form.

Routes to OpenAI itself relay Responses bodies untouched (proxy/relay.py); this module serves
Responses clients from routes that speak another protocol. Policies: `instructions` and
system/developer items join the system prompt; `function_call` and `custom_tool_call` items
become tool calls (a custom tool is a function of one string `input`, and its calls come back
as `custom_tool_call` items) and a call without its output gets an "aborted" result;
`text.format` becomes the canonical response format; reasoning items (encrypted for OpenAI
only), hosted tools, namespaces, `text.verbosity` and `include` are dropped; `conversation`,
`item_reference` and a `previous_response_id` not kept by proxy/conversations.py are refused
with a 400. Response objects repeat the request's settings.
"""

from __future__ import annotations

from proxy.protocols.responses.messages import (
    custom_tool_names,
    new_id,
    parse_request,
    render_error,
    render_response,
    render_usage,
)
from proxy.protocols.responses.stream import encode_stream, stream_error

__all__ = [
    "custom_tool_names",
    "encode_stream",
    "new_id",
    "parse_request",
    "render_error",
    "render_response",
    "render_usage",
    "stream_error",
]
