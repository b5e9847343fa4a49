"""Money is integer micro-USD (1 USD = 1,000,000). This module converts to and from text.

No floats: parsing goes through Decimal and rejects more than six decimal places.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MICROS_PER_USD = 1_000_000


def usd_to_micros(value: str | int | Decimal) -> int:
    """`"12.50"` -> 12_500_000. Raises ValueError on non-numbers and sub-micro precision."""
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount in USD: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount in USD: {value!r}")
    micros = amount * MICROS_PER_USD
    if micros != micros.to_integral_value():
        raise ValueError(f"more precise than one micro-USD: {value!r}")
    return int(micros)


def micros_to_usd(micros: int) -> str:
    """12_500_000 -> "12.5": the exact amount as plain text, for forms (usd_to_micros reverses)."""
    return format(Decimal(int(micros)) / MICROS_PER_USD, "f")


def format_usd(micros: int, *, places: int = 2) -> str:
    """12_345_678 -> "$12.35" (places=2) or "$12.345678" (places=6); rounds half up, exactly.

    Amounts smaller than one cent but not zero show more places so they never read as $0.00.
    """
    sign = "-" if micros < 0 else ""
    magnitude = abs(int(micros))
    if 0 < magnitude < 10_000 and places < 6:
        places = 6
    step = 10 ** (6 - places)
    rounded = (magnitude + step // 2) // step
    whole, frac = divmod(rounded, 10**places)
    text = f"{whole:,}" + (f".{frac:0{places}d}" if places else "")
    return f"{sign}${text}"


# Stripe charges these currencies in whole units: an amount of 500 JPY is 500, not 5.00.
# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL_CURRENCIES = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)


def format_price(amount: int, currency: str) -> str:
    """A Stripe amount in the currency's smallest unit: (1250, "usd") -> "$12.50",
    (1250, "eur") -> "12.50 EUR", (500, "jpy") -> "500 JPY"."""
    code = currency.lower()
    sign = "-" if amount < 0 else ""
    magnitude = abs(int(amount))
    if code in ZERO_DECIMAL_CURRENCIES:
        text = f"{magnitude:,}"
    else:
        whole, cents = divmod(magnitude, 100)
        text = f"{whole:,}.{cents:02d}"
    return f"{sign}${text}" if code == "usd" else f"{sign}{text} {code.upper()}"
