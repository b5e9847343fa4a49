"""Which handler serves a /v1 or /v1beta request: the Gemini API's (proxy/gemini_endpoints.py)
or the OpenAI and Anthropic ones (proxy/endpoints.py)."""

from __future__ import annotations

from proxy import endpoints, gemini_endpoints
from proxy.http import Request


def resolve(method: str, path: str, headers: dict[str, str] | None = None):
    """(handler, path argument or None) for a request; ApiError 404/405 otherwise."""
    if gemini_endpoints.is_gemini(path, headers or {}):
        return gemini_endpoints.resolve(method, path)
    return endpoints.resolve(method, path)


async def dispatch(request: Request, send) -> None:
    if gemini_endpoints.is_gemini(request.path, request.headers):
        await gemini_endpoints.dispatch(request, send)
    else:
        await endpoints.dispatch(request, send)
