import pytest

from billing.money import format_price, micros_to_usd, usd_to_micros


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1250, "usd", "$12.50"),
        (1250, "EUR", "12.50 EUR"),
        (500, "jpy", "500 JPY"),
        (10_000_000, "usd", "$100,000.00"),
        (-5, "usd", "-$0.05"),
    ],
)
def test_format_price(amount, currency, text):
    assert format_price(amount, currency) == text


@pytest.mark.parametrize("micros", [0, 1, 12_500_000, -3_000_001, 100_000 * 10**6])
def test_micros_to_usd_round_trips(micros):
    assert usd_to_micros(micros_to_usd(micros)) == micros


def test_micros_to_usd_is_plain_text():
    assert micros_to_usd(12_500_000) == "12.5"
    assert micros_to_usd(1) == "0.000001"
    assert micros_to_usd(10_000_000) == "10"
