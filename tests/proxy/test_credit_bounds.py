from proxy.catalog import CatalogModel
from proxy.credit import affordable_output_tokens, hold_micros, input_bound, output_bound
from tests.proxy.test_metering import PRICE

MODEL = CatalogModel(
    id="m",
    display_name="m",
    description="",
    context_window=None,
    max_output_tokens=1000,
    public=True,
    granted_account_ids=frozenset(),
    created=0,
    routes=(),
    prices=(PRICE,),
)


def test_the_clients_own_cap_bounds_the_output_even_above_the_catalogs_maximum():
    assert output_bound("chat", {"max_tokens": 5000}, MODEL) == 5000
    assert output_bound("chat", {"max_completion_tokens": 7}, MODEL) == 7


def test_without_a_cap_the_models_maximum_or_the_endpoint_default_applies():
    assert output_bound("chat", {}, MODEL) == 1000
    assert output_bound("completions", {}, MODEL) == 16
    assert output_bound("embeddings", {}, MODEL) == 0


def test_a_reasoning_effort_adds_the_thinking_budget_it_becomes_on_anthropic_routes():
    assert output_bound("chat", {"max_tokens": 100, "reasoning_effort": "low"}, MODEL) == 2148


def test_bools_and_non_positive_caps_are_not_caps():
    assert output_bound("chat", {"max_tokens": True}, MODEL) == 1000
    assert output_bound("chat", {"max_tokens": 0}, MODEL) == 1000


def test_hold_is_an_upper_bound_rounded_up_and_affordable_tokens_invert_it():
    tokens_in = input_bound(2000)  # a 2,000-byte body holds at most 1,001 tokens
    hold = hold_micros(tokens_in, 500, PRICE)

    assert tokens_in == 1001
    assert hold == -(-(1001 * 150_000 + 500 * 600_000) // 1_000_000)
    assert affordable_output_tokens(hold, tokens_in, PRICE) >= 500
