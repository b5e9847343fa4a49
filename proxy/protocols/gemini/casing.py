"""Gemini field names in either spelling: requests are read with the protobuf JSON mapping,
which accepts lowerCamelCase (what the SDKs send) and the original snake_case (Google's REST
samples). Names are written in lowerCamelCase here; `get` also tries the snake_case form."""

from __future__ import annotations

import re
from functools import cache

_UPPER = re.compile(r"([A-Z])")


@cache
def snake(name: str) -> str:
    return _UPPER.sub(r"_\1", name).lower()


def get(obj: dict, name: str, default=None):
    """`obj[name]` under its camelCase or snake_case spelling (camelCase wins), or `default`."""
    if name in obj:
        return obj[name]
    return obj.get(snake(name), default)
