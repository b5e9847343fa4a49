"""Errors of the /v1 API (the error contract in ARCHITECTURE.md), in OpenAI's shape.

Messages tell the user what to do next. Each client protocol renders the same ApiError in its
own shape (`render_error` in proxy/protocols/); `contract_headers` adds what every shape carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson

NO_RETRY = ((b"x-should-retry", b"false"),)


@dataclass(frozen=True)
class ApiError(Exception):
    status: int
    type: str
    code: str | None
    message: str
    param: str | None = None
    headers: tuple[tuple[bytes, bytes], ...] = ()

    def openai_body(self) -> bytes:
        error = {"message": self.message, "type": self.type, "param": self.param, "code": self.code}
        return orjson.dumps({"error": error})


def bad_request(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, "invalid_request_error", code, message, param)


def missing_key() -> ApiError:
    return ApiError(
        401,
        "authentication_error",
        "invalid_api_key",
        "No API key provided. Send your Tollgate key as 'Authorization: Bearer sk-tg-...' "
        "(or the x-api-key header). Create keys on the Tokens page.",
        headers=NO_RETRY,
    )


def invalid_key() -> ApiError:
    return ApiError(
        401,
        "authentication_error",
        "invalid_api_key",
        "Invalid API key: it is unknown, revoked or expired. Check the key on the Tokens page.",
        headers=NO_RETRY,
    )


def account_suspended() -> ApiError:
    return ApiError(
        403,
        "permission_error",
        "account_suspended",
        "This account is suspended. Contact support to restore access.",
        headers=NO_RETRY,
    )


def ip_not_allowed(ip: str) -> ApiError:
    return ApiError(
        403,
        "permission_error",
        "ip_not_allowed",
        f"Requests from {ip} are not allowed for this key. Edit its IP allowlist on the Tokens "
        "page.",
        headers=NO_RETRY,
    )


def model_not_allowed(model: str) -> ApiError:
    return ApiError(
        403,
        "permission_error",
        "model_not_allowed",
        f"The model '{model}' is not enabled for this key or account. Call GET /v1/models for "
        "the models this key may use.",
        param="model",
        headers=NO_RETRY,
    )


def insufficient_credit(available_micros: int, affordable_tokens: int) -> ApiError:
    from billing.money import format_usd

    return ApiError(
        403,
        "permission_error",
        "insufficient_quota",
        f"Insufficient credit: {format_usd(max(available_micros, 0), places=6)} available, "
        f"enough for about {affordable_tokens:,} output tokens of this model with this prompt. "
        "Add credits on the Billing page, or lower max_tokens.",
        headers=NO_RETRY,
    )


def spend_limit_reached(available_micros: int, affordable_tokens: int) -> ApiError:
    from billing.money import format_usd

    return ApiError(
        403,
        "permission_error",
        "insufficient_quota",
        "This key's spend limit is nearly used up: "
        f"{format_usd(max(available_micros, 0), places=6)} left, enough for about "
        f"{affordable_tokens:,} output tokens. Raise the key's limit on the Tokens page, or "
        "lower max_tokens.",
        headers=NO_RETRY,
    )


def rate_limited(scope: str, limit: int | None, reset_s: int) -> ApiError:
    headers = ((b"retry-after", str(max(reset_s, 1)).encode()),)
    return ApiError(
        429,
        "rate_limit_error",
        "rate_limit_exceeded",
        f"Rate limit reached: {limit} requests per minute for this {scope}. Please try again in "
        f"{max(reset_s, 1)}s.",
        headers=headers,
    )


def too_many_concurrent(limit: int | None) -> ApiError:
    return ApiError(
        429,
        "rate_limit_error",
        "rate_limit_exceeded",
        f"Too many requests in flight: this key allows {limit} at a time. Retry when one ends.",
        headers=((b"retry-after", b"1"),),
    )


def model_not_found(model: str) -> ApiError:
    return ApiError(
        404,
        "not_found_error",
        "model_not_found",
        f"The model '{model}' does not exist. Call GET /v1/models for the models you can use.",
        param="model",
    )


def request_too_large(limit_bytes: int) -> ApiError:
    return ApiError(
        413,
        "invalid_request_error",
        "request_too_large",
        f"The request body is larger than the limit of {limit_bytes:,} bytes.",
    )


def unknown_endpoint(method: str, path: str) -> ApiError:
    if path.startswith(("/v1/v1/", "/v1/v1beta/")) or path == "/v1/v1":
        return ApiError(
            404,
            "not_found_error",
            "unknown_endpoint",
            f"Unknown endpoint: {method} {path}. The path has '/v1' twice: your base URL "
            "probably ends in /v1 and the client adds another. Use the base URL "
            "'<host>/v1' for OpenAI-style clients (they add /chat/completions) and '<host>' "
            "without /v1 for Anthropic-style clients.",
        )
    return ApiError(
        404,
        "not_found_error",
        "unknown_endpoint",
        f"Unknown endpoint: {method} {path}. See /docs/ for the endpoints Tollgate serves.",
    )


def websocket_not_supported() -> ApiError:
    return ApiError(
        426,
        "invalid_request_error",
        "websocket_not_supported",
        "Tollgate serves the Responses API over HTTP only: POST /v1/responses (with "
        "stream=true for events).",
    )


def method_not_allowed(method: str, path: str, allowed: str) -> ApiError:
    return ApiError(
        405,
        "invalid_request_error",
        "method_not_allowed",
        f"{method} is not allowed on {path}; use {allowed}.",
        headers=((b"allow", allowed.encode()),),
    )


# What a client endpoint serves, for a model none of whose routes serves it.
SERVED = {
    "embeddings": "embeddings",
    "embed_content": "embeddings",
    "batch_embed_contents": "embeddings",
    "images": "image generation",
    "transcriptions": "audio transcriptions",
    "speech": "text to speech",
}


def no_route(model: str, endpoint: str = "") -> ApiError:
    """No route could take the call: none is available now, or (with `endpoint`, when every
    route was skipped for it) none serves that endpoint at all."""
    served = SERVED.get(endpoint)
    if served:
        message = (
            f"The model '{model}' has no route that serves {served}: its providers do not "
            "offer it. Pick another model (GET /v1/models lists them)."
        )
    else:
        message = (
            f"No provider is available for '{model}' right now. Try again later or pick "
            "another model."
        )
    return ApiError(
        503, "api_error", "no_route_available", message, headers=((b"retry-after", b"10"),)
    )


def upstream_error(detail: str) -> ApiError:
    return ApiError(502, "api_error", "upstream_error", f"The upstream provider failed: {detail}.")


def upstream_timeout() -> ApiError:
    return ApiError(
        504,
        "api_error",
        "upstream_timeout",
        "The upstream provider did not answer in time. Try again, or use stream=true for long "
        "generations.",
    )


def upstream_overloaded(retry_after: str | None) -> ApiError:
    """Every route is overloaded (Anthropic's 529): Anthropic clients get 529, OpenAI ones 503."""
    headers = ((b"retry-after", (retry_after or "5").encode()),)
    return ApiError(
        529,
        "overloaded_error",
        "upstream_overloaded",
        "The upstream provider is overloaded right now. Retry after a short wait.",
        headers=headers,
    )


def upstream_rate_limited(retry_after: str | None) -> ApiError:
    headers = ((b"retry-after", (retry_after or "5").encode()),)
    return ApiError(
        429,
        "rate_limit_error",
        "upstream_rate_limited",
        "Every provider for this model is rate-limiting right now. Retry after a short wait.",
        headers=headers,
    )


def internal_error() -> ApiError:
    return ApiError(
        500, "api_error", "internal_error", "Tollgate failed to handle this request. It is logged."
    )


def contract_headers(error: ApiError) -> tuple[tuple[bytes, bytes], ...]:
    """The error's headers plus those clients rely on: no retries of 401/403 (Claude Code would
    retry a bad key for minutes), and `retry-after` on 429, 503 and 529."""
    headers = error.headers
    names = {name for name, _ in headers}
    if error.status in (401, 403) and b"x-should-retry" not in names:
        headers += NO_RETRY
    if error.status in (429, 503, 529) and b"retry-after" not in names:
        headers += ((b"retry-after", b"5"),)
    return headers


_URL = re.compile(r"https?://\S+")
_KEYLIKE = re.compile(r"\b(sk|key|tok)[-_][A-Za-z0-9_\-*.]{6,}")


def scrub(message: str) -> str:
    """An upstream message without URLs or anything that looks like a key."""
    return _KEYLIKE.sub("[redacted]", _URL.sub("[upstream]", message))[:1000]


def from_upstream(status: int, body: bytes) -> ApiError:
    """A client error (400, 409, 413, 422) of the upstream, relayed in our shape."""
    message, code, param = "The upstream provider rejected the request.", None, None
    try:
        error = orjson.loads(body).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        error = None
    if isinstance(error, dict):
        if isinstance(error.get("message"), str):
            message = scrub(error["message"])
        code = error.get("code") if isinstance(error.get("code"), str) else None
        if code is None and error.get("type") not in (None, "invalid_request_error"):
            code = str(error["type"])[:100]  # Anthropic's shape: the type is the detail
        param = error.get("param") if isinstance(error.get("param"), str) else None
    elif isinstance(error, str):
        message = scrub(error)
    return ApiError(status, "invalid_request_error", code, message, param)
