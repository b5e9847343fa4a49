"""Anthropic's API: `x-api-key` auth, a version header, the Messages protocol, SSE streams.

The base URL is the root (https://api.anthropic.com): paths carry /v1. When the client speaks
Anthropic too, its `anthropic-version` and `anthropic-beta` headers are passed on unchanged
(betas enable features such as 1M context); translated calls get the default version only.
"""

from __future__ import annotations

from proxy.protocols.anthropic import DEFAULT_VERSION
from proxy.providers.base import HttpProvider


class Anthropic(HttpProvider):
    protocol = "anthropic"
    default_base_url = "https://api.anthropic.com"
    paths = {
        "messages": "/v1/messages",
        "count_tokens": "/v1/messages/count_tokens",
    }
    forwarded_client_headers = ("anthropic-version", "anthropic-beta")

    def auth_headers(self) -> dict[str, str]:
        headers = {"anthropic-version": DEFAULT_VERSION}
        key = self.config.api_key
        if key:
            headers["x-api-key"] = key
        return headers
