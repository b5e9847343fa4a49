"""Any server that speaks OpenAI's protocol (vLLM, llama.cpp, Ollama, OpenRouter, Groq, ...).

The base URL is required and the key is optional (many local servers have none).
"""

from __future__ import annotations

from proxy.providers.openai import OPENAI_PATHS, OpenAI


class OpenAICompatible(OpenAI):
    """Most such servers have no Responses API: Responses clients are translated to chat."""

    default_base_url = ""
    paths = OPENAI_PATHS
    relays = ()

    def adjust_translated(self, body: dict) -> dict:
        """`max_tokens` stays: not every compatible server knows `max_completion_tokens`."""
        return body
