"""Wire formats, one module each, with the same entry points (see STYLE.md, section 5).

`parse_request`, `render_request`, `parse_response`, `render_response`, `decode_stream`,
`encode_stream` and `render_error`: pure functions from or to the types of proxy/canonical.py.
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


def get_protocol(name: str):
    """The module of protocol `name` (KeyError for one that is not implemented)."""
    return import_module(PROTOCOLS[name])
