"""Worst-case cost of a request before it runs (the hold), and what a balance affords.

A hold must be an upper bound of the final charge, or an account could end below zero. The
input is bounded by the body size (a token is rarely shorter than two bytes of JSON), and the
output by the request's own cap, else the model's maximum output.
"""

from __future__ import annotations

from proxy.catalog import CatalogModel, PriceSnapshot
from proxy.metering import TOKENS_PER_MILLION
from proxy.protocols import EMBEDDINGS_ENDPOINTS

BYTES_PER_TOKEN_BOUND = 2
# Lowering a request's output cap to fit the balance is only worth it above this.
MIN_AFFORDABLE_OUTPUT_TOKENS = 16

# OpenAI's legacy completions default to 16 output tokens when max_tokens is absent;
# embeddings and speech produce no output tokens.
DEFAULT_OUTPUT_CAP = {"completions": 16, "speech": 0} | dict.fromkeys(EMBEDDINGS_ENDPOINTS, 0)


def input_bound(body_size: int) -> int:
    return body_size // BYTES_PER_TOKEN_BOUND + 1


def requested_output_cap(body: dict) -> int | None:
    """The client's own output cap (OpenAI's `max_completion_tokens` or `max_tokens`, the
    Responses API's `max_output_tokens`, Gemini's `generationConfig.maxOutputTokens`), if any."""
    for field in ("max_completion_tokens", "max_tokens", "max_output_tokens"):
        value = body.get(field)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    config = gemini_config(body)
    for field in ("maxOutputTokens", "max_output_tokens"):
        value = config.get(field)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def gemini_config(body: dict) -> dict:
    """A Gemini request's `generationConfig` (either spelling), or {}."""
    config = body.get("generationConfig", body.get("generation_config"))
    return config if isinstance(config, dict) else {}


def gemini_thinking_budget(body: dict) -> int:
    config = gemini_config(body)
    thinking = config.get("thinkingConfig", config.get("thinking_config"))
    if not isinstance(thinking, dict):
        return 0
    budget = thinking.get("thinkingBudget", thinking.get("thinking_budget"))
    return budget if isinstance(budget, int) and not isinstance(budget, bool) and budget > 0 else 0


def lower_output_cap(endpoint: str, body: dict, tokens: int) -> None:
    """Set the request's output cap to `tokens` (a cap the client did not choose)."""
    if endpoint != "generate":
        body["max_tokens"] = tokens
    elif isinstance(body.get("generation_config"), dict):
        body["generation_config"]["max_output_tokens"] = tokens
    else:
        body.setdefault("generationConfig", {})["maxOutputTokens"] = tokens


def output_bound(endpoint: str, body: dict, model: CatalogModel) -> int:
    """The most output tokens the call can produce: the client's own cap (even above the
    catalog's maximum: the provider may allow it), else the default for the endpoint. An
    OpenAI `reasoning_effort` sent to an Anthropic route becomes a thinking budget on top of
    `max_tokens`, so it is added too."""
    from proxy.protocols.anthropic.messages import BUDGETS

    if endpoint == "images":  # image models that report tokens (gpt-image-1), per image
        return (body.get("n") or 1) * model.max_output_tokens
    cap = requested_output_cap(body)
    bound = cap if cap is not None else DEFAULT_OUTPUT_CAP.get(endpoint, model.max_output_tokens)
    effort = body.get("reasoning_effort")
    if isinstance(body.get("reasoning"), dict):  # the Responses API's {"effort": ...}
        effort = body["reasoning"].get("effort")
    if isinstance(effort, str):
        bound += BUDGETS.get(effort, 0)
    if endpoint == "generate":  # a thinking budget may become Anthropic's, on top of the cap
        bound += gemini_thinking_budget(body)
    return bound


def hold_micros(input_tokens: int, output_tokens: int, price: PriceSnapshot | None) -> int:
    """The worst-case cost in micro-USD, rounded up."""
    if price is None:
        return 0
    numerator = (
        input_tokens * price.input_per_mtok_micros + output_tokens * price.output_per_mtok_micros
    )
    return -(-numerator // TOKENS_PER_MILLION)


def affordable_output_tokens(
    available_micros: int, input_tokens: int, price: PriceSnapshot | None
) -> int:
    """How many output tokens `available_micros` pays for after the input."""
    if price is None or price.output_per_mtok_micros == 0:
        return 0
    left = available_micros * TOKENS_PER_MILLION - input_tokens * price.input_per_mtok_micros
    return max(0, left // price.output_per_mtok_micros)
