"""A fake Anthropic Messages upstream: a real HTTP server (ASGI under uvicorn) on 127.0.0.1.

It records every request and answers according to switches a test sets: `status` (answer with
that error in Anthropic's shape; 529 is `overloaded_error`), `delay_s` (before the headers),
`tool_uses` (answer with these tool calls after the text), `thinking` (a signed thinking block
first), `usage` (None: report none), `stream_error` (an `event: error` after the first block).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import orjson

from tests.fakes.openai_upstream import Received, _send, read_request
from tests.servers import ThreadedUvicorn

DEFAULT_USAGE = {
    "input_tokens": 10,
    "cache_creation_input_tokens": 3,
    "cache_read_input_tokens": 4,
    "output_tokens": 6,
}
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass
class FakeAnthropic:
    reply: str = "Hello from the fake Claude"
    status: int = 200
    delay_s: float = 0.0
    tool_uses: list[dict] | None = None  # [{"id", "name", "input"}]
    thinking: str | None = None
    usage: dict | None = field(default_factory=lambda: dict(DEFAULT_USAGE))
    stream_error: bool = False
    received: list[Received] = field(default_factory=list)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = await read_request(scope, receive, self.received)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.status != 200:
            error_type = ERROR_TYPES.get(self.status, "api_error")
            error = {
                "type": "error",
                "error": {"type": error_type, "message": f"fake {error_type}"},
            }
            await _send(send, self.status, orjson.dumps(error), extra=[(b"retry-after", b"1")])
            return
        request = orjson.loads(body)
        if scope["path"].endswith("/count_tokens"):
            await _send(send, 200, orjson.dumps({"input_tokens": 42}))
        elif request.get("stream"):
            await self.stream(request, send)
        else:
            await _send(
                send,
                200,
                orjson.dumps(self.message(request)),
                extra=[(b"request-id", b"req_fake_anthropic")],
            )

    def blocks(self) -> list[dict]:
        blocks = []
        if self.thinking:
            blocks.append({"type": "thinking", "thinking": self.thinking, "signature": "sig-1"})
        blocks.append({"type": "text", "text": self.reply})
        for call in self.tool_uses or []:
            blocks.append({"type": "tool_use", **call})
        return blocks

    def message(self, request: dict) -> dict:
        return {
            "id": "msg_fake01",
            "type": "message",
            "role": "assistant",
            "model": request["model"],
            "content": self.blocks(),
            "stop_reason": "tool_use" if self.tool_uses else "end_turn",
            "stop_sequence": None,
            "usage": self.usage or {},
        }

    def stream_events(self, request: dict) -> list[bytes]:
        usage = self.usage or {}
        start_usage = {k: v for k, v in usage.items() if k != "output_tokens"}
        message = dict(self.message(request), content=[], stop_reason=None)
        message["usage"] = dict(start_usage, output_tokens=1) if self.usage else {}
        events = [event({"type": "message_start", "message": message}), event({"type": "ping"})]
        for index, block in enumerate(self.blocks()):
            if block["type"] == "text":
                start, deltas = {"type": "text", "text": ""}, []
                for word in block["text"].split(" "):
                    deltas.append({"type": "text_delta", "text": word + " "})
            elif block["type"] == "thinking":
                start = {"type": "thinking", "thinking": "", "signature": ""}
                deltas = [
                    {"type": "thinking_delta", "thinking": block["thinking"]},
                    {"type": "signature_delta", "signature": block["signature"]},
                ]
            else:
                start = dict(block, input={})
                text = orjson.dumps(block["input"]).decode()
                middle = len(text) // 2
                deltas = [
                    {"type": "input_json_delta", "partial_json": piece}
                    for piece in ("", text[:middle], text[middle:])
                ]
            events.append(
                event({"type": "content_block_start", "index": index, "content_block": start})
            )
            for delta in deltas:
                events.append(
                    event({"type": "content_block_delta", "index": index, "delta": delta})
                )
            events.append(event({"type": "content_block_stop", "index": index}))
            if self.stream_error:
                overloaded = {"type": "overloaded_error", "message": "Overloaded"}
                events.append(event({"type": "error", "error": overloaded}))
                return events
        delta = {"stop_reason": self.message(request)["stop_reason"], "stop_sequence": None}
        final = {"output_tokens": usage["output_tokens"]} if self.usage else {}
        events.append(event({"type": "message_delta", "delta": delta, "usage": final}))
        events.append(event({"type": "message_stop"}))
        return events

    async def stream(self, request: dict, send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream"), (b"request-id", b"req_s")],
            }
        )
        for piece in self.stream_events(request):
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def event(payload: dict) -> bytes:
    return b"event: " + payload["type"].encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


def start_fake(fake: FakeAnthropic | None = None) -> tuple[FakeAnthropic, ThreadedUvicorn]:
    fake = fake or FakeAnthropic()
    return fake, ThreadedUvicorn(fake).start()
