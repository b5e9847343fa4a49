"""A translated stream carries the same text and tool calls as the translated whole answer."""

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.protocols import anthropic, gemini, openai
from tests.proxy.protocol_fixtures import decode, encode, sse_of

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
answers = st.fixed_dictionaries(
    {
        "pieces": st.lists(st.text(min_size=1, max_size=12), max_size=5),
        "calls": st.lists(
            st.tuples(
                st.from_regex(r"[a-z_]{1,10}", fullmatch=True),
                st.dictionaries(st.text(max_size=6), json_values, max_size=3),
                st.integers(1, 4),
            ),
            max_size=3,
        ),
    }
)


def split(text: str, parts: int) -> list[str]:
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)]


def openai_answer(answer) -> tuple[dict, bytes]:
    """The same answer as a chat.completion and as a chunked stream."""
    text = "".join(answer["pieces"])
    calls = [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": n, "arguments": orjson.dumps(a).decode()},
        }
        for i, (n, a, _) in enumerate(answer["calls"])
    ]
    message = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = calls
    finish = "tool_calls" if calls else "stop"
    whole = {
        "id": "c1",
        "model": "m",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
    }

    def chunk(delta, finish_reason=None):
        body = {
            "id": "c1",
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        return b"data: " + orjson.dumps(body) + b"\n\n"

    blob = chunk({"role": "assistant", "content": ""})
    blob += b"".join(chunk({"content": p}) for p in answer["pieces"])
    for index, (call, (_, _, parts)) in enumerate(zip(calls, answer["calls"], strict=True)):
        head = {"index": index, "id": call["id"], "type": "function"}
        blob += chunk(
            {
                "tool_calls": [
                    dict(head, function={"name": call["function"]["name"], "arguments": ""})
                ]
            }
        )
        for piece in split(call["function"]["arguments"], parts):
            blob += chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    return whole, blob + chunk({}, finish) + b"data: [DONE]\n\n"


def anthropic_answer(answer) -> tuple[dict, bytes]:
    """The same answer as a Messages response and as a stream of events."""
    text = "".join(answer["pieces"])
    content = [{"type": "text", "text": text}] if text else []
    content += [
        {"type": "tool_use", "id": f"toolu_{i}", "name": n, "input": a}
        for i, (n, a, _) in enumerate(answer["calls"])
    ]
    stop = "tool_use" if answer["calls"] else "end_turn"
    whole = {
        "id": "msg_1",
        "model": "m",
        "content": content,
        "stop_reason": stop,
        "usage": {"input_tokens": 3, "output_tokens": 4},
    }

    def event(payload):
        return b"event: " + payload["type"].encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"

    blob = event({"type": "message_start", "message": dict(whole, content=[], stop_reason=None)})
    for index, block in enumerate(content):
        if block["type"] == "text":
            blob += event(
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "text", "text": ""},
                }
            )
            for piece in answer["pieces"]:
                blob += event(
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "text_delta", "text": piece},
                    }
                )
        else:
            blob += event(
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": dict(block, input={}),
                }
            )
            parts = answer["calls"][index - (1 if text else 0)][2]
            for piece in split(orjson.dumps(block["input"]).decode(), parts):
                blob += event(
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": piece},
                    }
                )
        blob += event({"type": "content_block_stop", "index": index})
    blob += event(
        {"type": "message_delta", "delta": {"stop_reason": stop}, "usage": {"output_tokens": 4}}
    )
    return whole, blob + event({"type": "message_stop"})


def assemble_anthropic(blob: bytes) -> tuple[str, list]:
    text, tools = "", {}
    for event in sse_of(blob):
        data = orjson.loads(event.data)
        assert event.event == data["type"]
        if data["type"] == "content_block_start" and data["content_block"]["type"] == "tool_use":
            tools[data["index"]] = [data["content_block"]["name"], ""]
        elif data["type"] == "content_block_delta":
            delta = data["delta"]
            if delta["type"] == "text_delta":
                text += delta["text"]
            else:
                tools[data["index"]][1] += delta["partial_json"]
    return text, [(name, orjson.loads(args or "{}")) for name, args in tools.values()]


def assemble_openai(blob: bytes) -> tuple[str, list]:
    text, tools = "", {}
    for event in sse_of(blob):
        if event.data == "[DONE]":
            continue
        for choice in orjson.loads(event.data)["choices"]:
            text += choice["delta"].get("content") or ""
            for call in choice["delta"].get("tool_calls") or []:
                tool = tools.setdefault(call["index"], ["", ""])
                tool[0] += call["function"].get("name") or ""
                tool[1] += call["function"].get("arguments") or ""
    return text, [(name, orjson.loads(args or "{}")) for name, args in tools.values()]


@settings(max_examples=60, deadline=None)
@given(answers)
def test_openai_upstream_to_anthropic_client(answer):
    whole, blob = openai_answer(answer)

    rendered = anthropic.render_response(openai.parse_response(whole), "m")
    streamed = encode(anthropic, decode(openai, sse_of(blob)), model="m")

    text = "".join(b["text"] for b in rendered["content"] if b["type"] == "text")
    tools = [(b["name"], b["input"]) for b in rendered["content"] if b["type"] == "tool_use"]
    assert assemble_anthropic(streamed) == (text, tools)


@settings(max_examples=60, deadline=None)
@given(answers)
def test_anthropic_upstream_to_openai_client(answer):
    whole, blob = anthropic_answer(answer)

    rendered = openai.render_response(anthropic.parse_response(whole), "m")
    streamed = encode(openai, decode(anthropic, sse_of(blob)), model="m")

    message = rendered["choices"][0]["message"]
    calls = message.get("tool_calls") or []
    tools = [(c["function"]["name"], orjson.loads(c["function"]["arguments"])) for c in calls]
    assert assemble_openai(streamed) == (message["content"] or "", tools)


def gemini_answer(answer) -> tuple[dict, bytes]:
    """The same answer as a GenerateContentResponse and as SSE chunks (calls arrive whole)."""
    text = "".join(answer["pieces"])
    calls = [{"functionCall": {"name": n, "args": a}} for n, a, _ in answer["calls"]]
    usage = {"promptTokenCount": 3, "candidatesTokenCount": 4, "totalTokenCount": 7}

    def chunk(parts, finish=None):
        candidate = {"content": {"role": "model", "parts": parts}, "index": 0}
        if finish:
            candidate["finishReason"] = finish
        body = {"candidates": [candidate], "usageMetadata": usage, "responseId": "r1"}
        return b"data: " + orjson.dumps(body) + b"\n\n"

    parts = ([{"text": text}] if text else []) + calls
    whole = orjson.loads(chunk(parts, "STOP")[6:])
    blob = b"".join(chunk([{"text": p}]) for p in answer["pieces"])
    blob += b"".join(chunk([call]) for call in calls)
    return whole, blob + chunk([], "STOP")


def gemini_content(parts: list) -> tuple[str, list]:
    text = "".join(p["text"] for p in parts if "text" in p and not p.get("thought"))
    calls = [p["functionCall"] for p in parts if "functionCall" in p]
    return text, [(call["name"], call["args"]) for call in calls]


def assemble_gemini(blob: bytes) -> tuple[str, list]:
    text, tools = "", []
    for event in sse_of(blob):
        assert event.event is None
        more, calls = gemini_content(orjson.loads(event.data)["candidates"][0]["content"]["parts"])
        text, tools = text + more, tools + calls
    return text, tools


def rendered_gemini(body: dict) -> tuple[str, list]:
    return gemini_content(body["candidates"][0]["content"]["parts"])


@settings(max_examples=60, deadline=None)
@given(answers)
def test_gemini_upstream_to_openai_and_anthropic_clients(answer):
    whole, blob = gemini_answer(answer)
    events = decode(gemini, sse_of(blob))

    chat = openai.render_response(gemini.parse_response(whole), "m")
    message = chat["choices"][0]["message"]
    calls = message.get("tool_calls") or []
    tools = [(c["function"]["name"], orjson.loads(c["function"]["arguments"])) for c in calls]
    assert assemble_openai(encode(openai, events, model="m")) == (message["content"] or "", tools)

    rendered = anthropic.render_response(gemini.parse_response(whole), "m")
    text = "".join(b["text"] for b in rendered["content"] if b["type"] == "text")
    tools = [(b["name"], b["input"]) for b in rendered["content"] if b["type"] == "tool_use"]
    assert assemble_anthropic(encode(anthropic, events, model="m")) == (text, tools)


@settings(max_examples=60, deadline=None)
@given(answers)
def test_openai_and_anthropic_upstreams_to_a_gemini_client(answer):
    for protocol, (whole, blob) in (
        (openai, openai_answer(answer)),
        (anthropic, anthropic_answer(answer)),
    ):
        rendered = gemini.render_response(protocol.parse_response(whole), "m")
        streamed = encode(gemini, decode(protocol, sse_of(blob)), model="m")

        assert assemble_gemini(streamed) == rendered_gemini(rendered)
        assert rendered_gemini(rendered) == (
            "".join(answer["pieces"]),
            [(name, args) for name, args, _ in answer["calls"]],
        )
