"""Tool call ids and thought signatures of Gemini function calls.

Gemini matches calls and results by position and name; its calls often carry no `id`, so one
is made up. On Gemini 3 every `functionCall` the model produced must come back with its
`thoughtSignature`, or the API answers 400. OpenAI and Anthropic clients keep nothing of a
tool call but its id, so a call that came from Gemini carries its signature *in its id*:
`<id>__ts_<signature in URL-safe base64, unpadded>`, which is in Anthropic's id alphabet
(`[A-Za-z0-9_-]`) and comes back unchanged on the client's next request. The cost is long ids
(a signature is hundreds of characters): OpenAI itself refuses tool call ids over 40
characters, so that history cannot then be sent to an OpenAI route as is.
"""

from __future__ import annotations

import re
import uuid

# Google's documented value for a call whose signature is unknown (history from another model).
SKIP_SIGNATURE = "skip_thought_signature_validator"
SIGNATURE_MARK = "__ts_"
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+=*")


def new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def call_id(upstream_id: str, signature: str) -> str:
    """The id a Gemini call gets in the canonical form: its own (or a new one), plus its
    signature when it has one that can be carried."""
    base = upstream_id.split(SIGNATURE_MARK, 1)[0] if upstream_id else new_call_id()
    if not signature or signature == SKIP_SIGNATURE or not _BASE64.fullmatch(signature):
        return base
    packed = signature.rstrip("=").replace("+", "-").replace("/", "_")
    return f"{base}{SIGNATURE_MARK}{packed}"


def signature_in(tool_call_id: str) -> str:
    """The thought signature carried in `tool_call_id` (standard base64), or ""."""
    if SIGNATURE_MARK not in tool_call_id:
        return ""
    packed = tool_call_id.split(SIGNATURE_MARK, 1)[1]
    if not packed:
        return ""
    signature = packed.replace("-", "+").replace("_", "/")
    return signature + "=" * (-len(signature) % 4)
