"""What a token may be given: bounds on its settings, and the checks the page, the API and the
`create_token` command share, so that bad input gets the same message everywhere.

Each `clean_*` function returns the normalized value or raises ValidationError with a message
meant for the user.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError

NAME_MAX_LENGTH = 100
NOTE_MAX_LENGTH = 1000
# Limits beyond these are typos rather than intentions.
MIN_SPEND_LIMIT_MICROS = 10_000  # $0.01
MAX_SPEND_LIMIT_MICROS = 1_000_000 * 1_000_000  # $1,000,000
MAX_RPM = 100_000
MAX_CONCURRENCY = 1_000
MAX_EXPIRY_DAYS = 3660
MAX_ALLOWED_IPS = 100
MAX_GRACE_SECONDS = 24 * 3600


def clean_name(value: str | None) -> str:
    name = (value or "").strip()
    if not name:
        raise ValidationError("Give the token a name.", code="required")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            f"Keep the name to {NAME_MAX_LENGTH} characters or fewer (it has {len(name)}).",
            code="max_length",
        )
    return name


def clean_expiry(value: datetime | None, now: datetime) -> datetime | None:
    if value is None:
        return None
    if value <= now:
        raise ValidationError("The expiry must be in the future.", code="past")
    if value > now + timedelta(days=MAX_EXPIRY_DAYS):
        raise ValidationError(
            f"The expiry must be within {MAX_EXPIRY_DAYS // 366} years.", code="too_far"
        )
    return value


def parse_network_list(text: str | None) -> list[str]:
    """Split a textarea of IPs/CIDRs (one per line, or separated by commas or spaces)."""
    return (text or "").replace(",", " ").split()


def clean_networks(values: Iterable[str]) -> list[str]:
    """IP addresses and CIDR ranges, normalized (`10.0.0.0/8`, `2001:db8::/32`), duplicates
    dropped. A range with host bits set is an error rather than silently widened or narrowed."""
    networks: list[str] = []
    for raw in values:
        text = str(raw).strip()
        if not text:
            continue
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError as exc:
            hint = _host_bits_hint(text)
            message = f"{text!r} is not an IP address or CIDR range"
            message += f" ({hint})." if hint else f": {exc}."
            raise ValidationError(message, code="invalid_network") from None
        if str(network) not in networks:
            networks.append(str(network))
    if len(networks) > MAX_ALLOWED_IPS:
        raise ValidationError(
            f"List at most {MAX_ALLOWED_IPS} addresses or ranges.", code="too_many_networks"
        )
    return networks


def _host_bits_hint(text: str) -> str:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return ""
    return f"it has host bits set; did you mean {network}?"


def clean_models(values: Iterable[str], available: Iterable[str]) -> list[str]:
    """Model ids from `available` (the account's enabled models), in the order given."""
    allowed = set(available)
    chosen: list[str] = []
    for raw in values:
        model_id = str(raw).strip()
        if not model_id or model_id in chosen:
            continue
        if model_id not in allowed:
            raise ValidationError(
                f"{model_id!r} is not a model enabled for this account.", code="unknown_model"
            )
        chosen.append(model_id)
    return chosen


def clean_grace_seconds(value: int) -> int:
    if value < 0 or value > MAX_GRACE_SECONDS:
        raise ValidationError(
            "The grace period must be between 0 and 24 hours.", code="grace_out_of_range"
        )
    return value
