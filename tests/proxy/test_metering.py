from datetime import UTC, datetime

from proxy.catalog import PriceSnapshot
from proxy.metering import Usage, cost_micros, openai_usage

PRICE = PriceSnapshot(
    id=1,
    input_per_mtok_micros=150_000,  # $0.15 per 1M
    output_per_mtok_micros=600_000,  # $0.60 per 1M
    cached_input_per_mtok_micros=75_000,
    effective_from=datetime(2026, 1, 1, tzinfo=UTC),
)


def test_cost_prices_cached_input_separately_and_rounds_up():
    usage = Usage(input=1000, cached=400, output=500)

    # 600 * 0.15 + 400 * 0.075 + 500 * 0.60 = 90 + 30 + 300 = 420 micro-USD... per 1M tokens:
    # (600*150000 + 400*75000 + 500*600000) / 1e6 = 90 + 30 + 300 = 420
    assert cost_micros(usage, PRICE) == 420


def test_a_fraction_of_a_micro_usd_is_charged_as_one():
    assert cost_micros(Usage(input=1), PRICE) == 1


def test_no_price_means_no_charge():
    assert cost_micros(Usage(input=10, output=10), None) == 0


def test_openai_usage_reads_cached_and_reasoning_buckets():
    usage = openai_usage(
        {
            "prompt_tokens": 20,
            "completion_tokens": 9,
            "prompt_tokens_details": {"cached_tokens": 8},
            "completion_tokens_details": {"reasoning_tokens": 3},
        }
    )

    assert (usage.input, usage.output, usage.cached, usage.reasoning) == (20, 9, 8, 3)


def test_openai_usage_of_garbage_is_none_or_zero():
    assert openai_usage(None) is None
    usage = openai_usage({"prompt_tokens": "x", "completion_tokens": -4})
    assert (usage.input, usage.output) == (0, 0)
