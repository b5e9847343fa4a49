"""Gemini generateContent (../shared/protocols/gemini.md) to and from the canonical form.

Policies (conversion.md). Request fields are read in camelCase or snake_case and written in
camelCase. `systemInstruction` is the system prompt; consecutive contents of one role merge;
thought parts are thinking. A `functionCall` without an id gets `call_<content>_<part>`
(stable across turns), and each `functionResponse` answers the first unanswered call of the
model turn before it with its id, else its name; `{"output": x}` is a result, `{"error": x}`
a failed one, any other object the result as JSON. Images (inline, or fileData by https URL)
are images and inline text files text; other media (audio, video, PDF, uploaded files) answer
400, as do `cachedContent` (state only Gemini has) and a candidateCount above 1. Gemini
`parameters` schemas become JSON Schema (schema.py); `parametersJsonSchema` is taken as is.
Tool modes: AUTO and VALIDATED are auto, ANY is any (the tool, when one name is allowed; several
names narrow the tool list), NONE is none. `thinkingBudget` is a budget (-1, dynamic, is a
medium effort; 0 is off), `thinkingLevel` an effort. JSON output (`responseMimeType`
application/json with `responseJsonSchema`, or `responseSchema` converted) is a response
format. Dropped: safetySettings, built-in tools (googleSearch, codeExecution, ...) and their
parts, enum output, responseModalities, speechConfig, seed, penalties, logprobs,
mediaResolution, labels.

Rendering: tools go in one `functionDeclarations` tool with `parametersJsonSchema`; an effort
becomes a thinkingBudget (low/medium/high = 1024/8192/24576; "none"/"minimal" off where the
model allows it) with includeThoughts, budgets are capped at 24576 and added to the output
cap; the user turn after calls answers every call in call order (a call the client left
unanswered gets an error answer, a result without its call is dropped); thinking from any
provider is dropped; ids are not sent (Gemini pairs by position and name).

Thought signatures (calls.py): a call from Gemini keeps its `thoughtSignature` on
`ToolUse.signature` and inside its id, so OpenAI and Anthropic clients bring it back; the
first call of a model turn with no known signature gets Google's
`skip_thought_signature_validator`. Answers: a functionCall part means tool use (Gemini says
STOP), safety reasons and a blocked prompt a content filter; thoughts count as output.
"""

from __future__ import annotations

from proxy.protocols.gemini.calls import SKIP_SIGNATURE, call_id, signature_in
from proxy.protocols.gemini.contents import NO_RESULT
from proxy.protocols.gemini.embeddings import (
    parse_embeddings_request,
    parse_embeddings_response,
    render_embeddings_request,
    render_embeddings_response,
    rewrite_models,
)
from proxy.protocols.gemini.errors import render_error, stream_error
from proxy.protocols.gemini.messages import (
    BUDGETS,
    estimate_input_tokens,
    parse_request,
    render_request,
)
from proxy.protocols.gemini.response import (
    parse_response,
    parse_usage,
    render_response,
    render_usage,
)
from proxy.protocols.gemini.stream import decode_stream, encode_stream

__all__ = [
    "BUDGETS",
    "NO_RESULT",
    "SKIP_SIGNATURE",
    "call_id",
    "decode_stream",
    "encode_stream",
    "estimate_input_tokens",
    "parse_embeddings_request",
    "parse_embeddings_response",
    "parse_request",
    "parse_response",
    "parse_usage",
    "render_embeddings_request",
    "render_embeddings_response",
    "render_error",
    "render_request",
    "render_response",
    "render_usage",
    "rewrite_models",
    "signature_in",
    "stream_error",
]
