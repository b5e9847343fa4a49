"""Gemini contents: parts and turns to and from canonical messages (see messages.py)."""

from __future__ import annotations

import base64
import binascii
import mimetypes

import orjson

from proxy import errors
from proxy.canonical import Image, Message, Text, Thinking, ToolResult, ToolUse
from proxy.protocols.gemini.calls import SKIP_SIGNATURE, signature_in
from proxy.protocols.gemini.casing import get, snake

NO_RESULT = "(no result: the call was cancelled)"
# Parts that only qualify another part, and parts of built-in tools that do not cross providers.
MODIFIERS = {"thought", "thoughtSignature", "videoMetadata", "mediaResolution", "partMetadata"}
MODIFIERS |= {snake(name) for name in MODIFIERS}
DROPPED_PARTS = ("executableCode", "codeExecutionResult", "toolCall", "toolResponse")


def bad(message: str, param: str | None = "contents") -> errors.ApiError:
    return errors.bad_request(message, param)


class _Pairing:
    """Gives each call of a request an id and each function response the id of its call.

    Calls without an id get `call_<content>_<part>` (stable, so the upstream's prompt cache
    still matches on the next turn). A response takes the id of the first unanswered call of
    the model turn before it with the same id, else with the same name (conversion.md §4)."""

    def __init__(self) -> None:
        self.pending: list[ToolUse] = []

    def call(self, payload: dict, part: dict, where: tuple[int, int]) -> ToolUse:
        name = payload.get("name")
        if not isinstance(name, str) or not name:
            raise bad(f"contents[{where[0]}].parts[{where[1]}].functionCall needs a 'name'.")
        args = payload.get("args")
        ident = payload.get("id")
        signature = get(part, "thoughtSignature")
        call = ToolUse(
            ident if isinstance(ident, str) and ident else "call_{}_{}".format(*where),
            name,
            args if isinstance(args, dict) else {},
            signature if isinstance(signature, str) else "",
        )
        self.pending.append(call)
        return call

    def answer(self, payload: dict, where: tuple[int, int]) -> str:
        ident, name = payload.get("id"), payload.get("name")
        match = next((c for c in self.pending if ident and c.id == ident), None)
        match = match or next((c for c in self.pending if c.name == name), None)
        if match is None:
            return ident if isinstance(ident, str) and ident else "call_{}_{}".format(*where)
        self.pending.remove(match)
        return match.id


def _decode_text(data: str, where: str) -> Text:
    try:
        return Text(base64.b64decode(data, validate=True).decode())
    except (binascii.Error, UnicodeDecodeError):
        raise bad(f"{where}.inlineData.data is not base64 of UTF-8 text.") from None


def _parse_inline(blob, where: str) -> Image | Text:
    blob = blob if isinstance(blob, dict) else {}
    mime, data = str(get(blob, "mimeType") or ""), blob.get("data")
    if not isinstance(data, str) or not data:
        raise bad(f"{where}.inlineData needs 'data' (base64) and 'mimeType'.")
    # google-genai sends URL-safe base64, which Gemini takes and OpenAI and Anthropic refuse.
    data = data.replace("-", "+").replace("_", "/")
    data += "=" * (-len(data) % 4)
    if mime.startswith("image/"):
        return Image(media_type=mime, data=data)
    if mime.startswith("text/") or mime in ("application/json", "application/xml"):
        return _decode_text(data, where)
    raise bad(
        f"{where}: inlineData of type '{mime or 'unknown'}' cannot be sent to this model's "
        "provider; only images and text are translated. Use a Gemini model for audio, video "
        "and PDF input."
    )


def _parse_file(file, where: str) -> Image:
    file = file if isinstance(file, dict) else {}
    uri, mime = str(get(file, "fileUri") or ""), str(get(file, "mimeType") or "")
    guessed = mimetypes.guess_type(uri.split("?", 1)[0])[0] or ""
    is_image = (mime or guessed).startswith("image/")
    if uri.startswith(("http://", "https://")) and "googleapis.com" not in uri and is_image:
        return Image(url=uri)
    raise bad(
        f"{where}: fileData '{uri[:100]}' cannot be sent to this model's provider: only Gemini "
        "reads files uploaded to Google, and only images are fetched by URL. Send the content "
        "inline (inlineData) instead."
    )


def _result_content(payload: dict) -> tuple[list, bool]:
    """A functionResponse's `response` as text parts (+ images of its `parts`) and is_error."""
    response = payload.get("response")
    response = response if isinstance(response, dict) else {}
    is_error = response.keys() == {"error"}
    value = response.get("error") if is_error else response
    if response.keys() == {"output"}:
        value = response["output"]
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    content: list = [Text(text)] if text else []
    for index, part in enumerate(payload.get("parts") or []):
        blob = get(part, "inlineData") if isinstance(part, dict) else None
        if blob is not None:
            content.append(_parse_inline(blob, f"functionResponse.parts[{index}]"))
    return content, is_error


def _parse_part(part, role: str, where: tuple[int, int], pairing: _Pairing):
    """One part in the canonical form, None for one that is dropped; 400 for one unknown."""
    label = "contents[{}].parts[{}]".format(*where)
    if not isinstance(part, dict):
        raise bad(f"{label} must be an object such as {{'text': '...'}}.")
    if "text" in part:
        text = part["text"]
        if not isinstance(text, str):
            raise bad(f"{label}.text must be a string.")
        if not text:
            return None  # an empty part that only carried a signature
        return Thinking(text) if part.get("thought") is True else Text(text)
    if get(part, "inlineData") is not None:
        return _parse_inline(get(part, "inlineData"), label)
    if get(part, "fileData") is not None:
        return _parse_file(get(part, "fileData"), label)
    call = get(part, "functionCall")
    if isinstance(call, dict):
        if role != "assistant":
            raise bad(f"{label}: a functionCall belongs in a content with role 'model'.")
        return pairing.call(call, part, where)
    answer = get(part, "functionResponse")
    if isinstance(answer, dict):
        if role != "user":
            raise bad(f"{label}: a functionResponse belongs in a content with role 'user'.")
        content, is_error = _result_content(answer)
        return ToolResult(pairing.answer(answer, where), content, is_error)
    if any(get(part, name) is not None for name in DROPPED_PARTS):
        return None
    if part and set(part) <= MODIFIERS:
        return None
    raise bad(
        f"{label} has no content Tollgate knows: expected text, inlineData, fileData, "
        "functionCall or functionResponse."
    )


def parse_contents(contents) -> list[Message]:
    if not isinstance(contents, list) or not contents:
        raise bad("'contents' must be a non-empty list of {'role', 'parts'} objects.")
    messages: list[Message] = []
    pairing = _Pairing()
    for turn, content in enumerate(contents):
        if not isinstance(content, dict):
            raise bad(f"contents[{turn}] must be an object with 'role' and 'parts'.")
        role = content.get("role") or "user"
        if role not in ("user", "model", "function"):
            raise bad(f"contents[{turn}].role must be 'user' or 'model', not '{role}'.")
        parts = content.get("parts") or []
        if not isinstance(parts, list):
            raise bad(f"contents[{turn}].parts must be a list.")
        role = "assistant" if role == "model" else "user"
        if role == "assistant" and (not messages or messages[-1].role == "user"):
            pairing.pending = []  # a new model turn: earlier calls can no longer be answered
        parsed = [_parse_part(p, role, (turn, i), pairing) for i, p in enumerate(parts)]
        parsed = [p for p in parsed if p is not None]
        if messages and messages[-1].role == role:
            messages[-1].parts.extend(parsed)
        elif parsed:
            messages.append(Message(role, parsed))
    if not messages:
        raise bad("'contents' has no text, image or function call to send.")
    return messages


def _render_image(image: Image) -> dict:
    if image.url.startswith("data:") and ";base64," in image.url:
        mime, data = image.url[5:].split(";base64,", 1)
        return {"inlineData": {"mimeType": mime or "image/png", "data": data}}
    if image.url:
        mime = mimetypes.guess_type(image.url.split("?", 1)[0])[0] or "image/jpeg"
        return {"fileData": {"mimeType": mime, "fileUri": image.url}}
    return {"inlineData": {"mimeType": image.media_type or "image/png", "data": image.data}}


def _render_call(call: ToolUse) -> dict:
    part: dict = {"functionCall": {"name": call.name, "args": call.input}}
    signature = call.signature or signature_in(call.id)
    if signature:
        part["thoughtSignature"] = signature
    return part


def _render_result(name: str, result: ToolResult | None) -> dict:
    """A functionResponse: `{"output": ...}`, or `{"error": ...}` for a failed call; a JSON
    object text is sent as that object."""
    if result is None:
        response = {"error": NO_RESULT}
    else:
        text = "".join(p.text for p in result.content if isinstance(p, Text))
        value: object = text
        if text.lstrip().startswith("{"):
            try:
                parsed = orjson.loads(text)
            except orjson.JSONDecodeError:
                parsed = None
            value = parsed if isinstance(parsed, dict) else text
        response = {"error": value} if result.is_error else {"output": value}
    return {"functionResponse": {"name": name, "response": response}}


def _render_user(message: Message, pending: list[ToolUse]) -> list[dict]:
    """A user turn: one functionResponse per call of the model turn before it, in call order
    (Gemini needs the counts to match), then its text and images. Results without a call are
    dropped; calls without a result get an error answer."""
    results = {p.tool_use_id: p for p in message.parts if isinstance(p, ToolResult)}
    parts = [_render_result(call.name, results.get(call.id)) for call in pending]
    for call in pending:
        if call.id in results:
            parts += [_render_image(p) for p in results[call.id].content if isinstance(p, Image)]
    for part in message.parts:
        if isinstance(part, Text) and part.text.strip():
            parts.append({"text": part.text})
        elif isinstance(part, Image):
            parts.append(_render_image(part))
    return parts


def _render_model(message: Message) -> list[dict]:
    """A model turn: text, images and calls; thinking is dropped (Gemini does not take thought
    text back, and another provider's is meaningless here)."""
    parts = []
    for part in message.parts:
        if isinstance(part, Text) and part.text.strip():
            parts.append({"text": part.text})
        elif isinstance(part, Image):
            parts.append(_render_image(part))
        elif isinstance(part, ToolUse):
            parts.append(_render_call(part))
    return parts


def render_contents(messages: list[Message]) -> list[dict]:
    contents: list[dict] = []
    pending: list[ToolUse] = []  # the calls of the last model turn, to be answered next

    def add(role: str, parts: list[dict]) -> None:
        if not parts:
            return
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})

    for message in messages:
        if message.role == "assistant":
            pending += [p for p in message.parts if isinstance(p, ToolUse)]
            add("model", _render_model(message))
        else:
            add("user", _render_user(message, pending))
            pending = []
    if pending:
        add("user", _render_user(Message("user"), pending))
    for content in contents:
        calls = [p for p in content["parts"] if "functionCall" in p]
        if content["role"] == "model" and calls and "thoughtSignature" not in calls[0]:
            # Gemini 3 checks the first call of each step; history from another model has none.
            calls[0]["thoughtSignature"] = SKIP_SIGNATURE
    return contents
