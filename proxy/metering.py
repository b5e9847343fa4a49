"""Token counts and what they cost.

Prices are integer micro-USD per 1M tokens; a request's cost is rounded up to the next micro-USD.
When the provider reports no usage (a cut stream, a client that left), the counts are estimated
from sizes and the record says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy.catalog import PriceSnapshot

TOKENS_PER_MILLION = 1_000_000
# A rough average for English text and JSON; only used when the provider reports nothing.
BYTES_PER_TOKEN = 4


@dataclass(slots=True)
class Usage:
    """Counts in OpenAI's buckets: `input` includes `cached`, `output` includes `reasoning`."""

    input: int = 0
    output: int = 0
    cached: int = 0
    reasoning: int = 0
    estimated: bool = False


def cost_micros(usage: Usage, price: PriceSnapshot | None) -> int:
    """The cost of `usage` at `price`, rounded up to a whole micro-USD; 0 without a price."""
    if price is None:
        return 0
    cached = min(usage.cached, usage.input)
    numerator = (
        (usage.input - cached) * price.input_per_mtok_micros
        + cached * price.cached_input_per_mtok_micros
        + usage.output * price.output_per_mtok_micros
    )
    return -(-numerator // TOKENS_PER_MILLION)


def estimate_tokens(size_bytes: int) -> int:
    """A token count from a size in bytes (at least 1 for anything non-empty)."""
    if size_bytes <= 0:
        return 0
    return max(1, size_bytes // BYTES_PER_TOKEN)


def openai_usage(usage: dict | None) -> Usage | None:
    """Usage from an OpenAI `usage` object (chat, completions or embeddings), or None."""
    if not isinstance(usage, dict):
        return None
    prompt = _int(usage.get("prompt_tokens", usage.get("input_tokens")))
    completion = _int(usage.get("completion_tokens", usage.get("output_tokens")))
    prompt_details = usage.get("prompt_tokens_details") or {}
    completion_details = usage.get("completion_tokens_details") or {}
    return Usage(
        input=prompt,
        output=completion,
        cached=_int(prompt_details.get("cached_tokens")) if isinstance(prompt_details, dict) else 0,
        reasoning=(
            _int(completion_details.get("reasoning_tokens"))
            if isinstance(completion_details, dict)
            else 0
        ),
    )


def _int(value) -> int:
    return value if isinstance(value, int) and value >= 0 else 0
