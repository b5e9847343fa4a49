"""Responses streams: canonical events in, Responses events out (openai-responses.md §3, §4).

Every event has an `event:` line, the same name in `type`, and a `sequence_number` counting
from 0. The stream always ends with one terminal event, `response.completed`,
`response.incomplete` or `response.failed`: Codex treats a stream without one as cut and
sends the whole turn again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import orjson

from proxy import sse
from proxy.canonical import (
    FinishReason,
    StreamError,
    StreamStop,
    TextDelta,
    ThinkingDelta,
    ToolCallDelta,
    ToolCallStart,
    UsageUpdate,
)
from proxy.protocols.responses.messages import (
    call_item,
    message_item,
    new_id,
    reasoning_item,
    response_object,
)

# https://platform.openai.com/docs/api-reference/responses/object (error.code)
ERROR_CODES = {429: "rate_limit_exceeded", 529: "server_is_overloaded"}


@dataclass(slots=True)
class OpenItem:
    """An output item being streamed: its kind, id, place in `output` and text so far."""

    kind: str  # "reasoning", "message" or "function_call"
    id: str
    index: int
    text: str = ""
    call_id: str = ""
    name: str = ""


@dataclass(slots=True)
class Encoder:
    model: str
    id: str = field(default_factory=lambda: new_id("resp"))
    sequence: int = 0
    output: list = field(default_factory=list)  # finished items, in order
    open: OpenItem | None = None  # the reasoning or message item being written
    calls: dict = field(default_factory=dict)  # canonical call index -> OpenItem
    slots: int = 0  # output indexes handed out

    def event(self, kind: str, **fields) -> bytes:
        payload = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        return sse.encode(orjson.dumps(payload), kind)

    def response(self, finish=None, usage=None) -> dict:
        return response_object(self.id, self.model, list(self.output), usage, finish)

    def start_item(self, kind: str, prefix: str, **extra) -> OpenItem:
        item = OpenItem(kind, new_id(prefix), self.slots, **extra)
        self.slots += 1
        return item

    def open_text(self, kind: str) -> list[bytes]:
        """Make `kind` ("reasoning" or "message") the open item, closing another one."""
        if self.open is not None and self.open.kind == kind:
            return []
        pieces = self.close_text()
        if kind == "reasoning":
            self.open = item = self.start_item("reasoning", "rs")
            pieces.append(self.added(reasoning_item(item.id, "")))
            part = {"type": "summary_text", "text": ""}
            pieces.append(
                self.event(
                    "response.reasoning_summary_part.added",
                    **self.where(item),
                    summary_index=0,
                    part=part,
                )
            )
        else:
            self.open = item = self.start_item("message", "msg")
            pieces.append(self.added(message_item(item.id, "", "in_progress")))
            part = {"type": "output_text", "text": "", "annotations": []}
            pieces.append(
                self.event(
                    "response.content_part.added", **self.where(item), content_index=0, part=part
                )
            )
        return pieces

    def close_text(self) -> list[bytes]:
        item, self.open = self.open, None
        if item is None:
            return []
        where = self.where(item)
        if item.kind == "reasoning":
            part = {"type": "summary_text", "text": item.text}
            return [
                self.event(
                    "response.reasoning_summary_text.done", **where, summary_index=0, text=item.text
                ),
                self.event(
                    "response.reasoning_summary_part.done", **where, summary_index=0, part=part
                ),
                self.done(item, reasoning_item(item.id, item.text)),
            ]
        part = {"type": "output_text", "text": item.text, "annotations": []}
        return [
            self.event(
                "response.output_text.done", **where, content_index=0, text=item.text, logprobs=[]
            ),
            self.event("response.content_part.done", **where, content_index=0, part=part),
            self.done(item, message_item(item.id, item.text)),
        ]

    def close_calls(self) -> list[bytes]:
        pieces = []
        for item in self.calls.values():
            pieces.append(
                self.event(
                    "response.function_call_arguments.done",
                    **self.where(item),
                    name=item.name,
                    arguments=item.text,
                )
            )
            pieces.append(self.done(item, call_item(item.id, item.call_id, item.name, item.text)))
        self.calls = {}
        return pieces

    def where(self, item: OpenItem) -> dict:
        return {"item_id": item.id, "output_index": item.index}

    def added(self, item: dict) -> bytes:
        return self.event("response.output_item.added", output_index=self.slots - 1, item=item)

    def done(self, item: OpenItem, complete: dict) -> bytes:
        self.output.append(complete)
        return self.event("response.output_item.done", output_index=item.index, item=complete)


async def encode_stream(
    events: AsyncIterator, *, model: str, include_usage: bool = False
) -> AsyncIterator[bytes]:
    """Canonical stream events -> Responses events (`include_usage` is unused: usage always
    comes in the terminal event)."""
    encoder = Encoder(model)
    finish, usage = FinishReason.STOP, None
    yield encoder.event("response.created", response=encoder.response())
    yield encoder.event("response.in_progress", response=encoder.response())
    async for event in events:
        pieces: list[bytes] = []
        if isinstance(event, ThinkingDelta) and event.text:
            pieces = encoder.open_text("reasoning")
            encoder.open.text += event.text
            pieces.append(
                encoder.event(
                    "response.reasoning_summary_text.delta",
                    **encoder.where(encoder.open),
                    summary_index=0,
                    delta=event.text,
                )
            )
        elif isinstance(event, TextDelta) and event.text:
            pieces = encoder.open_text("message")
            encoder.open.text += event.text
            pieces.append(
                encoder.event(
                    "response.output_text.delta",
                    **encoder.where(encoder.open),
                    content_index=0,
                    delta=event.text,
                    logprobs=[],
                )
            )
        elif isinstance(event, ToolCallStart):
            pieces = encoder.close_text()
            item = encoder.start_item("function_call", "fc", call_id=event.id, name=event.name)
            encoder.calls[event.index] = item
            pieces.append(
                encoder.added(call_item(item.id, event.id, event.name, "", "in_progress"))
            )
        elif isinstance(event, ToolCallDelta) and event.index in encoder.calls:
            item = encoder.calls[event.index]
            item.text += event.arguments
            pieces.append(
                encoder.event(
                    "response.function_call_arguments.delta",
                    **encoder.where(item),
                    delta=event.arguments,
                )
            )
        elif isinstance(event, UsageUpdate):
            usage = event.usage
        elif isinstance(event, StreamStop):
            finish = event.finish
            pieces = encoder.close_text() + encoder.close_calls()
        elif isinstance(event, StreamError):
            yield failed_event(encoder.event, encoder.response(), event)
            return
        for piece in pieces:
            yield piece
    for piece in encoder.close_text() + encoder.close_calls():
        yield piece
    response = encoder.response(finish, usage)
    yield encoder.event(f"response.{response['status']}", response=response)


def failed_event(make_event, response: dict, error: StreamError) -> bytes:
    response["status"] = "failed"
    response["error"] = {
        "code": ERROR_CODES.get(error.status, "server_error"),
        "message": error.message,
    }
    return make_event("response.failed", response=response)


def stream_error(event: StreamError) -> bytes:
    """An error after the first byte: `response.failed` with the message (Codex shows it).

    Its `sequence_number` is 0 here: this is called where the stream's count is not known."""

    def make_event(kind: str, **fields) -> bytes:
        payload = {"type": kind, "sequence_number": 0, **fields}
        return sse.encode(orjson.dumps(payload), kind)

    response = response_object(new_id("resp"), "", [], None, None)
    return failed_event(make_event, response, event)
