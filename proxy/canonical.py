"""The neutral form that translation goes through: requests, responses, usage, stream events.

Only what Tollgate translates between protocols is modelled here; each protocol module parses
its wire format into these types and renders them back (proxy/protocols/). A same-protocol call
never goes through this module: its body is passed through untouched.

Usage buckets (conversion.md §8) are OpenAI's: `input` is the whole prompt, *including* the
cache reads (`cached`) and the cache writes (`cache_write`); `output` includes `reasoning`.
Anthropic reports its `input_tokens` without either cache bucket, so its parser adds them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


@dataclass(slots=True)
class Usage:
    input: int = 0  # the whole prompt: uncached + cached + cache_write
    output: int = 0  # generated tokens, reasoning included
    cached: int = 0  # prompt tokens read from a cache
    reasoning: int = 0
    cache_write: int = 0  # prompt tokens written to a cache (Anthropic's cache creation)
    estimated: bool = False

    @property
    def uncached(self) -> int:
        return max(0, self.input - self.cached - self.cache_write)


class FinishReason(enum.StrEnum):
    STOP = "stop"  # natural end
    STOP_SEQUENCE = "stop_sequence"  # one of the request's stop sequences matched
    LENGTH = "length"  # the output cap or the context window was reached
    TOOL_USE = "tool_use"  # the turn ends with tool calls to run
    CONTENT_FILTER = "content_filter"  # refused or filtered


# Message parts -----------------------------------------------------------------------------


@dataclass(slots=True)
class Text:
    text: str


@dataclass(slots=True)
class Image:
    """An image, inline (`data` in base64 with its media type) or by `url`."""

    media_type: str = ""
    data: str = ""
    url: str = ""


@dataclass(slots=True)
class ToolUse:
    id: str
    name: str
    input: dict = field(default_factory=dict)
    signature: str = ""  # Gemini's thoughtSignature of the call, only valid at Gemini


@dataclass(slots=True)
class ToolResult:
    tool_use_id: str
    content: list = field(default_factory=list)  # Text and Image parts
    is_error: bool = False


@dataclass(slots=True)
class Thinking:
    """Reasoning text. `signature` (Anthropic) is only valid at the provider that made it."""

    text: str = ""
    signature: str = ""
    redacted: str = ""  # Anthropic's redacted_thinking data


Part = Text | Image | ToolUse | ToolResult | Thinking


@dataclass(slots=True)
class Message:
    role: str  # "user" or "assistant"
    parts: list = field(default_factory=list)


@dataclass(slots=True)
class Tool:
    name: str
    description: str = ""
    schema: dict = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(slots=True)
class ToolChoice:
    mode: str = "auto"  # "auto", "any" (some tool), "tool" (the one named), "none"
    name: str = ""
    parallel: bool = True  # False: at most one call in the turn


@dataclass(slots=True)
class ResponseFormat:
    """Structured output: `kind` "json_object" (any JSON object) or "json_schema" (`schema`)."""

    kind: str
    name: str = "response"
    schema: dict | None = None
    strict: bool | None = None
    description: str = ""


@dataclass(slots=True)
class ChatRequest:
    model: str
    messages: list[Message]
    system: list[str] = field(default_factory=list)
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] = field(default_factory=list)
    stream: bool = False
    tools: list[Tool] = field(default_factory=list)
    tool_choice: ToolChoice | None = None
    # Thinking, as an Anthropic budget or an OpenAI effort; a renderer converts between them.
    thinking_budget: int | None = None
    reasoning_effort: str | None = None
    user: str | None = None
    include_usage: bool = False  # an OpenAI client asked for the usage chunk of a stream
    response_format: ResponseFormat | None = None  # None: plain text


@dataclass(slots=True)
class ChatResponse:
    id: str
    model: str
    parts: list  # Text, ToolUse and Thinking parts in order
    finish: FinishReason = FinishReason.STOP
    stop_sequence: str | None = None
    usage: Usage | None = None


# Embeddings (conversion.md §13) ------------------------------------------------------------


@dataclass(slots=True)
class EmbeddingsRequest:
    texts: list[str]  # one vector each, in this order
    dimensions: int | None = None  # None: the model's own size


@dataclass(slots=True)
class EmbeddingsResponse:
    vectors: list[list[float]]  # in the order of the request's texts
    usage: Usage | None = None  # None: not reported (Gemini)


# Stream events -----------------------------------------------------------------------------


@dataclass(slots=True)
class StreamStart:
    id: str
    model: str
    usage: Usage | None = None  # what is known of the prompt at the start (Anthropic)


@dataclass(slots=True)
class TextDelta:
    text: str


@dataclass(slots=True)
class ThinkingDelta:
    text: str = ""
    signature: str = ""


@dataclass(slots=True)
class ToolCallStart:
    index: int  # the call's position among this answer's tool calls (0, 1, ...)
    id: str
    name: str


@dataclass(slots=True)
class ToolCallDelta:
    index: int
    arguments: str  # a fragment of the JSON text of the call's input


@dataclass(slots=True)
class UsageUpdate:
    usage: Usage  # cumulative: replaces what came before


@dataclass(slots=True)
class StreamStop:
    finish: FinishReason
    stop_sequence: str | None = None


@dataclass(slots=True)
class StreamError:
    """The upstream failed after its first byte; the client gets its protocol's error event."""

    status: int
    type: str  # Anthropic-style error type: overloaded_error, api_error, timeout_error, ...
    message: str


StreamEvent = (
    StreamStart
    | TextDelta
    | ThinkingDelta
    | ToolCallStart
    | ToolCallDelta
    | UsageUpdate
    | StreamStop
    | StreamError
)
