"""Token counts and what they cost.

Prices are integer micro-USD per 1M tokens; a request's cost is rounded up to the next micro-USD.
When the provider reports no usage (a cut stream, a client that left), the counts are estimated
from sizes and the record says so.
"""

from __future__ import annotations

from dataclasses import replace

from proxy.canonical import Usage
from proxy.catalog import PriceSnapshot

TOKENS_PER_MILLION = 1_000_000
CHARS_PER_MILLION = 1_000_000
MS_PER_MINUTE = 60_000
# A rough average for English text and JSON; only used when the provider reports nothing.
BYTES_PER_TOKEN = 4
INPUT_FIELDS = {"input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"}


__all__ = [
    "Usage",
    "anthropic_usage",
    "cost_micros",
    "estimate_text_tokens",
    "estimate_tokens",
    "openai_usage",
    "units_cost_micros",
]


def cost_micros(usage: Usage, price: PriceSnapshot | None) -> int:
    """The cost of `usage` at `price`, rounded up to a whole micro-USD; 0 without a price.

    Each prompt bucket has its own price: uncached input, cache reads (cached input price) and
    cache writes (cache write price); none of them is counted twice.
    """
    if price is None:
        return 0
    cached = min(usage.cached, usage.input)
    written = min(usage.cache_write, usage.input - cached)
    numerator = (
        (usage.input - cached - written) * price.input_per_mtok_micros
        + cached * price.cached_input_per_mtok_micros
        + written * price.cache_write_per_mtok_micros
        + usage.output * price.output_per_mtok_micros
    )
    return -(-numerator // TOKENS_PER_MILLION)


def units_cost_micros(units: int, unit_kind: str, price: PriceSnapshot | None) -> int:
    """The cost of a media call's `units` at `price`, rounded up to a whole micro-USD; 0 without
    a price or a unit price. Kinds: "image" (per image), "audio_ms" (milliseconds of audio at
    the per-minute price), "char" (input characters at the per-1M-characters price)."""
    if price is None or units <= 0:
        return 0
    unit_price, per = {
        "image": (price.per_image_micros, 1),
        "audio_ms": (price.per_audio_minute_micros, MS_PER_MINUTE),
        "char": (price.per_mchar_micros, CHARS_PER_MILLION),
    }.get(unit_kind, (None, 1))
    if not unit_price:
        return 0
    return -(-(units * unit_price) // per)


def estimate_tokens(size_bytes: int) -> int:
    """A token count from a size in bytes (at least 1 for anything non-empty)."""
    if size_bytes <= 0:
        return 0
    return max(1, size_bytes // BYTES_PER_TOKEN)


def estimate_text_tokens(texts: list[str]) -> int:
    """A token count for texts sent without JSON around them (embedding inputs)."""
    return sum(estimate_tokens(len(text.encode())) for text in texts)


def openai_usage(usage: dict | None) -> Usage | None:
    """Usage from an OpenAI `usage` object (chat, completions, embeddings or Responses), or
    None."""
    if not isinstance(usage, dict):
        return None
    prompt = _int(usage.get("prompt_tokens", usage.get("input_tokens")))
    completion = _int(usage.get("completion_tokens", usage.get("output_tokens")))
    prompt_details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
    completion_details = (
        usage.get("completion_tokens_details") or usage.get("output_tokens_details") or {}
    )
    if not isinstance(prompt_details, dict):
        prompt_details = {}
    return Usage(
        input=prompt,
        output=completion,
        cached=_int(prompt_details.get("cached_tokens")),
        cache_write=_int(prompt_details.get("cache_write_tokens")),
        reasoning=(
            _int(completion_details.get("reasoning_tokens"))
            if isinstance(completion_details, dict)
            else 0
        ),
    )


def anthropic_usage(usage: dict | None, before: Usage | None = None) -> Usage | None:
    """Usage from an Anthropic `usage` object, in our buckets, or None.

    Anthropic's `input_tokens` leaves out cache reads and writes; here `input` is the whole
    prompt. A stream reports input in `message_start` and the cumulative output (sometimes input
    again) in `message_delta`: fields absent from `usage` keep their value from `before`.
    """
    if not isinstance(usage, dict):
        return None
    result = Usage() if before is None else replace(before)
    if INPUT_FIELDS & usage.keys():
        uncached = _int(usage.get("input_tokens", result.uncached))
        result.cached = _int(usage.get("cache_read_input_tokens", result.cached))
        result.cache_write = _int(usage.get("cache_creation_input_tokens", result.cache_write))
        result.input = uncached + result.cached + result.cache_write
    if "output_tokens" in usage:
        result.output = _int(usage.get("output_tokens"))
    details = usage.get("output_tokens_details")
    if isinstance(details, dict) and "thinking_tokens" in details:
        result.reasoning = _int(details.get("thinking_tokens"))
    return result


def _int(value) -> int:
    return value if isinstance(value, int) and value >= 0 else 0
