"""Keys never reach a log: Gemini clients may send theirs as `?key=`, which access logs print."""

from __future__ import annotations

import logging
import re

SECRET_QUERY = re.compile(r"([?&](?:key|api_key|api-key)=)[^&\s\"]*", re.IGNORECASE)


def redact_query(text: str) -> str:
    """`text` with the value of every key-like query parameter replaced."""
    return SECRET_QUERY.sub(r"\1[redacted]", text)


class RedactQueryKeys(logging.Filter):
    """For uvicorn's access log, whose path argument carries the query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_query(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True
