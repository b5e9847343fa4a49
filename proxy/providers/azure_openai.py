"""Azure OpenAI: OpenAI's protocol at deployment URLs, with an `api-key` header.

- Base URL: the resource's endpoint, `https://{resource}.openai.azure.com` (a trailing
  `/openai` is accepted too).
- The API version is a query in the base URL, as Azure's own examples write it:
  `https://{resource}.openai.azure.com?api-version=2025-04-01-preview`. Without one,
  `DEFAULT_API_VERSION` (the latest GA version of the data-plane inference API) is used.
- A route's upstream model is the *deployment name*: calls go to
  `/openai/deployments/{deployment}/chat/completions?api-version=...` (and `/completions`,
  `/embeddings`, `/images/generations`, `/audio/transcriptions`, `/audio/speech`).
- The body keeps `model` (rewritten to the deployment name, as for every route): Azure takes
  the deployment from the URL and ignores it, as with the AzureOpenAI client of the openai SDK.

Azure has no deployment-scoped Responses API in these versions: Responses clients are
translated to chat completions. See https://learn.microsoft.com/azure/ai-services/openai/reference
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

from proxy.providers.base import HttpProvider
from proxy.providers.openai import OPENAI_PATHS

DEFAULT_API_VERSION = "2024-10-21"


def split_base_url(base_url: str) -> tuple[str, str]:
    """(resource root without a trailing /openai, api-version) of a provider's base URL."""
    parts = urlsplit(base_url.strip())
    path = parts.path.rstrip("/")
    if path.endswith("/openai"):
        path = path[: -len("/openai")]
    root = f"{parts.scheme}://{parts.netloc}{path}" if parts.netloc else ""
    versions = parse_qs(parts.query).get("api-version") or [DEFAULT_API_VERSION]
    return root, versions[0]


class AzureOpenAI(HttpProvider):
    protocol = "openai"
    paths = OPENAI_PATHS

    def __init__(self, config) -> None:
        super().__init__(config)
        self.root, self.api_version = split_base_url(config.base_url)

    def url(self, endpoint: str, model: str = "", stream: bool = False) -> str:
        """The deployment URL of `endpoint`; `model` is the route's deployment name."""
        return (
            f"{self.root}/openai/deployments/{quote(model, safe='')}{self.paths[endpoint]}"
            f"?api-version={quote(self.api_version, safe='')}"
        )

    def auth_headers(self) -> dict[str, str]:
        key = self.config.api_key
        return {"api-key": key} if key else {}
