"""A fake OpenAI-compatible upstream: a real HTTP server (ASGI under uvicorn) on 127.0.0.1.

It records every request it receives and answers according to switches a test sets:
`status` (answer with that error), `delay_s` (before the headers), `chunk_delay_s` (between
stream events), `cut_after` (drop the connection after that many stream events), `tool_calls`
(answer with tool calls instead of text), `usage` (None: report no usage).

`/v1/responses` answers in the Responses API's shape (a response object, or its event stream
ending in `response.completed`), from the same switches. Responses created without
`store: false` are kept in `stored` for GET and DELETE /v1/responses/{id}.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import struct
import time
from dataclasses import dataclass, field

import orjson

from tests.servers import ThreadedUvicorn

DEFAULT_USAGE = {
    "prompt_tokens": 12,
    "completion_tokens": 5,
    "total_tokens": 17,
    "prompt_tokens_details": {"cached_tokens": 4},
    "completion_tokens_details": {"reasoning_tokens": 1},
}


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: str = ""

    @property
    def json(self) -> dict:
        return orjson.loads(self.body)

    @property
    def form(self) -> dict[str, tuple[str | None, str, bytes]]:
        """A multipart body's parts: name -> (file name, content type, content)."""
        return parse_multipart(self.headers.get("content-type", ""), self.body)


async def read_request(scope, receive, received: list[Received]) -> bytes:
    """Read the whole body, record the request in `received`, and return the body."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    query = scope.get("query_string", b"").decode()
    received.append(Received(scope["method"], scope["path"], headers, body, query))
    return body


@dataclass
class FakeOpenAI:
    reply: str = "Hello from the fake upstream"
    status: int = 200
    error_body: bytes | None = None
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    cut_after: int | None = None
    tool_calls: list[dict] | None = None
    usage: dict | None = field(default_factory=lambda: dict(DEFAULT_USAGE))
    received: list[Received] = field(default_factory=list)
    disconnected: int = 0
    streams_finished: int = 0
    stored: dict[str, dict] = field(default_factory=dict)  # response id -> response object
    # Media: the duration a transcription reports (None: none), the speech audio and its chunks
    audio_seconds: float | None = 1.5
    speech_audio: bytes = bytes(range(256)) * 256
    speech_chunk_bytes: int = 16_384
    response_id: str = "resp_fake"

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = await read_request(scope, receive, self.received)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.status != 200:
            error = self.error_body or orjson.dumps(
                {
                    "error": {
                        "message": f"fake error {self.status}",
                        "type": "server_error",
                        "param": None,
                        "code": None,
                    }
                }
            )
            await _send(send, self.status, error, extra=[(b"retry-after", b"1")])
            return
        if scope["method"] in ("GET", "DELETE"):
            await self.stored_response(scope, send)
            return
        if scope["path"].endswith("/audio/transcriptions"):
            await self.transcription(self.received[-1], send)
            return
        request = orjson.loads(body)
        if scope["path"].endswith("/images/generations"):
            await _send(send, 200, orjson.dumps(self.images(request)))
            return
        if scope["path"].endswith("/audio/speech"):
            await self.speech(request, receive, send)
            return
        self.response_id = f"resp_fake{len(self.received)}"
        self.before_answer(request)
        if scope["path"].endswith("/embeddings"):
            await _send(send, 200, orjson.dumps(self.embeddings(request)))
        elif scope["path"].endswith("/responses") and request.get("stream"):
            await self.stream(self.response_events(request), receive, send)
        elif scope["path"].endswith("/responses"):
            await _send(send, 200, orjson.dumps(self.keep(request, "completed")))
        elif request.get("stream"):
            await self.stream(self.stream_events(request), receive, send)
        else:
            await _send(
                send,
                200,
                orjson.dumps(self.completion(request)),
                extra=[(b"x-request-id", b"upstream-req-1")],
            )

    async def stored_response(self, scope, send) -> None:
        """GET or DELETE /v1/responses/{id}: a response kept in `stored`, else a 404."""
        response_id = scope["path"].rsplit("/", 1)[-1]
        found = self.stored.get(response_id)
        if found is None:
            message = f"Response with id '{response_id}' not found."
            error = {"message": message, "type": "invalid_request_error", "param": None}
            await _send(send, 404, orjson.dumps({"error": dict(error, code=None)}))
        elif scope["method"] == "DELETE":
            del self.stored[response_id]
            deleted = {"id": response_id, "object": "response", "deleted": True}
            await _send(send, 200, orjson.dumps(deleted))
        else:
            await _send(send, 200, orjson.dumps(found))

    def keep(self, request: dict, status: str) -> dict:
        """`response()`, kept in `stored` unless the request says `store: false`."""
        response = self.response(request, status)
        if request.get("store") is not False:
            self.stored[response["id"]] = response
        return response

    def before_answer(self, request: dict) -> None:
        """Hook for scripted fakes: set up the answer from the request (tool calls, reply)."""

    def completion(self, request: dict) -> dict:
        message: dict = {"role": "assistant", "content": self.reply, "refusal": None}
        finish = "stop"
        if self.tool_calls:
            message = {"role": "assistant", "content": None, "tool_calls": self.tool_calls}
            finish = "tool_calls"
        payload = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request["model"],
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            ],
        }
        if self.usage is not None:
            payload["usage"] = self.usage
        return payload

    def stream_events(self, request: dict) -> list[bytes]:
        include_usage = (request.get("stream_options") or {}).get("include_usage") is True
        base = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": request["model"],
        }

        def event(delta: dict, finish=None, **extra) -> bytes:
            chunk = dict(
                base, choices=[{"index": 0, "delta": delta, "finish_reason": finish}], **extra
            )
            if include_usage:
                chunk["usage"] = None
            return b"data: " + orjson.dumps(chunk) + b"\n\n"

        events = [event({"role": "assistant", "content": ""})]
        if self.tool_calls:
            for index, call in enumerate(self.tool_calls):
                arguments = call["function"]["arguments"]
                events.append(
                    event(
                        {
                            "tool_calls": [
                                {
                                    "index": index,
                                    "id": call["id"],
                                    "type": "function",
                                    "function": {"name": call["function"]["name"], "arguments": ""},
                                }
                            ]
                        }
                    )
                )
                middle = len(arguments) // 2
                for piece in (arguments[:middle], arguments[middle:]):
                    events.append(
                        event({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                    )
            events.append(event({}, "tool_calls"))
        else:
            for word in self.reply.split(" "):
                events.append(event({"content": word + " "}))
            events.append(event({}, "stop"))
        if include_usage and self.usage is not None:
            events.append(
                b"data: " + orjson.dumps(dict(base, choices=[], usage=self.usage)) + b"\n\n"
            )
        events.append(b"data: [DONE]\n\n")
        return events

    def response(self, request: dict, status: str) -> dict:
        """A Responses `response` object: text, or one function_call item per tool call."""
        output: list[dict] = []
        if status == "completed" and self.tool_calls:
            for number, call in enumerate(self.tool_calls):
                output.append(
                    {
                        "type": "function_call",
                        "id": f"fc_fake{number}",
                        "call_id": call["id"],
                        "name": call["function"]["name"],
                        "arguments": call["function"]["arguments"],
                        "status": "completed",
                    }
                )
        elif status == "completed":
            output.append(_message_item(self.reply))
        usage = None
        if status == "completed" and self.usage is not None:
            usage = {
                "input_tokens": self.usage["prompt_tokens"],
                "input_tokens_details": self.usage["prompt_tokens_details"],
                "output_tokens": self.usage["completion_tokens"],
                "output_tokens_details": self.usage["completion_tokens_details"],
                "total_tokens": self.usage["total_tokens"],
            }
        return {
            "id": self.response_id,
            "object": "response",
            "created_at": int(time.time()),
            "status": status,
            "model": request["model"],
            "error": None,
            "incomplete_details": None,
            "output": output,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": usage,
        }

    def response_events(self, request: dict) -> list[bytes]:
        """The Responses event stream of `response()`, with a `sequence_number` on each."""
        final = self.keep(request, "completed")
        events = [
            ("response.created", {"response": self.response(request, "in_progress")}),
            ("response.in_progress", {"response": self.response(request, "in_progress")}),
        ]
        for index, item in enumerate(final["output"]):
            where = {"output_index": index, "item_id": item["id"]}
            if item["type"] == "message":
                text = item["content"][0]["text"]
                events.append(
                    (
                        "response.output_item.added",
                        {"output_index": index, "item": dict(item, content=[])},
                    )
                )
                part = {"type": "output_text", "text": "", "annotations": []}
                events.append(
                    ("response.content_part.added", {**where, "content_index": 0, "part": part})
                )
                for piece in re.split(r"(?<= )", text, maxsplit=1):  # the first word, the rest
                    events.append(
                        (
                            "response.output_text.delta",
                            {**where, "content_index": 0, "delta": piece},
                        )
                    )
                events.append(
                    ("response.output_text.done", {**where, "content_index": 0, "text": text})
                )
            else:
                started = dict(item, arguments="", status="in_progress")
                events.append(
                    ("response.output_item.added", {"output_index": index, "item": started})
                )
                events.append(
                    (
                        "response.function_call_arguments.delta",
                        {**where, "delta": item["arguments"]},
                    )
                )
            events.append(("response.output_item.done", {"output_index": index, "item": item}))
        events.append(("response.completed", {"response": final}))
        return [
            b"event: "
            + kind.encode()
            + b"\ndata: "
            + orjson.dumps({"type": kind, "sequence_number": number, **fields})
            + b"\n\n"
            for number, (kind, fields) in enumerate(events)
        ]

    async def stream(
        self,
        events: list[bytes],
        receive,
        send,
        content_type: bytes = b"text/event-stream",
    ) -> None:
        gone = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.ensure_future(watch())
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", content_type)],
            }
        )
        try:
            for number, event in enumerate(events):
                if self.cut_after is not None and number >= self.cut_after:
                    raise ConnectionAbortedError  # uvicorn drops the connection
                if gone.is_set():
                    self.disconnected += 1
                    return
                await send({"type": "http.response.body", "body": event, "more_body": True})
                if self.chunk_delay_s:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(gone.wait(), self.chunk_delay_s)
            await send({"type": "http.response.body", "body": b""})
            self.streams_finished += 1
        finally:
            watcher.cancel()

    def embeddings(self, request: dict) -> dict:
        inputs = request["input"] if isinstance(request["input"], list) else [request["input"]]
        data = []
        for index, _ in enumerate(inputs):
            vector = [0.5, -0.25, 0.125]
            if request.get("encoding_format") == "base64":
                embedding = base64.b64encode(struct.pack("<3f", *vector)).decode()
            else:
                embedding = vector
            data.append({"object": "embedding", "index": index, "embedding": embedding})
        return {
            "object": "list",
            "data": data,
            "model": request["model"],
            "usage": {"prompt_tokens": 3 * len(inputs), "total_tokens": 3 * len(inputs)},
        }

    def images(self, request: dict) -> dict:
        count = request.get("n") or 1
        if request.get("response_format") == "b64_json":
            data = [{"b64_json": base64.b64encode(b"PNG%d" % i).decode()} for i in range(count)]
        else:
            data = [{"url": f"https://images.invalid/{i}.png"} for i in range(count)]
        return {"created": int(time.time()), "data": data}

    async def transcription(self, received: Received, send) -> None:
        """Text, or JSON with the duration (`audio_seconds`) where OpenAI reports it."""
        form = received.form
        text = "Hello from the fake transcription"
        response_format = form.get("response_format", (None, "", b"json"))[2].decode()
        if response_format == "text":
            body = (text + "\n").encode()
            await _send(send, 200, body, content_type=b"text/plain; charset=utf-8")
            return
        answer: dict = {"text": text}
        if response_format == "verbose_json":
            answer.update(task="transcribe", language="english", segments=[])
            if self.audio_seconds is not None:
                answer["duration"] = self.audio_seconds
        elif self.audio_seconds is not None:
            answer["usage"] = {"type": "duration", "seconds": self.audio_seconds}
        await _send(send, 200, orjson.dumps(answer))

    async def speech(self, request: dict, receive, send) -> None:
        """`speech_audio` in chunks, `chunk_delay_s` apart."""
        size = self.speech_chunk_bytes
        audio = self.speech_audio
        chunks = [audio[i : i + size] for i in range(0, len(audio), size)]
        await self.stream(chunks, receive, send, content_type=b"audio/mpeg")


def parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, str, bytes]]:
    """name -> (file name, content type, content) of a multipart/form-data body."""
    boundary = re.search(r"boundary=\"?([^\";]+)", content_type).group(1).encode()
    parts: dict[str, tuple[str | None, str, bytes]] = {}
    for chunk in body.split(b"--" + boundary)[1:-1]:
        head, _, content = chunk[2:-2].partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        disposition = next(v for v in lines if v.lower().startswith("content-disposition"))
        name = re.search(r'; name="([^"]*)"', disposition).group(1)
        filename = re.search(r'filename="([^"]*)"', disposition)
        kind = next(
            (v.split(":", 1)[1].strip() for v in lines if v.lower().startswith("content-type")), ""
        )
        parts[name] = (filename.group(1) if filename else None, kind, content)
    return parts


def _message_item(text: str) -> dict:
    return {
        "type": "message",
        "id": "msg_fake",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


async def _send(
    send,
    status: int,
    body: bytes,
    extra: list | None = None,
    content_type: bytes = b"application/json",
) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
    ] + (extra or [])
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def start_fake(fake: FakeOpenAI | None = None) -> tuple[FakeOpenAI, ThreadedUvicorn]:
    fake = fake or FakeOpenAI()
    return fake, ThreadedUvicorn(fake).start()
