"""A fake Gemini API upstream: a real HTTP server (ASGI under uvicorn) on 127.0.0.1.

It serves `/v1beta/models/{model}:generateContent`, `:streamGenerateContent?alt=sse`,
`:countTokens`, `:embedContent` and `:batchEmbedContents` (vectors of `outputDimensionality`
values, 4 by default: `(n + 1) / 8` then ±0.25 for the n-th request, with no usage unless
`embed_usage` is set), records every request, and answers according to switches a test sets:
`status` (answer with that error in Gemini's shape, with the ErrorInfo `error_reason` if set),
`function_calls` (answer with these calls after the text, each with a thought signature),
`thought` (a thought summary part first), `usage` (None: report none), `cut_after` (drop the
connection after that many chunks).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import orjson

from tests.fakes.openai_upstream import Received, _send, read_request
from tests.servers import ThreadedUvicorn

DEFAULT_USAGE = {
    "promptTokenCount": 20,
    "candidatesTokenCount": 7,
    "thoughtsTokenCount": 3,
    "cachedContentTokenCount": 5,
    "totalTokenCount": 30,
}
STATUSES = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 429: "RESOURCE_EXHAUSTED",
            500: "INTERNAL", 503: "UNAVAILABLE"}  # fmt: skip


@dataclass
class FakeGemini:
    reply: str = "Hello from the fake Gemini"
    status: int = 200
    function_calls: list[dict] | None = None  # [{"name", "args"}]
    thought: str | None = None
    usage: dict | None = field(default_factory=lambda: dict(DEFAULT_USAGE))
    cut_after: int | None = None
    error_reason: str | None = None  # an ErrorInfo reason in the error, e.g. API_KEY_INVALID
    embed_usage: dict | None = None  # a usageMetadata for embedding answers (Gemini sends none)
    received: list[Received] = field(default_factory=list)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = await read_request(scope, receive, self.received)
        if self.status != 200:
            error = {
                "code": self.status,
                "message": f"fake {STATUSES.get(self.status, 'INTERNAL')}",
                "status": STATUSES.get(self.status, "INTERNAL"),
            }
            if self.error_reason:
                info = "type.googleapis.com/google.rpc.ErrorInfo"
                error["details"] = [{"@type": info, "reason": self.error_reason}]
            await _send(send, self.status, orjson.dumps({"error": error}))
            return
        request = orjson.loads(body)
        self.before_answer(request)
        method = scope["path"].rpartition(":")[2]
        model = scope["path"].rpartition("/models/")[2].rpartition(":")[0]
        if method == "countTokens":
            await _send(send, 200, orjson.dumps({"totalTokens": 31}))
        elif method in ("embedContent", "batchEmbedContents"):
            await _send(send, 200, orjson.dumps(self.embeddings(method, request)))
        elif method == "streamGenerateContent":
            await self.stream(model, send)
        else:
            await _send(send, 200, orjson.dumps(self.answer(model, self.parts())))

    def before_answer(self, request: dict) -> None:
        """Hook for scripted fakes: set up the answer from the request."""

    def embeddings(self, method: str, request: dict) -> dict:
        requests = request["requests"] if method == "batchEmbedContents" else [request]
        vectors = []
        for number, item in enumerate(requests):
            size = item.get("outputDimensionality") or 4
            values = [(number + 1) / 8] + [0.25 * (-1) ** n for n in range(1, size)]
            vectors.append({"values": values})
        answer: dict = (
            {"embeddings": vectors} if method == "batchEmbedContents" else {"embedding": vectors[0]}
        )
        if self.embed_usage is not None:
            answer["usageMetadata"] = self.embed_usage
        return answer

    def parts(self) -> list[dict]:
        parts = []
        if self.thought:
            parts.append({"text": self.thought, "thought": True})
        if self.reply:
            parts.append({"text": self.reply})
        for number, call in enumerate(self.function_calls or []):
            signature = base64.b64encode(f"sig-{number}".encode()).decode()
            parts.append({"functionCall": call, "thoughtSignature": signature})
        return parts

    def answer(self, model: str, parts: list[dict], last: bool = True) -> dict:
        candidate: dict = {"content": {"role": "model", "parts": parts}, "index": 0}
        if last:
            candidate["finishReason"] = "STOP"
        payload: dict = {"candidates": [candidate], "modelVersion": model, "responseId": "fake-r1"}
        if self.usage is not None:
            payload["usageMetadata"] = (
                self.usage
                if last
                else {"promptTokenCount": self.usage["promptTokenCount"], "totalTokenCount": 0}
            )
        return payload

    def chunks(self, model: str) -> list[dict]:
        pieces: list[list[dict]] = []
        if self.thought:
            pieces.append([{"text": self.thought, "thought": True}])
        words = self.reply.split(" ") if self.reply else []
        for number, word in enumerate(words):
            pieces.append([{"text": word if number == 0 else " " + word}])
        calls = [part for part in self.parts() if "functionCall" in part]
        if calls:
            pieces.append(calls)
        if not pieces:
            pieces.append([{"text": ""}])
        return [
            self.answer(model, parts, last=number == len(pieces) - 1)
            for number, parts in enumerate(pieces)
        ]

    async def stream(self, model: str, send) -> None:
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for number, chunk in enumerate(self.chunks(model)):
            if self.cut_after is not None and number >= self.cut_after:
                raise ConnectionAbortedError  # uvicorn drops the connection
            body = b"data: " + orjson.dumps(chunk) + b"\r\n\r\n"
            await send({"type": "http.response.body", "body": body, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def start_fake(fake: FakeGemini | None = None) -> tuple[FakeGemini, ThreadedUvicorn]:
    fake = fake or FakeGemini()
    return fake, ThreadedUvicorn(fake).start()
