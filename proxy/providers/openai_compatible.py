"""Any server that speaks OpenAI's protocol (vLLM, llama.cpp, Ollama, OpenRouter, Groq, ...).

The base URL is required and the key is optional (many local servers have none).
"""

from __future__ import annotations

from proxy.providers.openai import OpenAI


class OpenAICompatible(OpenAI):
    default_base_url = ""
