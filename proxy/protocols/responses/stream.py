"""Responses streams: canonical events in, Responses events out (openai-responses.md §3, §4).

Every event has an `event:` line, the same name in `type`, and a `sequence_number` counting
from 0. The stream always ends with one terminal event, `response.completed`,
`response.incomplete` or `response.failed`: Codex treats a stream without one as cut and
sends the whole turn again.
"""

from __future__ import annotations

import re
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
    custom_call_item,
    custom_input,
    custom_tool_names,
    echoed_settings,
    message_item,
    new_id,
    reasoning_item,
    response_object,
)

# https://platform.openai.com/docs/api-reference/responses/object (error.code)
ERROR_CODES = {429: "rate_limit_exceeded", 529: "server_is_overloaded"}
_INPUT_START = re.compile(r'\s*\{\s*"input"\s*:\s*"')
_HIGH_SURROGATE = re.compile(r"[dD][89abAB]")


@dataclass(slots=True)
class InputDecoder:
    """The `input` string of a custom tool call, decoded while its function wrapper's JSON
    (`{"input": "..."}`) arrives in fragments, so that the client sees the input grow. JSON of
    another shape gives nothing here; the whole input then comes when the call ends."""

    raw: str = ""
    scanned: int = -1  # raw[:scanned] is decoded; -1 until the string's start is seen
    finished: bool = False
    decoded: str = ""

    def feed(self, fragment: str) -> str:
        """The decoded characters that `fragment` completes (possibly none)."""
        self.raw += fragment
        if self.finished:
            return ""
        if self.scanned < 0:
            start = _INPUT_START.match(self.raw)
            if start is None:
                self.finished = len(self.raw) > 64  # not the wrapper's shape
                return ""
            self.scanned = start.end()
        end = self._safe_end()
        if end <= self.scanned:
            return ""
        try:
            piece = orjson.loads(b'"' + self.raw[self.scanned : end].encode() + b'"')
        except (orjson.JSONDecodeError, UnicodeEncodeError):
            self.finished = True
            return ""
        self.scanned = end
        self.decoded += piece
        return piece

    def _safe_end(self) -> int:
        """Where the decodable text ends: before the closing quote or an unfinished escape."""
        raw, at, size = self.raw, self.scanned, len(self.raw)
        while at < size:
            char = raw[at]
            if char == '"':
                self.finished = True
                return at
            if char != "\\":
                at += 1
            elif at + 1 < size and raw[at + 1] != "u":
                at += 2
            elif at + 6 <= size and not _HIGH_SURROGATE.match(raw, at + 2):
                at += 6
            elif at + 12 <= size:
                at += 12  # a surrogate pair: both halves at once
            else:
                break
        return at


@dataclass(slots=True)
class OpenItem:
    """An output item being streamed: its kind, id, place in `output` and text so far."""

    kind: str  # "reasoning", "message", "function_call" or "custom_tool_call"
    id: str
    index: int
    text: str = ""
    call_id: str = ""
    name: str = ""
    decoder: InputDecoder | None = None  # a custom tool call's input


@dataclass(slots=True)
class Encoder:
    model: str
    settings: dict = field(default_factory=dict)  # the request's, echoed in the response
    custom: frozenset = frozenset()  # names of the request's custom tools
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
        return response_object(self.id, self.model, list(self.output), usage, finish, self.settings)

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

    def start_call(self, event: ToolCallStart) -> bytes:
        """Open a function_call item, or a custom_tool_call one for a custom tool."""
        if event.name in self.custom:
            item = self.start_item("custom_tool_call", "ctc", call_id=event.id, name=event.name)
            item.decoder = InputDecoder()
            started = custom_call_item(item.id, event.id, event.name, "", "in_progress")
        else:
            item = self.start_item("function_call", "fc", call_id=event.id, name=event.name)
            started = call_item(item.id, event.id, event.name, "", "in_progress")
        self.calls[event.index] = item
        return self.added(started)

    def extend_call(self, item: OpenItem, fragment: str) -> list[bytes]:
        item.text += fragment
        if item.decoder is None:
            kind, delta = "response.function_call_arguments.delta", fragment
        else:
            kind, delta = "response.custom_tool_call_input.delta", item.decoder.feed(fragment)
        return [self.event(kind, **self.where(item), delta=delta)] if delta else []

    def close_custom_call(self, item: OpenItem) -> list[bytes]:
        decoded = item.decoder.decoded
        try:
            arguments = orjson.loads(item.text)
        except orjson.JSONDecodeError:
            arguments = None  # cut short: what could be decoded
        text = custom_input(arguments) if isinstance(arguments, dict) else decoded or item.text
        pieces = []
        if text.startswith(decoded) and len(text) > len(decoded):
            rest = text[len(decoded) :]
            pieces.append(
                self.event("response.custom_tool_call_input.delta", **self.where(item), delta=rest)
            )
        pieces.append(
            self.event("response.custom_tool_call_input.done", **self.where(item), input=text)
        )
        complete = custom_call_item(item.id, item.call_id, item.name, text)
        pieces.append(self.done(item, complete))
        return pieces

    def close_calls(self) -> list[bytes]:
        pieces = []
        for item in self.calls.values():
            if item.decoder is not None:
                pieces.extend(self.close_custom_call(item))
                continue
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
    events: AsyncIterator, *, model: str, include_usage: bool = False, request: dict | None = None
) -> AsyncIterator[bytes]:
    """Canonical stream events -> Responses events (`include_usage` is unused: usage always
    comes in the terminal event). `request`, the client's Responses body, supplies the echoed
    settings and which tools are custom (their calls stream as custom_tool_call items)."""
    encoder = Encoder(model, echoed_settings(request), custom_tool_names(request))
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
            pieces.append(encoder.start_call(event))
        elif isinstance(event, ToolCallDelta) and event.index in encoder.calls:
            pieces = encoder.extend_call(encoder.calls[event.index], event.arguments)
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


def stream_error(
    event: StreamError, *, response_id: str = "", sequence_number: int = 0, model: str = ""
) -> bytes:
    """An error after the first byte: `response.failed` with the message (Codex shows it).

    `response_id`, `sequence_number` (the next one) and `model` are those of the stream being
    ended, when known (a relayed stream); otherwise a new id and 0."""

    def make_event(kind: str, **fields) -> bytes:
        payload = {"type": kind, "sequence_number": sequence_number, **fields}
        return sse.encode(orjson.dumps(payload), kind)

    response = response_object(response_id or new_id("resp"), model, [], None, None)
    return failed_event(make_event, response, event)
