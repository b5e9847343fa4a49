"""Wire formats, one module each, with the same entry points (see STYLE.md, section 5).

`parse_request`, `render_request`, `parse_response`, `render_response`, `decode_stream`,
`encode_stream` and `render_error`: pure functions from or to the types of proxy/canonical.py.
The protocols with embeddings (OpenAI and Gemini) also have `parse_embeddings_request`,
`render_embeddings_request`, `parse_embeddings_response` and `render_embeddings_response`.
"""

from __future__ import annotations

from importlib import import_module

PROTOCOLS = {
    "openai": "proxy.protocols.openai",
    "anthropic": "proxy.protocols.anthropic",
    "responses": "proxy.protocols.responses",
    "gemini": "proxy.protocols.gemini",
}

# The endpoint of a protocol that carries a chat turn: what a translated call is sent to.
# Responses clients are only served, never called: no route speaks it (OpenAI routes relay it).
CHAT_ENDPOINT = {
    "openai": "chat",
    "anthropic": "messages",
    "responses": "responses",
    "gemini": "generate",
}

# The endpoint of a protocol that an embeddings call of another protocol is sent to (Anthropic
# has none), and every client endpoint that asks for embeddings.
EMBEDDINGS_ENDPOINT = {"openai": "embeddings", "gemini": "batch_embed_contents"}
EMBEDDINGS_ENDPOINTS = frozenset({"embeddings", "embed_content", "batch_embed_contents"})


def get_protocol(name: str):
    """The module of protocol `name` (KeyError for one that is not implemented)."""
    return import_module(PROTOCOLS[name])
