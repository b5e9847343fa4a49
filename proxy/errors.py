"""Errors of the /v1 API in the client's protocol (see the error contract in ARCHITECTURE.md)."""

from __future__ import annotations

from dataclasses import dataclass

import orjson


@dataclass(frozen=True)
class ApiError(Exception):
    """One error of the contract: HTTP status, OpenAI error type and code, and a message that
    tells the user what to do."""

    status: int
    type: str
    code: str | None
    message: str
    param: str | None = None
    headers: tuple[tuple[bytes, bytes], ...] = ()

    def openai_body(self) -> bytes:
        return orjson.dumps(
            {
                "error": {
                    "message": self.message,
                    "type": self.type,
                    "param": self.param,
                    "code": self.code,
                }
            }
        )


def unknown_endpoint(method: str, path: str) -> ApiError:
    return ApiError(
        404,
        "not_found_error",
        "unknown_endpoint",
        f"Unknown endpoint: {method} {path}. See the docs for the endpoints Tollgate serves.",
    )
