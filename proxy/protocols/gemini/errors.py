"""Gemini's error envelope, for Tollgate's own errors and errors inside a stream."""

from __future__ import annotations

import orjson

from proxy import sse
from proxy.canonical import StreamError
from proxy.errors import ApiError

# HTTP status -> google.rpc status name (gemini.md §5; the HTTP mapping of
# https://cloud.google.com/apis/design/errors#handling_errors).
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "INVALID_ARGUMENT",
    409: "ABORTED",
    412: "FAILED_PRECONDITION",
    413: "INVALID_ARGUMENT",  # Google has none for a body too large (conversion.md §11)
    426: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",  # gRPC has no bad gateway (conversion.md §11, a Tollgate policy)
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
# google.rpc status name -> the Anthropic-style type of a canonical StreamError.
STREAM_ERROR_TYPES = {
    "INVALID_ARGUMENT": "invalid_request_error",
    "FAILED_PRECONDITION": "invalid_request_error",
    "UNAUTHENTICATED": "authentication_error",
    "PERMISSION_DENIED": "permission_error",
    "NOT_FOUND": "not_found_error",
    "RESOURCE_EXHAUSTED": "rate_limit_error",
    "UNAVAILABLE": "overloaded_error",
    "DEADLINE_EXCEEDED": "timeout_error",
}
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"


def gemini_status(status: int) -> tuple[int, str]:
    """The HTTP status a Gemini client gets (529, which Google never sends, is 503) and its
    google.rpc status name."""
    if status == 529:
        status = 503
    name = STATUS_NAMES.get(status)
    if name is None:
        name = "INTERNAL" if status >= 500 else "INVALID_ARGUMENT"
    return status, name


def _envelope(status: int, message: str, reason: str, metadata: dict) -> dict:
    status, name = gemini_status(status)
    info = {"@type": ERROR_INFO, "reason": reason.upper(), "domain": "tollgate"}
    if metadata:
        info["metadata"] = metadata
    return {"error": {"code": status, "message": message, "status": name, "details": [info]}}


def render_error(error: ApiError, request_id: str) -> tuple[int, bytes, tuple]:
    """(status, body, headers) of an error for a Gemini client: Google's envelope, with
    Tollgate's code as an ErrorInfo reason (INSUFFICIENT_QUOTA, MODEL_NOT_FOUND, ...) and, on
    a 429, the retry-after header as a RetryInfo delay."""
    metadata = {"request_id": request_id}
    if error.param:
        metadata["param"] = error.param
    body = _envelope(error.status, error.message, error.code or error.type, metadata)
    retry = dict(error.headers).get(b"retry-after")
    if error.status == 429 and retry and retry.isdigit():
        body["error"]["details"].append({"@type": RETRY_INFO, "retryDelay": f"{int(retry)}s"})
    return body["error"]["code"], orjson.dumps(body), error.headers


def stream_error(event: StreamError) -> bytes:
    """An error after the first byte: a last `data: {"error": ...}` chunk, then the end."""
    body = _envelope(event.status, event.message, event.type or "api_error", {})
    return sse.encode(orjson.dumps(body))


def decode_error(error) -> StreamError:
    """An `error` object met in an upstream stream as a canonical StreamError (Google's 503
    is an overload, as Anthropic's 529)."""
    error = error if isinstance(error, dict) else {"message": str(error)}
    code = error.get("code")
    status = code if isinstance(code, int) and 400 <= code <= 599 else 502
    name = str(error.get("status") or gemini_status(status)[1])
    kind = STREAM_ERROR_TYPES.get(name, "api_error")
    if kind == "overloaded_error":
        status = 529
    return StreamError(status, kind, str(error.get("message") or "upstream error"))
