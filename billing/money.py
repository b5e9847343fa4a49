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
