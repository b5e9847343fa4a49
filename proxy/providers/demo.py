"""The built-in demo provider: answers in the OpenAI protocol without any network.

It quotes the last user message back in a short, deterministic reply, with usage numbers of
realistic size, so that the whole flow (tokens, metering, charging, dashboards) can be tried
offline. Every reply says that it comes from the demo model.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import time
import uuid
from collections.abc import AsyncIterator

import orjson

from proxy.metering import estimate_tokens
from proxy.providers.base import Provider
from proxy.upstream import UpstreamResponse

QUOTE_CHARS = 200


class Demo(Provider):
    protocol = "openai"
    paths = {"chat": "", "completions": "", "embeddings": ""}

    async def send(
        self,
        endpoint: str,
        body: bytes,
        *,
        stream: bool,
        headers: dict | None = None,
        model: str = "",
    ) -> UpstreamResponse:
        request = orjson.loads(body)
        if endpoint == "embeddings":
            payload = embeddings(request)
            return _json_response(payload)
        text = reply_text(request, endpoint)
        usage = {
            "prompt_tokens": estimate_tokens(len(body)),
            "completion_tokens": len(words(text)),
            "total_tokens": 0,
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        model = request.get("model", "demo")
        if stream:
            include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
            return UpstreamResponse(
                status=200,
                headers={"content-type": "text/event-stream", "x-request-id": _id("demo")},
                chunks=stream_chunks(endpoint, model, text, usage if include_usage else None),
            )
        if endpoint == "completions":
            payload = {
                "id": _id("cmpl"),
                "object": "text_completion",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": "stop"}],
                "usage": usage,
            }
        else:
            payload = {
                "id": _id("chatcmpl"),
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            }
        return _json_response(payload)


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def _json_response(payload: dict) -> UpstreamResponse:
    body = orjson.dumps(payload)

    async def chunks() -> AsyncIterator[bytes]:
        yield body

    return UpstreamResponse(
        status=200,
        headers={"content-type": "application/json", "x-request-id": _id("demo")},
        chunks=chunks(),
    )


def words(text: str) -> list[str]:
    """The reply split into pieces that keep their spaces (one streamed chunk each)."""
    pieces = text.split(" ")
    return [piece + " " for piece in pieces[:-1]] + [pieces[-1]]


def last_user_text(request: dict, endpoint: str) -> str:
    if endpoint == "completions":
        prompt = request.get("prompt")
        if isinstance(prompt, list):
            prompt = " ".join(str(p) for p in prompt)
        return str(prompt or "")
    for message in reversed(request.get("messages") or []):
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return " ".join(
                part.get("text", "")
                for part in content
                if isinstance(part, dict) and part.get("type") == "text"
            )
    return ""


def reply_text(request: dict, endpoint: str) -> str:
    said = " ".join(last_user_text(request, endpoint).split())
    if len(said) > QUOTE_CHARS:
        said = said[: QUOTE_CHARS - 1] + "…"
    if not said:
        return "Hello from the Tollgate demo model. Send a message and I will quote it back."
    return f'This is the Tollgate demo model (no real LLM). You said: "{said}"'


async def stream_chunks(
    endpoint: str, model: str, text: str, usage: dict | None
) -> AsyncIterator[bytes]:
    created = int(time.time())
    if endpoint == "completions":
        ident, obj = _id("cmpl"), "text_completion"

        def chunk(piece: str | None, finish: str | None) -> dict:
            choice = {"index": 0, "text": piece or "", "logprobs": None, "finish_reason": finish}
            return {
                "id": ident,
                "object": obj,
                "created": created,
                "model": model,
                "choices": [choice],
            }
    else:
        ident, obj = _id("chatcmpl"), "chat.completion.chunk"

        def chunk(piece: str | None, finish: str | None) -> dict:
            delta = {} if piece is None else {"content": piece}
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return {
                "id": ident,
                "object": obj,
                "created": created,
                "model": model,
                "choices": [choice],
            }

    if endpoint != "completions":
        first = chunk(None, None)
        first["choices"][0]["delta"] = {"role": "assistant", "content": ""}
        yield _event(first, usage is not None)
    for piece in words(text):
        yield _event(chunk(piece, None), usage is not None)
    yield _event(chunk(None, "stop"), usage is not None)
    if usage is not None:
        yield (
            b"data: "
            + orjson.dumps(
                {
                    "id": ident,
                    "object": obj,
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": usage,
                }
            )
            + b"\n\n"
        )
    yield b"data: [DONE]\n\n"


def _event(payload: dict, with_usage_key: bool) -> bytes:
    if with_usage_key:
        payload["usage"] = None
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def embeddings(request: dict) -> dict:
    """Deterministic unit-length vectors derived from each input's hash."""
    inputs = request.get("input")
    items = inputs if isinstance(inputs, list) else [inputs]
    if items and all(isinstance(i, int) for i in items):
        items = [items]  # one input given as token ids
    dimensions = request.get("dimensions")
    size = dimensions if isinstance(dimensions, int) and 1 <= dimensions <= 4096 else 64
    as_base64 = request.get("encoding_format") == "base64"
    data = []
    total_tokens = 0
    for index, item in enumerate(items):
        text = item if isinstance(item, str) else orjson.dumps(item).decode()
        total_tokens += estimate_tokens(len(text.encode()))
        vector = _vector(text, size)
        embedding = (
            base64.b64encode(struct.pack(f"<{size}f", *vector)).decode() if as_base64 else vector
        )
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    return {
        "object": "list",
        "data": data,
        "model": request.get("model", "demo"),
        "usage": {"prompt_tokens": total_tokens, "total_tokens": total_tokens},
    }


def _vector(text: str, size: int) -> list[float]:
    values = []
    counter = 0
    while len(values) < size:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        values.extend((byte - 127.5) / 127.5 for byte in digest)
        counter += 1
    values = values[:size]
    norm = sum(v * v for v in values) ** 0.5 or 1.0
    return [v / norm for v in values]
