"""OpenAI's own API: Bearer auth, the OpenAI protocol, SSE streams."""

from __future__ import annotations

from proxy.providers.base import HttpProvider

# The OpenAI endpoints every OpenAI-protocol server is asked for, by Tollgate's names.
OPENAI_PATHS = {
    "chat": "/chat/completions",
    "completions": "/completions",
    "embeddings": "/embeddings",
    "images": "/images/generations",
    "transcriptions": "/audio/transcriptions",
    "speech": "/audio/speech",
}


class OpenAI(HttpProvider):
    protocol = "openai"
    default_base_url = "https://api.openai.com/v1"
    paths = {**OPENAI_PATHS, "responses": "/responses"}
    relays = ("responses",)

    def auth_headers(self) -> dict[str, str]:
        key = self.config.api_key
        return {"authorization": f"Bearer {key}"} if key else {}

    def adjust_translated(self, body: dict) -> dict:
        """OpenAI's reasoning models (o-series, GPT-5) refuse `max_tokens`; every OpenAI chat
        model takes `max_completion_tokens`. Compatible servers keep `max_tokens`."""
        if "max_tokens" in body:
            body["max_completion_tokens"] = body.pop("max_tokens")
        return body
