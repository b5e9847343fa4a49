"""Google's Gemini API: `x-goog-api-key` auth, the model and the method in the URL, SSE streams.

The base URL includes the version (https://generativelanguage.googleapis.com/v1beta); the route's
upstream model is the model's name there without `models/` (`gemini-2.5-flash`). Streams are
always asked for as SSE (`alt=sse`), whatever framing the client chose.
"""

from __future__ import annotations

from urllib.parse import quote

from proxy.providers.base import HttpProvider

METHODS = {
    "generate": "generateContent",
    "count_tokens": "countTokens",
    "embed_content": "embedContent",
    "batch_embed_contents": "batchEmbedContents",
}


class Gemini(HttpProvider):
    protocol = "gemini"
    default_base_url = "https://generativelanguage.googleapis.com/v1beta"
    paths = METHODS  # endpoint -> method; `url` builds the path around the model
    model_in_body = False

    def url(self, endpoint: str, model: str = "", stream: bool = False) -> str:
        base = (self.config.base_url or self.default_base_url).rstrip("/")
        name = quote(model.removeprefix("models/"), safe="")
        if endpoint == "generate" and stream:
            return f"{base}/models/{name}:streamGenerateContent?alt=sse"
        return f"{base}/models/{name}:{METHODS[endpoint]}"

    def auth_headers(self) -> dict[str, str]:
        key = self.config.api_key
        return {"x-goog-api-key": key} if key else {}
