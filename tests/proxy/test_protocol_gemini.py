"""proxy/protocols/gemini on realistic payloads: parsing, rendering, streams, errors."""

import base64

import orjson
import pytest

from proxy.canonical import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    Image,
    Message,
    ResponseFormat,
    StreamError,
    StreamStart,
    StreamStop,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    Tool,
    ToolCallDelta,
    ToolCallStart,
    ToolChoice,
    ToolResult,
    ToolUse,
    Usage,
    UsageUpdate,
)
from proxy.errors import ApiError, bad_request, insufficient_credit, rate_limited
from proxy.protocols import CHAT_ENDPOINT, anthropic, gemini, get_protocol, openai
from tests.proxy.protocol_fixtures import decode, encode, sse_of

SIGNATURE = base64.b64encode(bytes(range(190, 240))).decode()  # has "+", "/" and "="
WEATHER_SCHEMA = {
    "type": "OBJECT",
    "properties": {
        "city": {"type": "STRING", "description": "City name"},
        "unit": {"type": "STRING", "enum": ["C", "F"], "nullable": True},
        "days": {"type": "INTEGER", "minimum": 1},
        "tags": {"type": "ARRAY", "items": {"type": "STRING"}, "minItems": "1"},
    },
    "required": ["city"],
    "propertyOrdering": ["city", "unit", "days", "tags"],
}


def chunk_of(parts=None, finish=None, usage=None, **extra) -> bytes:
    candidate = {"content": {"role": "model", "parts": parts or []}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    body = {"candidates": [candidate], "modelVersion": "gemini-2.5-flash", "responseId": "r1"}
    if usage:
        body["usageMetadata"] = usage
    body.update(extra)
    return b"data: " + orjson.dumps(body) + b"\n\n"


def payloads(blob: bytes) -> list[dict]:
    events = sse_of(blob)
    assert all(e.event is None for e in events)  # Gemini streams have no event names
    return [orjson.loads(e.data) for e in events]


# Registration ------------------------------------------------------------------------------


def test_the_protocol_is_registered_with_its_chat_endpoint():
    assert get_protocol("gemini") is gemini
    assert CHAT_ENDPOINT["gemini"] == "generate"


# parse_request -----------------------------------------------------------------------------


def test_a_text_request_with_a_system_instruction_and_settings_is_parsed():
    body = {
        "contents": [{"role": "user", "parts": [{"text": "Hi"}, {"text": " there"}]}],
        "systemInstruction": {"parts": [{"text": "Be brief."}, {"text": "Be kind."}]},
        "generationConfig": {
            "temperature": 0.2,
            "topP": 0.9,
            "topK": 40,
            "maxOutputTokens": 1024,
            "stopSequences": ["END"],
            "responseMimeType": "text/plain",
        },
        "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
        "model": "models/gemini-2.5-flash",
    }

    request = gemini.parse_request(body)

    assert request.model == "gemini-2.5-flash"
    assert request.system == ["Be brief.", "Be kind."]
    assert request.messages == [Message("user", [Text("Hi"), Text(" there")])]
    assert (request.temperature, request.top_p, request.top_k) == (0.2, 0.9, 40)
    assert (request.max_tokens, request.stop) == (1024, ["END"])
    assert request.tools == [] and request.tool_choice is None
    assert request.stream is False


def test_snake_case_bodies_parse_like_camel_case_ones():
    camel = {
        "contents": [
            {"role": "user", "parts": [{"inlineData": {"mimeType": "image/png", "data": "iVBO"}}]},
            {"role": "user", "parts": [{"text": "What is it?"}]},
        ],
        "systemInstruction": {"parts": [{"text": "S"}]},
        "generationConfig": {
            "maxOutputTokens": 10,
            "stopSequences": ["x"],
            "topP": 0.5,
            "topK": 3,
            "thinkingConfig": {"thinkingBudget": 2000, "includeThoughts": True},
        },
        "tools": [
            {"functionDeclarations": [{"name": "f", "parametersJsonSchema": {"type": "object"}}]}
        ],
        "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["f"]}},
    }
    snake = {
        "contents": [
            {
                "role": "user",
                "parts": [{"inline_data": {"mime_type": "image/png", "data": "iVBO"}}],
            },
            {"role": "user", "parts": [{"text": "What is it?"}]},
        ],
        "system_instruction": {"parts": [{"text": "S"}]},
        "generation_config": {
            "max_output_tokens": 10,
            "stop_sequences": ["x"],
            "top_p": 0.5,
            "top_k": 3,
            "thinking_config": {"thinking_budget": 2000, "include_thoughts": True},
        },
        "tools": [
            {"function_declarations": [{"name": "f", "parameters_json_schema": {"type": "object"}}]}
        ],
        "tool_config": {
            "function_calling_config": {"mode": "ANY", "allowed_function_names": ["f"]}
        },
    }

    parsed = gemini.parse_request(snake)

    assert parsed == gemini.parse_request(camel)
    assert parsed.messages == [
        Message("user", [Image(media_type="image/png", data="iVBO"), Text("What is it?")])
    ]
    assert parsed.thinking_budget == 2000 and parsed.tool_choice == ToolChoice("tool", "f")


def test_calls_without_ids_get_stable_ids_and_responses_pair_by_name_in_order():
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "Weather in Paris and Rome, and the time?"}]},
            {
                "role": "model",
                "parts": [
                    {"text": "Checking."},
                    {
                        "functionCall": {"name": "weather", "args": {"city": "Paris"}},
                        "thoughtSignature": SIGNATURE,
                    },
                    {"functionCall": {"name": "weather", "args": {"city": "Rome"}}},
                    {"functionCall": {"name": "clock", "args": {}}},
                ],
            },
            {
                "role": "user",
                "parts": [
                    {"functionResponse": {"name": "clock", "response": {"output": "12:00"}}},
                    {"functionResponse": {"name": "weather", "response": {"output": "18C"}}},
                    {"functionResponse": {"name": "weather", "response": {"temp": 21}}},
                ],
            },
        ]
    }

    request = gemini.parse_request(body)

    calls = request.messages[1].parts
    assert calls[0] == Text("Checking.")
    assert calls[1] == ToolUse("call_1_1", "weather", {"city": "Paris"}, SIGNATURE)
    assert [c.id for c in calls[1:]] == ["call_1_1", "call_1_2", "call_1_3"]
    assert request.messages[2].parts == [
        ToolResult("call_1_3", [Text("12:00")]),
        ToolResult("call_1_1", [Text("18C")]),
        ToolResult("call_1_2", [Text('{"temp":21}')]),
    ]
    assert gemini.parse_request(body) == request  # the same history gives the same ids


def test_calls_with_ids_are_answered_by_id_and_errors_are_flagged():
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "go"}]},
            {
                "role": "model",
                "parts": [
                    {"functionCall": {"id": "a1", "name": "f", "args": {"n": 1}}},
                    {"functionCall": {"id": "a2", "name": "f", "args": {"n": 2}}},
                ],
            },
            {
                "role": "user",
                "parts": [
                    {"functionResponse": {"id": "a2", "name": "f", "response": {"error": "boom"}}},
                    {"functionResponse": {"id": "a1", "name": "f", "response": {"output": [1]}}},
                    {"text": "and now?"},
                ],
            },
        ]
    }

    results = gemini.parse_request(body).messages[2].parts

    assert results == [
        ToolResult("a2", [Text("boom")], is_error=True),
        ToolResult("a1", [Text("[1]")]),
        Text("and now?"),
    ]


def test_thought_parts_become_thinking_and_empty_signature_parts_are_dropped():
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "Hi"}]},
            {
                "role": "model",
                "parts": [
                    {"text": "Pondering.", "thought": True},
                    {"text": "Hello!"},
                    {"text": "", "thoughtSignature": SIGNATURE},
                    {"thought_signature": SIGNATURE},
                    {"executableCode": {"language": "PYTHON", "code": "1+1"}},
                ],
            },
            {"parts": [{"text": "Thanks"}]},  # the role may be left out for a user turn
        ]
    }

    request = gemini.parse_request(body)

    assert request.messages[1] == Message("assistant", [Thinking("Pondering."), Text("Hello!")])
    assert request.messages[2] == Message("user", [Text("Thanks")])


def test_media_other_than_images_and_text_is_refused_with_a_clear_message():
    text_file = base64.b64encode(b"col1,col2").decode()
    ok = {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"inlineData": {"mimeType": "text/csv", "data": text_file}},
                    {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://x.test/a.jpg"}},
                ],
            }
        ]
    }
    assert gemini.parse_request(ok).messages[0].parts == [
        Text("col1,col2"),
        Image(url="https://x.test/a.jpg"),
    ]

    pdf = {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0="}}
    with pytest.raises(ApiError, match="application/pdf' cannot be sent") as caught:
        gemini.parse_request({"contents": [{"role": "user", "parts": [pdf]}]})
    assert caught.value.status == 400
    uploaded = {
        "fileData": {
            "mimeType": "image/png",
            "fileUri": "https://generativelanguage.googleapis.com/v1beta/files/abc",
        }
    }
    with pytest.raises(ApiError, match="only Gemini reads files uploaded"):
        gemini.parse_request({"contents": [{"role": "user", "parts": [uploaded]}]})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "'contents' must be a non-empty list"),
        ({"contents": []}, "'contents' must be a non-empty list"),
        ({"contents": {"role": "user"}}, "'contents' must be a non-empty list"),
        ({"contents": ["hi"]}, r"contents\[0\] must be an object"),
        ({"contents": [{"role": "system", "parts": [{"text": "x"}]}]}, "must be 'user' or 'model'"),
        ({"contents": [{"role": "user", "parts": "hi"}]}, r"contents\[0\].parts must be a list"),
        ({"contents": [{"role": "user", "parts": [{"foo": 1}]}]}, "has no content Tollgate knows"),
        ({"contents": [{"role": "user", "parts": [{}]}]}, "has no content Tollgate knows"),
        ({"contents": [{"role": "user", "parts": [{"text": 3}]}]}, "text must be a string"),
        ({"contents": [{"role": "user", "parts": [{"text": ""}]}]}, "has no text, image"),
        (
            {"contents": [{"role": "user", "parts": [{"functionCall": {"name": "f"}}]}]},
            "belongs in a content with role 'model'",
        ),
        (
            {"contents": [{"role": "model", "parts": [{"functionCall": {"args": {}}}]}]},
            "functionCall needs a 'name'",
        ),
        (
            {"contents": [{"role": "user", "parts": [{"inlineData": {"mimeType": "image/png"}}]}]},
            "inlineData needs 'data'",
        ),
        (
            {"contents": [{"parts": [{"text": "x"}]}], "cachedContent": "cachedContents/1"},
            "'cachedContent' is only known to Gemini",
        ),
        (
            {"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"candidateCount": 2}},
            "candidateCount above 1",
        ),
        (
            {"contents": [{"parts": [{"text": "x"}]}], "generationConfig": []},
            "'generationConfig' must be an object",
        ),
        (
            {
                "contents": [{"parts": [{"text": "x"}]}],
                "toolConfig": {"functionCallingConfig": {"mode": "SOMETIMES"}},
            },
            "mode 'SOMETIMES' is unknown",
        ),
        ("not a dict", "must be a JSON object"),
    ],
)
def test_bad_requests_answer_400_naming_the_problem(body, message):
    with pytest.raises(ApiError, match=message) as caught:
        gemini.parse_request(body)
    assert caught.value.status == 400 and caught.value.type == "invalid_request_error"


def test_gemini_schemas_become_json_schema_and_json_schemas_are_kept():
    body = {
        "contents": [{"role": "user", "parts": [{"text": "x"}]}],
        "tools": [
            {
                "functionDeclarations": [
                    {"name": "weather", "description": "Get weather", "parameters": WEATHER_SCHEMA},
                    {"name": "raw", "parametersJsonSchema": {"type": "object", "$defs": {}}},
                    {"name": "noargs"},
                ]
            },
            {"googleSearch": {}},
        ],
    }

    tools = gemini.parse_request(body).tools

    assert tools[0] == Tool(
        "weather",
        "Get weather",
        {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name"},
                "unit": {"type": ["string", "null"], "enum": ["C", "F", None]},
                "days": {"type": "integer", "minimum": 1},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            },
            "required": ["city"],
        },
    )
    assert tools[1].schema == {"type": "object", "$defs": {}}
    assert tools[2].schema == {"type": "object", "properties": {}}
    assert len(tools) == 3  # the built-in search tool does not cross


def test_schema_references_nullable_unions_and_snake_case_keys_convert():
    from proxy.protocols.gemini.schema import json_schema

    schema = {
        "type": "OBJECT",
        "properties": {
            "pet": {"ref": "#/defs/Pet"},
            "either": {"any_of": [{"type": "STRING"}, {"type": "NUMBER"}], "nullable": True},
            "name": {"type": "string", "max_length": "10", "property_ordering": ["a"]},
        },
        "defs": {"Pet": {"type": "OBJECT", "properties": {"name": {"type": "STRING"}}}},
    }

    assert json_schema(schema) == {
        "type": "object",
        "properties": {
            "pet": {"$ref": "#/$defs/Pet"},
            "either": {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "null"}]},
            "name": {"type": "string", "maxLength": 10},
        },
        "$defs": {"Pet": {"type": "object", "properties": {"name": {"type": "string"}}}},
    }
    assert json_schema("nonsense") == {}


@pytest.mark.parametrize(
    ("config", "choice", "names"),
    [
        ({"mode": "AUTO"}, ToolChoice("auto"), ["a", "b", "c"]),
        ({"mode": "auto"}, ToolChoice("auto"), ["a", "b", "c"]),
        ({"mode": "ANY"}, ToolChoice("any"), ["a", "b", "c"]),
        ({"mode": "ANY", "allowedFunctionNames": ["b"]}, ToolChoice("tool", "b"), ["a", "b", "c"]),
        ({"mode": "ANY", "allowedFunctionNames": ["a", "c"]}, ToolChoice("any"), ["a", "c"]),
        ({"mode": "VALIDATED", "allowedFunctionNames": ["a", "b"]}, ToolChoice("auto"), ["a", "b"]),
        ({"mode": "NONE"}, ToolChoice("none"), ["a", "b", "c"]),
    ],
)
def test_function_calling_modes_become_tool_choices(config, choice, names):
    declarations = [{"name": n} for n in "abc"]
    body = {
        "contents": [{"role": "user", "parts": [{"text": "x"}]}],
        "tools": [{"functionDeclarations": declarations}],
        "toolConfig": {"functionCallingConfig": config},
    }

    request = gemini.parse_request(body)

    assert request.tool_choice == choice
    assert [t.name for t in request.tools] == names


@pytest.mark.parametrize(
    ("thinking", "budget", "effort"),
    [
        ({"thinkingBudget": 4096}, 4096, None),
        ({"thinkingBudget": -1}, None, "medium"),
        ({"thinkingBudget": 0}, None, None),
        ({"thinkingLevel": "HIGH"}, None, "high"),
        ({"thinking_level": "low"}, None, "low"),
        ({"includeThoughts": True}, None, None),
    ],
)
def test_thinking_settings_become_a_budget_or_an_effort(thinking, budget, effort):
    body = {
        "contents": [{"role": "user", "parts": [{"text": "x"}]}],
        "generationConfig": {"thinkingConfig": thinking},
    }

    request = gemini.parse_request(body)

    assert (request.thinking_budget, request.reasoning_effort) == (budget, effort)


# render_request ----------------------------------------------------------------------------


def test_a_request_renders_in_camel_case_without_model_or_stream():
    request = ChatRequest(
        model="gpt-x",
        system=["Be brief.", "  "],
        messages=[
            Message("user", [Text("Hi"), Image(media_type="image/png", data="iVBO")]),
            Message("assistant", [Thinking("hmm", "sig-from-anthropic"), Text("Hello")]),
            Message("user", [Text("Bye"), Image(url="https://x.test/cat.png")]),
        ],
        max_tokens=300,
        temperature=0.5,
        top_p=0.8,
        top_k=7,
        stop=["a", "b", "c", "d", "e", "f"],
        stream=True,
        user="u1",
    )

    body = gemini.render_request(request, "gemini-2.5-flash", default_max_tokens=65536)

    assert body == {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "Hi"},
                    {"inlineData": {"mimeType": "image/png", "data": "iVBO"}},
                ],
            },
            {"role": "model", "parts": [{"text": "Hello"}]},
            {
                "role": "user",
                "parts": [
                    {"text": "Bye"},
                    {"fileData": {"mimeType": "image/png", "fileUri": "https://x.test/cat.png"}},
                ],
            },
        ],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "generationConfig": {
            "maxOutputTokens": 300,
            "temperature": 0.5,
            "topP": 0.8,
            "topK": 7,
            "stopSequences": ["a", "b", "c", "d", "e"],
        },
    }


def test_tool_results_are_answered_in_call_order_with_the_names_gemini_needs():
    request = ChatRequest(
        model="m",
        messages=[
            Message("user", [Text("go")]),
            Message(
                "assistant",
                [
                    Text("Calling."),
                    ToolUse("call_a", "weather", {"city": "Paris"}),
                    ToolUse("call_b", "clock"),
                    ToolUse("call_c", "search", {"q": "x"}),
                ],
            ),
            Message(
                "user",
                [
                    ToolResult("call_b", [Text('{"time": "12:00"}')]),
                    ToolResult("call_a", [Text("18C"), Image(media_type="image/png", data="AA")]),
                    ToolResult("orphan", [Text("dropped")]),
                    Text("Thanks"),
                ],
            ),
            Message("user", [ToolResult("call_c", [Text("late")], is_error=True)]),
        ],
    )

    contents = gemini.render_request(request, "m")["contents"]

    assert len(contents) == 3  # consecutive user turns merged
    model = contents[1]["parts"]
    assert model[1] == {
        "functionCall": {"name": "weather", "args": {"city": "Paris"}},
        "thoughtSignature": gemini.SKIP_SIGNATURE,  # history from another model
    }
    assert model[2] == {"functionCall": {"name": "clock", "args": {}}}
    answers = contents[2]["parts"]
    assert answers[:3] == [
        {"functionResponse": {"name": "weather", "response": {"output": "18C"}}},
        {"functionResponse": {"name": "clock", "response": {"output": {"time": "12:00"}}}},
        {"functionResponse": {"name": "search", "response": {"error": gemini.NO_RESULT}}},
    ]
    assert answers[3:] == [
        {"inlineData": {"mimeType": "image/png", "data": "AA"}},
        {"text": "Thanks"},
    ]


def test_errors_and_unanswered_calls_at_the_end_are_rendered_as_error_responses():
    request = ChatRequest(
        model="m",
        messages=[
            Message("user", [Text("go")]),
            Message("assistant", [ToolUse("c1", "f")]),
            Message("user", [ToolResult("c1", [Text("no such file")], is_error=True)]),
            Message("assistant", [ToolUse("c2", "g")]),
        ],
    )

    contents = gemini.render_request(request, "m")["contents"]

    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "f", "response": {"error": "no such file"}}}
    ]
    assert contents[4] == {
        "role": "user",
        "parts": [{"functionResponse": {"name": "g", "response": {"error": gemini.NO_RESULT}}}],
    }


def test_known_signatures_are_echoed_from_the_part_or_from_the_id():
    from_id = gemini.call_id("", SIGNATURE)
    request = ChatRequest(
        model="m",
        messages=[
            Message("user", [Text("go")]),
            Message(
                "assistant",
                [ToolUse("x1", "f", {}, signature="c2lnMQ=="), ToolUse("x2", "f")],
            ),
            Message("user", [ToolResult("x1", [Text("1")]), ToolResult("x2", [Text("2")])]),
            Message("assistant", [ToolUse(anthropic.tool_id(from_id), "g")]),
            Message("user", [ToolResult(anthropic.tool_id(from_id), [Text("3")])]),
        ],
    )

    contents = gemini.render_request(request, "gemini-3-pro")["contents"]

    assert contents[1]["parts"][0]["thoughtSignature"] == "c2lnMQ=="
    assert "thoughtSignature" not in contents[1]["parts"][1]  # only the first call needs one
    assert contents[3]["parts"][0]["thoughtSignature"] == SIGNATURE


def test_signatures_ride_in_ids_that_anthropic_keeps_unchanged():
    ident = gemini.call_id("", SIGNATURE)

    assert ident.startswith("call_") and "__ts_" in ident
    assert anthropic.tool_id(ident) == ident
    assert gemini.signature_in(ident) == SIGNATURE
    assert gemini.call_id("fc_1", "") == "fc_1"
    assert gemini.call_id("fc_1", gemini.SKIP_SIGNATURE) == "fc_1"
    assert gemini.signature_in("call_plain") == ""


def test_tools_and_tool_choices_render_as_function_declarations():
    schema = {"type": "object", "properties": {"city": {"type": ["string", "null"]}}}
    request = ChatRequest(
        model="m",
        messages=[Message("user", [Text("x")])],
        tools=[Tool("weather", "Get weather", schema), Tool("ping")],
        tool_choice=ToolChoice("tool", "weather", parallel=False),
    )

    body = gemini.render_request(request, "m")

    assert body["tools"] == [
        {
            "functionDeclarations": [
                {"name": "weather", "description": "Get weather", "parametersJsonSchema": schema},
                {"name": "ping"},
            ]
        }
    ]
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["weather"]}
    }
    for mode, expected in (("auto", "AUTO"), ("any", "ANY"), ("none", "NONE")):
        request.tool_choice = ToolChoice(mode)
        rendered = gemini.render_request(request, "m")["toolConfig"]
        assert rendered == {"functionCallingConfig": {"mode": expected}}
    request.tools = []
    assert "toolConfig" not in gemini.render_request(request, "m")


@pytest.mark.parametrize(
    ("effort", "budget", "model", "config", "cap"),
    [
        ("low", None, "gemini-2.5-flash", {"thinkingBudget": 1024, "includeThoughts": True}, 1100),
        ("medium", None, "m", {"thinkingBudget": 8192, "includeThoughts": True}, 8268),
        ("high", None, "m", {"thinkingBudget": 24576, "includeThoughts": True}, 10000),
        ("none", None, "gemini-2.5-flash", {"thinkingBudget": 0}, 76),
        ("minimal", None, "gemini-2.5-pro", {"thinkingBudget": 128}, 204),
        (None, 2000, "m", {"thinkingBudget": 2000, "includeThoughts": True}, 2076),
        (None, 31999, "m", {"thinkingBudget": 24576, "includeThoughts": True}, 10000),
    ],
)
def test_thinking_efforts_and_budgets_become_a_thinking_config(effort, budget, model, config, cap):
    request = ChatRequest(model="x", messages=[Message("user", [Text("x")])], max_tokens=76)
    request.reasoning_effort, request.thinking_budget = effort, budget

    generation = gemini.render_request(request, model, default_max_tokens=10000)["generationConfig"]

    assert generation["thinkingConfig"] == config
    assert generation["maxOutputTokens"] == cap


def test_the_output_cap_defaults_to_the_models_and_is_left_out_without_one():
    request = ChatRequest(model="x", messages=[Message("user", [Text("x")])])

    assert gemini.render_request(request, "m", default_max_tokens=8192)["generationConfig"] == {
        "maxOutputTokens": 8192
    }
    assert "generationConfig" not in gemini.render_request(request, "m")


def test_a_gemini_request_survives_a_round_trip_through_the_canonical_form():
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "Weather?"}]},
            {
                "role": "model",
                "parts": [
                    {
                        "functionCall": {"name": "weather", "args": {"city": "Paris"}},
                        "thoughtSignature": SIGNATURE,
                    }
                ],
            },
            {
                "role": "user",
                "parts": [{"functionResponse": {"name": "weather", "response": {"output": "18C"}}}],
            },
        ],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "tools": [
            {
                "functionDeclarations": [
                    {"name": "weather", "parametersJsonSchema": {"type": "object", "x": 1}}
                ]
            }
        ],
        "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
        "generationConfig": {"maxOutputTokens": 100, "temperature": 0.1},
    }

    assert gemini.render_request(gemini.parse_request(body), "m") == body


# Cross-protocol requests -------------------------------------------------------------------


def test_an_openai_request_goes_to_gemini_and_back_to_an_anthropic_body():
    chat = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "weather", "arguments": '{"city":"Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "weather",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                },
            }
        ],
        "tool_choice": "required",
        "max_tokens": 200,
    }

    body = gemini.render_request(openai.parse_request(chat), "gemini-2.5-flash")
    assert body["contents"][1]["parts"][0]["functionCall"] == {
        "name": "weather",
        "args": {"city": "Paris"},
    }
    assert body["contents"][2]["parts"] == [
        {"functionResponse": {"name": "weather", "response": {"output": "18C"}}}
    ]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}

    messages = anthropic.render_request(gemini.parse_request(body), "claude")
    assert messages["system"] == [{"type": "text", "text": "Be brief."}]
    assert messages["messages"][1]["content"][0] == {
        "type": "tool_use",
        "id": "call_1_0",
        "name": "weather",
        "input": {"city": "Paris"},
    }
    assert messages["messages"][2]["content"][0]["tool_use_id"] == "call_1_0"
    assert messages["tool_choice"] == {"type": "any"}
    assert messages["max_tokens"] == 200


def test_an_anthropic_request_with_thinking_and_tool_results_goes_to_gemini():
    body = {
        "model": "claude",
        "max_tokens": 1000,
        "thinking": {"type": "enabled", "budget_tokens": 4000},
        "system": "Be brief.",
        "messages": [
            {"role": "user", "content": "List /tmp"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "ls it", "signature": "EqQB"},
                    {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"c": "ls"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": [{"type": "text", "text": "a\nb"}],
                    }
                ],
            },
        ],
    }

    rendered = gemini.render_request(anthropic.parse_request(body), "gemini-2.5-pro")

    assert rendered["contents"][1]["parts"] == [
        {
            "functionCall": {"name": "Bash", "args": {"c": "ls"}},
            "thoughtSignature": gemini.SKIP_SIGNATURE,
        }
    ]
    assert rendered["contents"][2]["parts"] == [
        {"functionResponse": {"name": "Bash", "response": {"output": "a\nb"}}}
    ]
    assert rendered["generationConfig"] == {
        "maxOutputTokens": 5000,
        "thinkingConfig": {"thinkingBudget": 4000, "includeThoughts": True},
    }


def test_a_gemini_request_goes_to_openai_with_its_images_and_results():
    body = {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "What is this?"},
                    {"inline_data": {"mime_type": "image/jpeg", "data": "/9j/"}},
                ],
            },
            {"role": "model", "parts": [{"functionCall": {"name": "look", "args": {"z": 2}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "look", "response": {}}}]},
        ],
        "generationConfig": {"thinkingConfig": {"thinkingLevel": "LOW"}},
    }

    chat = openai.render_request(gemini.parse_request(body), "gpt")

    assert chat["messages"][0]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "data:image/jpeg;base64,/9j/"},
    }
    assert chat["messages"][1]["tool_calls"][0]["id"] == "call_1_0"
    assert chat["messages"][2] == {"role": "tool", "tool_call_id": "call_1_0", "content": "{}"}
    assert chat["reasoning_effort"] == "low"


# parse_response / render_response ----------------------------------------------------------


def test_a_text_answer_with_thoughts_and_usage_is_parsed():
    data = {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "Units...", "thought": True},
                        {"text": "It is "},
                        {"text": "18C.", "thoughtSignature": SIGNATURE},
                    ],
                },
                "finishReason": "STOP",
                "index": 0,
                "safetyRatings": [],
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 120,
            "candidatesTokenCount": 12,
            "thoughtsTokenCount": 40,
            "cachedContentTokenCount": 100,
            "totalTokenCount": 172,
        },
        "modelVersion": "gemini-2.5-flash",
        "responseId": "mR0k",
    }

    response = gemini.parse_response(data)

    assert response == ChatResponse(
        id="mR0k",
        model="gemini-2.5-flash",
        parts=[Thinking("Units..."), Text("It is 18C.")],
        finish=FinishReason.STOP,
        usage=Usage(input=120, output=52, cached=100, reasoning=40),
    )


def test_function_calls_mean_tool_use_and_carry_their_signatures():
    data = {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {
                            "functionCall": {"name": "weather", "args": {"city": "Paris"}},
                            "thoughtSignature": SIGNATURE,
                        },
                        {
                            "functionCall": {
                                "id": "fc_2",
                                "name": "weather",
                                "args": {"city": "Rome"},
                            }
                        },
                    ],
                },
                "finishReason": "STOP",
            }
        ]
    }

    response = gemini.parse_response(data)

    assert response.finish == FinishReason.TOOL_USE
    first, second = response.parts
    assert (first.name, first.input, first.signature) == ("weather", {"city": "Paris"}, SIGNATURE)
    assert gemini.signature_in(first.id) == SIGNATURE
    assert second == ToolUse("fc_2", "weather", {"city": "Rome"})
    assert response.usage is None

    chat = openai.render_response(response, "gemini-test")
    assert chat["choices"][0]["finish_reason"] == "tool_calls"
    assert chat["choices"][0]["message"]["tool_calls"][0]["id"] == first.id


@pytest.mark.parametrize(
    ("reason", "finish"),
    [
        ("STOP", FinishReason.STOP),
        ("FINISH_REASON_UNSPECIFIED", FinishReason.STOP),
        (None, FinishReason.STOP),
        ("MAX_TOKENS", FinishReason.LENGTH),
        ("SAFETY", FinishReason.CONTENT_FILTER),
        ("RECITATION", FinishReason.CONTENT_FILTER),
        ("PROHIBITED_CONTENT", FinishReason.CONTENT_FILTER),
        ("BLOCKLIST", FinishReason.CONTENT_FILTER),
        ("SPII", FinishReason.CONTENT_FILTER),
        ("IMAGE_SAFETY", FinishReason.CONTENT_FILTER),
        ("OTHER", FinishReason.STOP),
        ("MALFORMED_FUNCTION_CALL", FinishReason.STOP),
    ],
)
def test_finish_reasons_map_to_canonical_ones(reason, finish):
    data = {"candidates": [{"content": {"role": "model", "parts": [{"text": "x"}]}}]}
    data["candidates"][0]["finishReason"] = reason

    assert gemini.parse_response(data).finish == finish


def test_a_blocked_prompt_is_a_content_filter_with_no_parts():
    data = {
        "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": []},
        "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9},
        "modelVersion": "gemini-2.5-flash",
    }

    response = gemini.parse_response(data)

    assert (response.parts, response.finish) == ([], FinishReason.CONTENT_FILTER)
    assert response.usage == Usage(input=9)
    assert anthropic.render_response(response, "c")["stop_reason"] == "refusal"


def test_usage_metadata_becomes_our_buckets():
    assert gemini.parse_usage(None) is None
    assert gemini.parse_usage({}) == Usage()
    metadata = {
        "promptTokenCount": 1000,
        "cachedContentTokenCount": 800,
        "candidatesTokenCount": 50,
        "thoughtsTokenCount": 200,
        "toolUsePromptTokenCount": 30,
        "totalTokenCount": 1280,
    }
    usage = gemini.parse_usage(metadata)
    assert usage == Usage(input=1030, output=250, cached=800, reasoning=200)
    assert usage.uncached == 230


def test_a_canonical_answer_renders_as_a_generate_content_response():
    response = ChatResponse(
        id="msg_1",
        model="claude",
        parts=[
            Thinking("Let me see.", "EqQB"),
            Text("Checking."),
            ToolUse("toolu_1", "weather", {"city": "Paris"}),
        ],
        finish=FinishReason.TOOL_USE,
        usage=Usage(input=100, output=30, cached=60, reasoning=10),
    )

    body = gemini.render_response(response, "gemini-2.5-flash")

    assert body == {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "Let me see.", "thought": True},
                        {"text": "Checking."},
                        {
                            "functionCall": {
                                "id": "toolu_1",
                                "name": "weather",
                                "args": {"city": "Paris"},
                            }
                        },
                    ],
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 100,
            "candidatesTokenCount": 20,
            "totalTokenCount": 130,
            "thoughtsTokenCount": 10,
            "cachedContentTokenCount": 60,
        },
        "modelVersion": "gemini-2.5-flash",
        "responseId": "msg_1",
    }
    assert gemini.parse_usage(body["usageMetadata"]) == response.usage


@pytest.mark.parametrize(
    ("finish", "reason"),
    [
        (FinishReason.STOP, "STOP"),
        (FinishReason.STOP_SEQUENCE, "STOP"),
        (FinishReason.LENGTH, "MAX_TOKENS"),
        (FinishReason.CONTENT_FILTER, "SAFETY"),
    ],
)
def test_canonical_finishes_render_as_gemini_reasons(finish, reason):
    response = ChatResponse(id="", model="m", parts=[], finish=finish)

    body = gemini.render_response(response, "m")

    assert body["candidates"][0]["finishReason"] == reason
    assert body["responseId"]  # a new one when the upstream gave none
    assert body["usageMetadata"]["totalTokenCount"] == 0


def test_an_anthropic_answer_reaches_a_gemini_client_and_parses_back():
    message = {
        "id": "msg_1",
        "model": "claude",
        "content": [
            {"type": "text", "text": "Sure."},
            {"type": "tool_use", "id": "toolu_9", "name": "f", "input": {"a": [1]}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 10, "cache_read_input_tokens": 5, "output_tokens": 7},
    }

    body = gemini.render_response(anthropic.parse_response(message), "gemini-x")
    back = gemini.parse_response(body)

    assert back.parts == [Text("Sure."), ToolUse("toolu_9", "f", {"a": [1]})]
    assert back.finish == FinishReason.TOOL_USE
    assert back.usage == Usage(input=15, output=7, cached=5)


# Streams -----------------------------------------------------------------------------------


def test_a_stream_decodes_to_canonical_events_with_the_last_usage():
    blob = (
        chunk_of([{"text": "Units?", "thought": True}], usage={"promptTokenCount": 120})
        + chunk_of([{"text": "It is"}], usage={"promptTokenCount": 120})
        + chunk_of(
            [
                {"text": " 18C."},
                {
                    "functionCall": {"name": "log", "args": {"t": 18}},
                    "thoughtSignature": SIGNATURE,
                },
            ],
            finish="STOP",
            usage={
                "promptTokenCount": 120,
                "candidatesTokenCount": 12,
                "thoughtsTokenCount": 40,
                "totalTokenCount": 172,
            },
        )
    )

    events = decode(gemini, sse_of(blob))

    assert events[0] == StreamStart("r1", "gemini-2.5-flash", Usage(input=120))
    assert events[1:5] == [
        ThinkingDelta("Units?"),
        UsageUpdate(Usage(input=120)),
        TextDelta("It is"),  # the same usage again is not repeated
        TextDelta(" 18C."),
    ]
    start = events[5]
    assert isinstance(start, ToolCallStart) and (start.index, start.name) == (0, "log")
    assert gemini.signature_in(start.id) == SIGNATURE
    assert events[6] == ToolCallDelta(0, '{"t":18}')
    assert events[7] == UsageUpdate(Usage(input=120, output=52, reasoning=40))
    assert events[8] == StreamStop(FinishReason.TOOL_USE)
    assert len(events) == 9


def test_a_stream_without_a_finish_reason_still_starts_and_stops():
    assert decode(gemini, sse_of(chunk_of([{"text": "cut"}]))) == [
        StreamStart("r1", "gemini-2.5-flash"),
        TextDelta("cut"),
        StreamStop(FinishReason.STOP),
    ]
    assert decode(gemini, []) == [StreamStart("", ""), StreamStop(FinishReason.STOP)]


def test_a_stream_of_a_blocked_prompt_or_a_length_cut_stops_with_the_right_reason():
    blocked = b"data: " + orjson.dumps({"promptFeedback": {"blockReason": "OTHER"}}) + b"\n\n"
    assert decode(gemini, sse_of(blocked))[-1] == StreamStop(FinishReason.CONTENT_FILTER)

    cut = chunk_of([{"text": "a"}]) + chunk_of([], finish="MAX_TOKENS")
    assert decode(gemini, sse_of(cut))[-1] == StreamStop(FinishReason.LENGTH)


def test_an_error_chunk_decodes_to_a_stream_error():
    error = {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}
    blob = chunk_of([{"text": "a"}]) + b"data: " + orjson.dumps(error) + b"\n\n"

    events = decode(gemini, sse_of(blob))

    assert events[-1] == StreamError(529, "overloaded_error", "The model is overloaded.")
    assert not any(isinstance(e, StreamStop) for e in events)
    bad = {"error": {"code": 400, "message": "Bad.", "status": "INVALID_ARGUMENT"}}
    assert decode(gemini, sse_of(b"data: " + orjson.dumps(bad) + b"\n\n")) == [
        StreamError(400, "invalid_request_error", "Bad.")
    ]


def test_encoding_buffers_a_split_tool_call_and_ends_with_finish_and_usage():
    events = [
        StreamStart("chatcmpl-1", "gpt", Usage(input=20)),
        ThinkingDelta("hmm"),
        TextDelta("Let me check."),
        ToolCallStart(0, "call_a", "weather"),
        ToolCallDelta(0, '{"city"'),
        ToolCallDelta(0, ': "Paris"}'),
        ToolCallStart(1, "call_b", "clock"),
        ToolCallDelta(1, "not json"),
        StreamStop(FinishReason.TOOL_USE),
        UsageUpdate(Usage(input=20, output=15, cached=4, reasoning=5)),
    ]

    written = payloads(encode(gemini, events, model="gemini-test"))

    parts = [p["candidates"][0]["content"]["parts"] for p in written]
    assert parts == [
        [{"text": "hmm", "thought": True}],
        [{"text": "Let me check."}],
        [{"functionCall": {"id": "call_a", "name": "weather", "args": {"city": "Paris"}}}],
        [{"functionCall": {"id": "call_b", "name": "clock", "args": {}}}],
    ]
    assert all(p["modelVersion"] == "gemini-test" for p in written)
    assert all(p["responseId"] == "chatcmpl-1" for p in written)
    assert all("finishReason" not in p["candidates"][0] for p in written[:-1])
    assert written[-1]["candidates"][0]["finishReason"] == "STOP"
    assert written[-1]["usageMetadata"] == {
        "promptTokenCount": 20,
        "candidatesTokenCount": 10,
        "totalTokenCount": 35,
        "thoughtsTokenCount": 5,
        "cachedContentTokenCount": 4,
    }


def test_a_text_only_stream_ends_with_an_empty_text_part_and_its_reason():
    events = [StreamStart("x", "m"), TextDelta("Hi"), StreamStop(FinishReason.LENGTH)]

    written = payloads(encode(gemini, events, model="g"))

    assert written[-1]["candidates"][0] == {
        "content": {"role": "model", "parts": [{"text": ""}]},
        "index": 0,
        "finishReason": "MAX_TOKENS",
    }
    assert b"[DONE]" not in encode(gemini, events, model="g")


def test_a_stream_error_is_written_as_a_last_error_chunk():
    events = [
        StreamStart("x", "m"),
        TextDelta("a"),
        ToolCallStart(0, "c", "f"),
        StreamError(529, "overloaded_error", "busy"),
        TextDelta("never"),
    ]

    written = payloads(encode(gemini, events, model="m"))

    assert len(written) == 2
    assert written[-1] == {
        "error": {
            "code": 503,
            "message": "busy",
            "status": "UNAVAILABLE",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "OVERLOADED_ERROR",
                    "domain": "tollgate",
                }
            ],
        }
    }


def test_an_anthropic_stream_reaches_a_gemini_client_with_whole_calls():
    anthropic_events = [
        StreamStart("msg_1", "claude", Usage(input=10)),
        TextDelta("Sure."),
        ToolCallStart(0, "toolu_1", "f"),
        ToolCallDelta(0, '{"a":'),
        ToolCallDelta(0, "[1]}"),
        UsageUpdate(Usage(input=10, output=9)),
        StreamStop(FinishReason.TOOL_USE),
    ]

    blob = encode(gemini, anthropic_events, model="g")
    back = decode(gemini, sse_of(blob))

    assert back[0] == StreamStart("msg_1", "g")
    assert back[1] == TextDelta("Sure.")
    assert back[2] == ToolCallStart(0, "toolu_1", "f")
    assert back[3] == ToolCallDelta(0, '{"a":[1]}')
    assert back[-2:] == [UsageUpdate(Usage(input=10, output=9)), StreamStop(FinishReason.TOOL_USE)]


def test_a_gemini_stream_reaches_an_openai_client_with_its_signature_in_the_id():
    blob = chunk_of(
        [{"functionCall": {"name": "f", "args": {"x": 1}}, "thoughtSignature": SIGNATURE}],
        finish="STOP",
        usage={"promptTokenCount": 5, "candidatesTokenCount": 3, "totalTokenCount": 8},
    )

    written = encode(openai, decode(gemini, sse_of(blob)), model="m", include_usage=True)

    chunks = [orjson.loads(e.data) for e in sse_of(written) if e.data != "[DONE]"]
    call = chunks[1]["choices"][0]["delta"]["tool_calls"][0]
    assert gemini.signature_in(call["id"]) == SIGNATURE
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["usage"]["prompt_tokens"] == 5


# Errors ------------------------------------------------------------------------------------


def test_errors_render_in_googles_envelope_with_tollgates_code():
    error = insufficient_credit(1_000, 20)

    status, body, headers = gemini.render_error(error, "req_1")

    assert status == 403
    assert orjson.loads(body) == {
        "error": {
            "code": 403,
            "message": error.message,
            "status": "PERMISSION_DENIED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "INSUFFICIENT_QUOTA",
                    "domain": "tollgate",
                    "metadata": {"request_id": "req_1"},
                }
            ],
        }
    }
    assert headers == error.headers


@pytest.mark.parametrize(
    ("error", "status", "name"),
    [
        (bad_request("Bad.", "contents"), 400, "INVALID_ARGUMENT"),
        (ApiError(401, "authentication_error", "invalid_api_key", "No."), 401, "UNAUTHENTICATED"),
        (ApiError(404, "not_found_error", "model_not_found", "No."), 404, "NOT_FOUND"),
        (
            ApiError(413, "invalid_request_error", "request_too_large", "Big."),
            413,
            "INVALID_ARGUMENT",
        ),
        (
            ApiError(426, "invalid_request_error", "websocket_not_supported", "No."),
            426,
            "FAILED_PRECONDITION",
        ),
        (ApiError(499, "api_error", "client_closed", "Gone."), 499, "CANCELLED"),
        (ApiError(500, "api_error", "internal_error", "Oops."), 500, "INTERNAL"),
        (ApiError(502, "api_error", "upstream_error", "Failed."), 502, "UNAVAILABLE"),
        (ApiError(504, "api_error", "upstream_timeout", "Slow."), 504, "DEADLINE_EXCEEDED"),
        (ApiError(529, "overloaded_error", "upstream_overloaded", "Busy."), 503, "UNAVAILABLE"),
        (ApiError(418, "invalid_request_error", None, "Teapot."), 418, "INVALID_ARGUMENT"),
    ],
)
def test_http_statuses_map_to_google_rpc_statuses(error, status, name):
    code, body, _ = gemini.render_error(error, "req_1")

    assert code == status
    payload = orjson.loads(body)["error"]
    assert (payload["code"], payload["status"]) == (status, name)
    assert payload["details"][0]["reason"] == (error.code or error.type).upper()


def test_a_rate_limit_carries_its_retry_delay():
    error = rate_limited("key", 60, 41)

    status, body, headers = gemini.render_error(error, "req_2")

    details = orjson.loads(body)["error"]["details"]
    assert status == 429 and orjson.loads(body)["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert details[1] == {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "41s"}
    assert (b"retry-after", b"41") in headers


def test_stream_error_is_a_data_only_error_chunk():
    piece = gemini.stream_error(StreamError(504, "timeout_error", "Slow."))

    assert piece.startswith(b"data: {") and piece.endswith(b"\n\n")
    error = orjson.loads(piece[6:])["error"]
    assert (error["code"], error["status"], error["message"]) == (504, "DEADLINE_EXCEEDED", "Slow.")


# countTokens estimates ---------------------------------------------------------------------


def test_input_tokens_are_estimated_for_both_count_tokens_shapes():
    contents = [{"role": "user", "parts": [{"text": "word " * 400}]}]
    plain = gemini.estimate_input_tokens({"contents": contents})
    wrapped = gemini.estimate_input_tokens(
        {
            "generateContentRequest": {
                "model": "models/x",
                "contents": contents,
                "systemInstruction": {"parts": [{"text": "sys " * 100}]},
            }
        }
    )

    assert 450 <= plain <= 600
    assert wrapped > plain + 80
    image = {"inlineData": {"mimeType": "image/png", "data": "A" * 400_000}}
    with_image = gemini.estimate_input_tokens(
        {"contents": [{"role": "user", "parts": [{"text": "hi"}, image]}]}
    )
    assert 258 <= with_image < 300  # an image is priced per image, not per base64 byte


# Structured output -------------------------------------------------------------------------


def test_json_output_settings_become_a_response_format_both_ways():
    base = {"contents": [{"role": "user", "parts": [{"text": "x"}]}]}
    schema = {"type": "OBJECT", "properties": {"n": {"type": "INTEGER"}}}

    plain = gemini.parse_request(
        dict(base, generationConfig={"responseMimeType": "application/json"})
    )
    converted = gemini.parse_request(
        dict(
            base,
            generation_config={"response_mime_type": "application/json", "response_schema": schema},
        )
    )
    enum = gemini.parse_request(dict(base, generationConfig={"responseMimeType": "text/x.enum"}))

    assert plain.response_format == ResponseFormat("json_object")
    json_schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    assert converted.response_format == ResponseFormat("json_schema", schema=json_schema)
    assert enum.response_format is None
    assert gemini.render_request(converted, "m")["generationConfig"] == {
        "responseMimeType": "application/json",
        "responseJsonSchema": json_schema,
    }
    assert gemini.render_request(plain, "m")["generationConfig"] == {
        "responseMimeType": "application/json"
    }


def test_an_openai_json_schema_request_reaches_gemini_as_a_response_json_schema():
    chat = {
        "model": "gpt",
        "messages": [{"role": "user", "content": "A number"}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "n", "schema": {"type": "object"}, "strict": True},
        },
    }

    config = gemini.render_request(openai.parse_request(chat), "m")["generationConfig"]

    assert config == {
        "responseMimeType": "application/json",
        "responseJsonSchema": {"type": "object"},
    }


# Shapes of the google-genai SDK ------------------------------------------------------------


def test_contents_and_config_as_the_sdk_writes_them_are_parsed():
    from google.genai import types

    contents = [
        types.Content(role="user", parts=[types.Part(text="Weather in Paris?")]),
        types.Content(
            role="model",
            parts=[
                types.Part(text="Thinking...", thought=True),
                types.Part(
                    function_call=types.FunctionCall(name="weather", args={"city": "Paris"}),
                    thought_signature=b"\xbe\xef\xff\x00sig",
                ),
            ],
        ),
        types.Content(
            role="user",
            parts=[types.Part.from_function_response(name="weather", response={"output": "18C"})],
        ),
    ]
    config = types.GenerateContentConfig(
        max_output_tokens=256,
        thinking_config=types.ThinkingConfig(thinking_budget=512, include_thoughts=True),
        tools=[
            types.Tool(
                function_declarations=[
                    types.FunctionDeclaration(
                        name="weather",
                        parameters=types.Schema(
                            type="OBJECT",
                            properties={"city": types.Schema(type="STRING", nullable=True)},
                        ),
                    )
                ]
            )
        ],
    )
    body = {
        "contents": [c.model_dump(mode="json", by_alias=True, exclude_none=True) for c in contents],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "generationConfig": config.model_dump(
            mode="json", by_alias=True, exclude_none=True, exclude={"tools"}
        ),
        "tools": [
            t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in config.tools
        ],
    }

    request = gemini.parse_request(body)

    call = request.messages[1].parts[1]
    assert call.signature == body["contents"][1]["parts"][1]["thoughtSignature"]
    assert request.messages[2].parts == [ToolResult(call.id, [Text("18C")])]
    assert request.tools[0].schema["properties"]["city"] == {"type": ["string", "null"]}
    assert (request.max_tokens, request.thinking_budget) == (256, 512)
    resent = gemini.render_request(request, "gemini-3-pro")["contents"][1]["parts"][0]
    assert base64.urlsafe_b64decode(resent["thoughtSignature"]) == b"\xbe\xef\xff\x00sig"


def test_answers_and_chunks_we_write_are_read_by_the_sdk():
    from google.genai import types

    response = ChatResponse(
        id="msg_1",
        model="claude",
        parts=[Thinking("Hmm."), Text("Hi."), ToolUse("toolu_1", "f", {"a": 1})],
        finish=FinishReason.TOOL_USE,
        usage=Usage(input=10, output=8, reasoning=3),
    )
    parsed = types.GenerateContentResponse.model_validate(
        gemini.render_response(response, "gemini-x")
    )

    assert parsed.function_calls[0].id == "toolu_1" and parsed.function_calls[0].args == {"a": 1}
    assert parsed.candidates[0].finish_reason == types.FinishReason.STOP
    assert parsed.usage_metadata.thoughts_token_count == 3
    assert parsed.usage_metadata.candidates_token_count == 5

    events = [StreamStart("x", "m"), TextDelta("Hi"), StreamStop(FinishReason.STOP)]
    chunks = [
        types.GenerateContentResponse.model_validate(p)
        for p in payloads(encode(gemini, events, model="g"))
    ]
    assert "".join(c.text for c in chunks) == "Hi"


def test_url_safe_base64_from_the_sdk_is_normalised_for_other_providers():
    data = base64.urlsafe_b64encode(b"\xfb\xff\xfe image").decode().rstrip("=")
    part = {"inlineData": {"mimeType": "image/png", "data": data}}

    image = gemini.parse_request({"contents": [{"parts": [part]}]}).messages[0].parts[0]

    assert base64.b64decode(image.data, validate=True) == b"\xfb\xff\xfe image"


def test_a_request_of_only_a_system_prompt_sends_it_as_the_user_turn():
    request = openai.parse_request(
        {"model": "m", "messages": [{"role": "system", "content": "Say hi."}]}
    )

    body = gemini.render_request(request, "m")

    assert body["contents"] == [{"role": "user", "parts": [{"text": "Say hi."}]}]
    assert "systemInstruction" not in body
